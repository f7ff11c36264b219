"""The core's folders depend on each other one way (docs/design.md, "Dependency rules").

Each folder of Sources/LeafXCore may use the types of the folders ALLOWED names for it, and no
others. The test reads the Swift sources as text: it collects the types each folder declares at
top level (struct, enum, class, protocol, actor, typealias; `extension X` declares nothing), then
looks for those names, as whole words outside comments and string literals, in the files of every
other folder. A name the folder may not use fails the test with the file, the line and the rule.
The map is mirrored in docs/design.md and the two must agree. The targets above the core import
it and not each other: the C shims (Sources/LeafXCABI) never the command line (Sources/LeafXCLI)
or swift-argument-parser, the command line never the shims or the C header's module, and the core
none of them. Standard library only: no Swift toolchain or build is needed."""
import os
import re

import pytest

SOURCE_DIR = os.environ.get(
    "LEAFX_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
SOURCES = os.path.join(SOURCE_DIR, "Sources")
CORE = os.path.join(SOURCES, "LeafXCore")
DESIGN = os.path.join(SOURCE_DIR, "docs", "design.md")
RULES = 'docs/design.md, "Dependency rules"'

# The folders of LeafXCore, bottom to top, and the folders whose types each may use: exactly
# what the code uses (a new arrow, even a downward one, is a decision made here and in
# docs/design.md). Base/ and Tensor/ are the bottom and use nothing. A subfolder
# (Explain/Methods) counts as its folder.
ALLOWED = {
    "Base": set(),
    "Tensor": set(),
    "Audio": {"Base"},
    "Formats": {"Base", "Tensor"},
    "Tokenizer": {"Base", "Formats"},
    "Models": {"Base", "Tensor", "Audio", "Formats", "Tokenizer"},
    "Decoding": {"Base", "Tensor", "Audio", "Tokenizer", "Models"},
    "Explain": {"Base", "Tensor", "Audio", "Formats", "Tokenizer", "Models", "Decoding"},
    "Metrics": {"Base", "Decoding", "Explain"},
    "Report": {"Base", "Audio", "Models", "Decoding", "Explain"},
    "Bench": {"Base", "Audio", "Formats", "Tokenizer", "Models", "Decoding", "Explain", "Metrics"},
}

# Modules a target's files may not import.
FORBIDDEN_IMPORTS = {
    "LeafXCore": {"LeafXCABI", "LeafXCLI", "CLeafXABI", "ArgumentParser"},
    "LeafXCABI": {"LeafXCLI", "ArgumentParser"},
    "LeafXCLI": {"LeafXCABI", "CLeafXABI"},
}

DECLARATION = re.compile(r"\b(?:struct|enum|class|protocol|actor|typealias)\s+([A-Za-z_]\w*)")
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?(\w+)",
    re.M)
OPENING_QUOTE = re.compile(r'(#*)("""|")')


def code_only(text):
    """`text` with comments and string literals blanked (line breaks kept, so line numbers
    hold); the code inside a string's interpolations `\\( … )` is kept."""
    out = []
    stack = []  # ["string", delimiter, hashes] or ["interpolation", open parentheses]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if stack and stack[-1][0] == "string":
            _, delimiter, hashes = stack[-1]
            escape = "\\" + "#" * hashes
            if text.startswith(escape, i):
                j = i + len(escape)
                if text.startswith("(", j):
                    stack.append(["interpolation", 0])
                    out.append(" " * (j + 1 - i))
                    i = j + 1
                else:  # an escaped character: both blanked
                    out.append(" " * (j - i) + ("\n" if text[j:j + 1] == "\n" else " "))
                    i = j + 1
                continue
            closing = delimiter + "#" * hashes
            if text.startswith(closing, i):
                stack.pop()
                out.append(" " * len(closing))
                i += len(closing)
                continue
            out.append("\n" if c == "\n" else " ")
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if text.startswith("/*", i):  # Swift block comments nest
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        quote = OPENING_QUOTE.match(text, i) if c in '#"' else None
        if quote:
            stack.append(["string", quote.group(2), len(quote.group(1))])
            out.append(" " * len(quote.group(0)))
            i += len(quote.group(0))
            continue
        if stack:  # inside an interpolation
            if c == "(":
                stack[-1][1] += 1
            elif c == ")":
                if stack[-1][1] == 0:
                    stack.pop()
                    out.append(" ")
                    i += 1
                    continue
                stack[-1][1] -= 1
        out.append(c)
        i += 1
    return "".join(out)


