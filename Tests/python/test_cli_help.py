"""`leafx --help` and each subcommand's, as a user reads them piped or in an 80-column terminal
(ArgumentParser wraps to $COLUMNS, 80 when stdout is not a terminal): the prose of each
description is wrapped by the parser, not broken by hand a second time (which leaves a short
remnant such as "the" on a line of its own), and each example stays on one line, so that it
can be copied. README's synopsis of each subcommand lists every option its --help has."""
import functools
import os

import pytest

from conftest import SOURCE_DIR, leafx_binary, run

SUBCOMMANDS = ["", "transcribe", "explain", "bench", "diagnose", "features", "info", "bench-masking", "models"]


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


@functools.cache
def readme_synopsis():
    """README's "Command line" block: each subcommand's lines (a `leafx SUB` line and the
    indented lines that continue it)."""
    text = open(os.path.join(SOURCE_DIR, "README.md")).read()
    block = text.split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    synopsis = {}
    for line in block.strip().split("\n"):
        if line.startswith("leafx "):
            current = line.split()[1]
            synopsis[current] = line
        else:
            synopsis[current] += " " + line.strip()
    return synopsis


@pytest.mark.parametrize("command", [c for c in SUBCOMMANDS if c])
def test_readme_synopsis_lists_every_option(command):
    """Every option of a subcommand's --help is in README's synopsis of it."""
    synopsis = readme_synopsis()
    assert command in synopsis, f"README's Command line block has no `leafx {command}` line"
    text = run([leafx_binary(), command, "--help"], env=dict(os.environ, COLUMNS="200")).stdout
    # Every section after USAGE: OPTIONS and the titled ones (DECODING OPTIONS).
    options = text.split("\nUSAGE:", 1)[1].split("\n\n", 1)[1]
    # An option line names its spellings first ("-m, --model <model>"); any one will do.
    spellings = [[word.rstrip(",") for word in line.split()[:2] if word.startswith("-")]
                 for line in options.split("\n") if line.strip().startswith("-")]
    listed = set(synopsis[command].replace("[", " ").replace("]", " ").split())
    missing = [names for names in spellings
               if not {"--help", "--version"} & set(names) and not listed & set(names)]
    assert not missing, f"README's synopsis of `leafx {command}` lacks {missing}"
