"""`make install PREFIX=...`: files and links, pkg-config, exported symbols = the header's
declarations, no Swift runtime dependency, programs that run under env -i."""
import os
import re
import subprocess

from conftest import DEV_DIR, SOURCE_DIR, pkg_config, run

HEADER = os.path.join(SOURCE_DIR, "include", "leafx.h")


def header_functions():
    text = open(HEADER).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"\b(leafx_\w+)\s*\([^;{]*\)\s*;", text))


def test_layout_and_soname(prefix):
    lib = prefix / "lib"
    assert os.readlink(lib / "libleafx.so") == "libleafx.so.0"
    assert os.readlink(lib / "libleafx.so.0") == "libleafx.so.0.3.0"
    assert (prefix / "include" / "leafx.h").is_file() and (prefix / "bin" / "leafx").is_file()
    dynamic = run(["readelf", "-d", str(lib / "libleafx.so.0.3.0")]).stdout
    assert "Library soname: [libleafx.so.0]" in dynamic


def test_pkg_config(pkg_env, prefix):
    assert pkg_config(pkg_env, "--modversion") == ["0.3.0"]
    assert f"-I{prefix}/include" in pkg_config(pkg_env, "--cflags")
    assert pkg_config(pkg_env, "--libs") == [f"-L{prefix}/lib", "-lleafx"]


def test_exports_are_exactly_the_header(prefix):
    declared = header_functions()
    assert len(declared) >= 18, declared
    nm = run(["nm", "-D", "--defined-only", str(prefix / "lib" / "libleafx.so.0")]).stdout
    exported = {line.split()[-1].split("@")[0] for line in nm.splitlines() if line.strip()}
    print("\n" + nm)
    assert exported == declared, (
        f"exported but not declared: {sorted(exported - declared)}; "
        f"declared but not exported: {sorted(declared - exported)}")


def test_no_swift_runtime_needed(prefix):
    for binary in (prefix / "lib" / "libleafx.so.0", prefix / "bin" / "leafx"):
        ldd = run(["ldd", str(binary)]).stdout
        print(f"\n{binary}:\n{ldd}")
        assert "swift" not in ldd.lower() and "Foundation" not in ldd, ldd
        assert "not found" not in ldd, ldd


def test_every_prototype_is_called(compile_c, clean_env):
    source = os.path.join(SOURCE_DIR, "Tests", "c", "all_prototypes.c")
    called = set(re.findall(r"\b(leafx_\w+)\s*\(", open(source).read()))
    missing = header_functions() - called
    assert not missing, f"Tests/c/all_prototypes.c does not call {sorted(missing)}"
    binary = compile_c("all_prototypes", source, extra=("-std=c11", "-pedantic"))
    run([*clean_env, str(binary)])


def test_header_compiles_as_cpp(compile_c, clean_env, tmp_path):
    source = tmp_path / "header.cpp"
    source.write_text('#include <leafx.h>\nint main() { return leafx_abi_version() == LEAFX_ABI_VERSION ? 0 : 1; }\n')
    binary = compile_c("header_cpp", str(source), compiler="c++", extra=("-std=c++17", "-pedantic"))
    run([*clean_env, str(binary)])


def test_readme_example(compile_c, clean_env):
    binary = compile_c("features", os.path.join(SOURCE_DIR, "examples", "c", "features.c"))
    out = run([*clean_env, str(binary), os.path.join(DEV_DIR, "audio", "jfk.wav")]).stdout
    assert "176000 samples (11.00 s) -> 80 x 1101 log-mel" in out, out


def test_cli_version_and_errors(prefix, clean_env, tmp_path):
    leafx = str(prefix / "bin" / "leafx")
    assert run([*clean_env, leafx, "--version"]).stdout.strip() == "0.3.0"
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    result = subprocess.run([*clean_env, leafx, "features", str(bad), "-o", str(tmp_path / "x.npy")],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "notes.wav" in result.stderr and "not an audio file" in result.stderr
    result = subprocess.run([*clean_env, leafx, "features", str(bad), "--mels", "64", "-o", "x.npy"],
                            capture_output=True, text=True)
    assert result.returncode == 64 and "--mels" in result.stderr


def test_models_command_from_the_prefix(prefix, clean_env, tmp_path):
    """The installed leafx runs the share/leafx/fetch_models.py installed beside its bin/ (no
    source tree, nothing from the caller's environment, python3 from the default PATH): it lists
    the models it can fetch, refuses unknown names, and its -m error points at it."""
    script = prefix / "share" / "leafx" / "fetch_models.py"
    assert script.is_file() and os.access(script, os.X_OK)
    assert open(script).read() == open(os.path.join(SOURCE_DIR, "scripts", "fetch_models.py")).read()
    models = tmp_path / "models"
    (models / "my-ct2").mkdir(parents=True)
    leafx = [*clean_env, f"LEAFX_MODELS={models}", str(prefix / "bin" / "leafx")]
    out = run([*leafx, "models", "list"], cwd=tmp_path).stdout
    assert "leafx cannot list" not in out, out
    assert [line.split()[0] for line in out.splitlines() if "not installed" in line] == ["tiny.en", "base"]
    assert "my-ct2" in out.split("Other models in the cache", 1)[1]
    result = subprocess.run([*leafx, "models", "fetch", "small"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 64 and "leafx can fetch tiny.en, base" in result.stderr, result
    result = subprocess.run([*leafx, "info", "small"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "(which holds my-ct2;" in result.stderr, result
    assert "`leafx models fetch NAME`" in result.stderr
