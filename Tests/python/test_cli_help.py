"""`leafx --help` and each subcommand's, as a user reads them piped or in an 80-column terminal
(ArgumentParser wraps to $COLUMNS, 80 when stdout is not a terminal): the prose of each
description is wrapped by the parser, not broken by hand a second time (which leaves a short
remnant such as "the" on a line of its own), and each example stays on one line, so that it
can be copied."""
import os

import pytest

from conftest import leafx_binary, run

SUBCOMMANDS = ["", "transcribe", "explain", "bench", "diagnose", "features", "info", "bench-masking"]


def description(text):
    """The lines between OVERVIEW and USAGE (the abstract and the discussion)."""
    lines = text.split("\n")
    end = next(i for i, line in enumerate(lines) if line.startswith("USAGE:"))
    return lines[:end]


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=[c or "leafx" for c in SUBCOMMANDS])
def test_help_wraps_prose_once_and_keeps_examples_whole(command):
    env = dict(os.environ, COLUMNS="80")
    text = run([leafx_binary(), *([command] if command else []), "--help"], env=env).stdout
    lines = description(text)
    assert len(lines) > 3, text
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, too_long
    # A hand-broken line that the parser wrapped again leaves a short flush-left remnant whose
    # sentence goes on, in lower case, on the next flush-left line.
    remnants = [(a, b) for a, b in zip(lines, lines[1:])
                if a and b and not a.startswith(" ") and not b.startswith(" ") and len(a) < 40 and b[0].islower()]
    assert not remnants, remnants
    if "Examples:" in lines:
        start = lines.index("Examples:") + 1
        examples = lines[start:lines.index("", start)]
        assert examples and all(line.startswith("  leafx ") for line in examples), examples


def test_every_subcommand_is_checked():
    """SUBCOMMANDS above is the CLI's own list (`leafx --help`), so a new subcommand is checked too."""
    lines = run([leafx_binary(), "--help"], env=dict(os.environ, COLUMNS="80")).stdout.split("\n")
    start = lines.index("SUBCOMMANDS:") + 1
    block = lines[start:lines.index("", start)]
    listed = [line.split()[0] for line in block if not line.startswith("   ")]
    assert listed and sorted(listed) == sorted(c for c in SUBCOMMANDS if c), listed