def swift_files(folder):
    """{path relative to the repository: code without comments and strings} under `folder`."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".swift"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    found[os.path.relpath(path, SOURCE_DIR)] = code_only(f.read())
    return found


def core_folder(path):
    """The LeafXCore folder of a path relative to the repository (Explain/Methods/x → Explain)."""
    return os.path.relpath(os.path.join(SOURCE_DIR, path), CORE).split(os.sep)[0]


def top_level_types(code):
    """The type names `code` declares outside any braces."""
    names, depth = [], 0
    for line in code.split("\n"):
        if depth == 0:
            names += [m.group(1) for m in DECLARATION.finditer(line)]
        depth += line.count("{") - line.count("}")
    return names


@pytest.fixture(scope="module")
def core():
    files = swift_files(CORE)
    assert len(files) > 100, f"only {len(files)} Swift files found under {CORE}"
    return files


def declared_in(core):
    """{type name: set of folders that declare it}."""
    owners = {}
    for path, code in core.items():
        for name in top_level_types(code):
            owners.setdefault(name, set()).add(core_folder(path))
    return owners


def uses(core):
    """(path, line number, folder, name, owner folder) of every use of a type declared in
    another folder, when neither the file's folder nor a folder it may use declares the name
    too."""
    owners = declared_in(core)
    word = re.compile(r"\b(" + "|".join(sorted(map(re.escape, owners), key=len, reverse=True)) + r")\b")
    found = []
    for path, code in sorted(core.items()):
        folder = core_folder(path)
        visible = {folder} | ALLOWED.get(folder, set())
        for number, line in enumerate(code.split("\n"), 1):
            for m in word.finditer(line):
                where = owners[m.group(1)]
                if not where & visible:
                    found.append((path, number, folder, m.group(1), sorted(where)[0]))
    return found


def rule(folder):
    allowed = sorted(ALLOWED.get(folder, set()))
    return f"{folder}/ may use " + (", ".join(f"{f}/" for f in allowed) if allowed else "nothing")


def test_every_folder_has_a_rule(core):
    folders = {core_folder(path) for path in core}
    assert folders == set(ALLOWED), (
        f"folders of LeafXCore without a rule: {sorted(folders - set(ALLOWED))}; rules without a "
        f"folder: {sorted(set(ALLOWED) - folders)} (edit ALLOWED here and {RULES})")


def test_the_rules_are_layered():
    """The allowed uses have no cycle, so the folders stack in layers."""
    done, stack = set(), []

    def visit(folder):
        if folder in stack:
            cycle = stack[stack.index(folder):] + [folder]
            pytest.fail("the rules allow a cycle: " + " -> ".join(cycle))
        if folder in done:
            return
        stack.append(folder)
        for other in sorted(ALLOWED[folder]):
            assert other in ALLOWED, f"{folder}/ may use {other}/, which has no rule"
            visit(other)
        stack.pop()
        done.add(folder)

    for folder in ALLOWED:
        visit(folder)


def test_no_folder_uses_a_type_it_may_not(core):
    found = uses(core)
    assert not found, f"uses against the dependency rules ({RULES}):\n" + "\n".join(
        f"{path}:{number}: {folder}/ uses {name}, declared in {owner}/; {rule(folder)}"
        for path, number, folder, name, owner in found)


def test_the_design_page_states_the_same_rules():
    """docs/design.md lists one bullet per folder, `- `Folder/`: `Other/`, …` (or "nothing"),
    under the heading "Dependency rules"; a bullet may run on to indented lines."""
    with open(DESIGN, encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^#+ Dependency rules\n(.*?)(?=^#)", text, re.M | re.S)
    assert section, 'docs/design.md has no section "Dependency rules"'
    stated = {}
    bullets = re.sub(r"\n[ \t]+", " ", section.group(1))  # a bullet may wrap
    for m in re.finditer(r"^- `(\w+)/`: (.*)$", bullets, re.M):
        stated[m.group(1)] = set(re.findall(r"`(\w+)/`", m.group(2)))
    assert stated == ALLOWED, (
        f"{RULES} and ALLOWED in this test differ: "
        + "; ".join(f"{f}/: page {sorted(stated.get(f, []))}, test {sorted(ALLOWED.get(f, []))}"
                    for f in sorted(set(stated) | set(ALLOWED)) if stated.get(f) != ALLOWED.get(f)))


@pytest.mark.parametrize("target", sorted(FORBIDDEN_IMPORTS))
def test_targets_import_only_downward(target):
    files = swift_files(os.path.join(SOURCES, target))
    assert files, f"no Swift files in Sources/{target}"
    bad = [f"{path}:{code[:m.start(1)].count(chr(10)) + 1}: {target} imports {m.group(1)}"
           for path, code in files.items() for m in IMPORT.finditer(code)
           if m.group(1) in FORBIDDEN_IMPORTS[target]]
    assert not bad, f"imports against the dependency rules ({RULES}):\n" + "\n".join(bad)


def test_the_scanner_sees_uses_and_skips_comments_and_strings():
    text = ('let a = "WhisperModel \\(Tensor.zero) \\"x\\"" // WhisperDecoder\n'
            '/* WhisperEncoder /* nested */ still */ let b: LogMel\n'
            'let c = #"WhisperTask \\(x)"# + """\nTokenizerLine\n"""\n')
    code = code_only(text)
    assert set(re.findall(r"[A-Z]\w+", code)) == {"Tensor", "LogMel"}, code
    assert len(code) == len(text) and code.count("\n") == text.count("\n")
    assert top_level_types("struct A {\n  enum B {}\n}\nextension C {}\ntypealias D = A\n") == ["A", "D"]
