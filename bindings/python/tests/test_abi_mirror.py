"""leafx/_abi.py mirrors include/leafx.h exactly: every struct has the C compiler's size and
field offsets, and every function of the header is declared (and nothing else)."""
import ctypes
import os
import re
import shutil

import pytest

from conftest import PACKAGE_DIR, SOURCE_DIR, run

HEADER = os.path.join(SOURCE_DIR, "include", "leafx.h")


def header_functions():
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"\b(leafx_\w+)\s*\([^;{]*\)\s*;", text))


def test_every_function_is_declared(leafx):
    from leafx import _abi
    assert set(_abi.PROTOTYPES) == header_functions()


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler (installed by make test-deps)")
def test_struct_layouts_equal_the_compilers(leafx, tmp_path):
    from leafx import _abi
    lines = ["#include <leafx.h>", "#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    expected = []
    for struct in _abi.STRUCTS:
        c = struct._c_name_
        lines.append(f'    printf("{c} %zu\\n", sizeof({c}));')
        expected.append(f"{c} {ctypes.sizeof(struct)}")
        for name, _ in struct._fields_:
            lines.append(f'    printf("{c}.{name} %zu\\n", offsetof({c}, {name}));')
            expected.append(f"{c}.{name} {getattr(struct, name).offset}")
    lines += ["    return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    binary = tmp_path / "layout"
    run(["cc", "-Wall", "-Werror", "-I", os.path.join(SOURCE_DIR, "include"), "-o", binary, source])
    printed = run([binary]).stdout.split("\n")[:-1]
    assert printed == expected


def header_struct_fields():
    """{struct name: [field names in order]} of the header's typedef structs."""
    text = re.sub(r"/\*.*?\*/", "", open(HEADER).read(), flags=re.S)
    structs = {}
    for name, body in re.findall(r"typedef struct (leafx_\w+) \{(.*?)\} \1;", text, flags=re.S):
        declarations = [d.strip() for d in body.split(";") if d.strip()]
        structs[name] = [re.findall(r"\w+", d)[-1] for d in declarations]
    return structs


def test_every_struct_field_is_mirrored_in_order(leafx):
    """Catches a field appended to the header that would hide in a struct's tail padding."""
    from leafx import _abi
    header = header_struct_fields()
    assert set(header) == {s._c_name_ for s in _abi.STRUCTS}
    for struct in _abi.STRUCTS:
        assert [name for name, _ in struct._fields_] == header[struct._c_name_], struct._c_name_


def test_package_has_no_extension_module():
    files = [f for _, _, names in os.walk(os.path.join(PACKAGE_DIR, "leafx")) for f in names]
    assert not [f for f in files if f.endswith((".so", ".c", ".pyx", ".pyd"))], files
