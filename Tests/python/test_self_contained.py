"""The repository stands on its own: what a clone runs, reads and cites is inside it.

A clone has nothing beside it, so no tracked file may point at a sibling folder of the
repository (the team's old background notes lived in one), at its environment variable, or at
the old design notes by section number; every `docs/NAME.md` a file names exists, and every
`docs/NAME.md, "Heading"` citation names a heading of that doc; the installed header cites
nothing that is not installed; the dev set and the reference attributions the tests read are
tracked."""
import json
import os
import re
import subprocess

import pytest

from conftest import DEV_DIR, SOURCE_DIR

# Spelled in pieces so that this file does not match itself.
SIBLING = "shared"
FORBIDDEN = [
    ("a path into a sibling folder", re.compile(r"\.\./" + SIBLING + r"\b")),
    ("a path into a sibling folder", re.compile(r'"\.\.",\s*(?:"\.\.",\s*)*"' + SIBLING + '"')),
    ("the old environment variable", re.compile("LEAFX_" + SIBLING.upper() + r"_(?:DIR|TOOLS)")),
    ("a section of the old design notes", re.compile("DESIGN" + r"(?:\.md)? §")),
    ("the old format notes", re.compile("FORMATS" + r"\.md")),
    ("an issue number (the tracker is not in the repository)", re.compile(r"(?i)\bissue" + r" #\d")),
]

# `docs/name.md` and `docs/name.md, "Heading"` (also `docs/name.md "Heading"`); a citation may
# run on to the next line of a comment, so citations are looked for in the text with its line
# breaks and comment markers joined into spaces.
DOC_NAME = re.compile(r"docs/([A-Za-z0-9_.-]+\.md)")
DOC_CITATION = re.compile(r'docs/([A-Za-z0-9_.-]+\.md),? "([^"\n]+)"')
THIS_FILE = "Tests/python/test_self_contained.py"
LINE_BREAK = re.compile(r'[ \t]*\n[ \t]*(?:///|//|#|\*(?!/))?[ \t]*')


def tracked_files():
    """The repository's tracked files (git ls-files), else every file outside build folders
    (an unpacked source archive)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=SOURCE_DIR, capture_output=True,
                                check=True).stdout.decode().split("\0")
        return [f for f in listed if f and os.path.isfile(os.path.join(SOURCE_DIR, f))]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for root, dirs, files in os.walk(SOURCE_DIR):
            dirs[:] = [d for d in dirs if not d.startswith((".build", ".git", "demo"))]
            found += [os.path.relpath(os.path.join(root, f), SOURCE_DIR) for f in files]
        return found


def text_files():
    """{path: text} of the tracked text files (binary files skipped)."""
    texts = {}
    for name in tracked_files():
        with open(os.path.join(SOURCE_DIR, name), "rb") as f:
            data = f.read()
        if b"\0" in data[:8192]:
            continue
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


@pytest.fixture(scope="module")
def texts():
    found = text_files()
    assert len(found) > 100, f"only {len(found)} text files found under {SOURCE_DIR}"
    return found


def headings(path):
    """The headings of a Markdown file, without their #s, each also without a trailing
    parenthesis (`Checking a word by silencing it (`--verify`)` is cited without it)."""
    with open(path, encoding="utf-8") as f:
        found = {line.lstrip("#").strip() for line in f if line.startswith("#")}
    return found | {re.sub(r" \(.*\)$", "", h) for h in found}


def test_no_tracked_file_points_outside_the_repository(texts):
    offences = []
    for name, text in texts.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            for what, pattern in FORBIDDEN:
                if pattern.search(line):
                    offences.append(f"{name}:{lineno}: {what}: {line.strip()[:120]}")
    assert not offences, "files that point outside the repository:\n" + "\n".join(offences)


def test_forbidden_patterns_catch_what_they_are_for():
    """The check above can fail: each pattern matches the kind of line it exists to catch."""
    samples = ["see ../" + SIBLING + "/data/dev", 'os.path.join(ROOT, "..", "' + SIBLING + '", "tools")',
               "LEAFX_" + SIBLING.upper() + "_DIR=x", "(DESIGN" + " §6.4)", "FORMATS" + ".md §2",
               "(Issue" + " #5)"]
    for sample, (what, pattern) in zip(samples, FORBIDDEN):
        assert pattern.search(sample), f"{what}: {sample!r} not caught"
    assert not any(p.search("Tests/data/dev/manifest.jsonl") for _, p in FORBIDDEN)


def test_every_cited_doc_and_heading_exists(texts):
    missing = []
    docs_dir = os.path.join(SOURCE_DIR, "docs")
    for name, text in texts.items():
        if name == THIS_FILE:  # its docstring and patterns name docs/NAME.md as placeholders
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            for doc in DOC_NAME.findall(line):
                if not os.path.isfile(os.path.join(docs_dir, doc)):
                    missing.append(f"{name}:{lineno}: docs/{doc} does not exist")
        for doc, heading in DOC_CITATION.findall(LINE_BREAK.sub(" ", text)):
            path = os.path.join(docs_dir, doc)
            if os.path.isfile(path) and heading not in headings(path):
                missing.append(f'{name}: docs/{doc} has no heading "{heading}"')
    assert not missing, "citations that lead nowhere:\n" + "\n".join(missing)


def test_citation_check_reads_across_comment_lines(tmp_path):
    flat = LINE_BREAK.sub(" ", '/// the ablation of docs/methods.md,\n  /// "Causal layer\n  /// reweighting".')
    assert DOC_CITATION.findall(flat) == [("methods.md", "Causal layer reweighting")]


def test_the_installed_headers_cite_only_installed_files():
    """leafx.h and leafx.hpp are installed alone: they explain themselves instead of pointing
    at the repository's docs or tests."""
    for header in ("include/leafx.h", "bindings/cpp/leafx.hpp"):
        with open(os.path.join(SOURCE_DIR, header), encoding="utf-8") as f:
            text = f.read()
        for pattern in (r"docs/", r"Tests/", r"DESIGN", r"README", r"\bissue #?\d"):
            found = re.search(pattern, text)
            assert not found, f"{header} cites {found.group(0)!r}, which is not installed with it"


def test_the_dev_set_and_reference_attributions_are_tracked():
    tracked = set(tracked_files())
    with open(os.path.join(DEV_DIR, "manifest.jsonl")) as f:
        utterances = [json.loads(line) for line in f if line.strip()]
    assert len(utterances) == 33
    for u in utterances:
        audio = os.path.relpath(os.path.join(DEV_DIR, u["audio"]), SOURCE_DIR)
        assert audio in tracked, f"{audio} is not tracked"
        starts = [w["start"] for w in u["words"]]
        assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in u["words"]), u["id"]
        assert u["words"][-1]["end"] <= u["duration"] + 0.05, u["id"]
    for uid in ("jfk", "1688-142285-0000", "2033-164914-0000"):
        assert f"Tests/reference/attributions/{uid}.npz" in tracked
    for converter in ("ct2_reader.py", "ct2_to_ggml.py", "ct2_to_safetensors.py"):
        assert f"Tests/reference/{converter}" in tracked
