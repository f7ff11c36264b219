"""The bad-input suite: every hostile input of bad_inputs.py through the C ABI
(Tests/c/test_bad_inputs.c), once against the installed release library with tiny.en, and
once against the AddressSanitizer build (make test-asan) with the synthetic model, where any
out-of-bounds read, use after free or leak in the Swift code aborts the driver.

Each case must give its expected status and a message naming the input, never a crash or a
hang; models that load (and audio that decodes) are transcribed and explained too, and every
attribution they return must be finite, non-negative and sum to 1. The table of results is
written to $LEAFX_BAD_INPUT_TABLE when set (make test-asan sets it)."""
import os
import re
import subprocess

import pytest

import bad_inputs
from conftest import DEV_DIR, SOURCE_DIR, compile_sanitized_driver, read_wav, swift_runtime_library_paths

ASAN_LIBRARY = os.environ.get("LEAFX_ASAN_LIBRARY")
# A case that hangs is a failure; these bound the whole driver run.
TIMEOUT_S = 900


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-inputs")
    models, base = bad_inputs.build_models(str(root))
    if models is None:
        pytest.fail(base)
    speech = read_wav(os.path.join(DEV_DIR, "audio", "jfk.wav"))[: 16000 * 4]
    cases = models + bad_inputs.audio_cases(str(root), speech) + bad_inputs.explain_cases()
    return root, base, cases


def parse(stdout):
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("case\t"):
            _, name, status, detail = (line.split("\t", 3) + [""])[:4]
            rows[name] = (status, detail)
    return rows


def check(cases, rows, names_in_message=True):
    """Failures as text lines: a wrong status, a message that names nothing, an engine call
    on a loaded model that failed with something other than a clean error, or attributions
    that are not distributions."""
    failures = []
    for kind, name, args, expect in cases:
        if name not in rows and kind != "pcm":
            failures.append(f"{name}: no result line")
            continue
        if kind == "pcm":
            for call in ("from_pcm", "transcribe", "explain"):
                status, detail = rows.get(f"{name}/{call}", ("missing", ""))
                if expect == "any":
                    clean = status == "invalid argument" and detail.strip()
                    valid = status == "ok" and (call != "explain" or "bad_attributions=0" in detail)
                    if not (clean or valid):
                        failures.append(f"{name}/{call}: {status} [{detail}]")
                elif status != "invalid argument" or "pcm" not in detail and "sample" not in detail:
                    failures.append(f"{name}/{call}: {status} [{detail}]")
            continue
        status, detail = rows[name]
        if expect == "ok" and status != "ok":
            failures.append(f"{name}: expected ok, got {status} [{detail}]")
        elif expect.startswith("error:"):
            wanted = expect.split(":", 1)[1]
            if status != wanted:
                failures.append(f"{name}: expected {wanted}, got {status} [{detail}]")
            elif names_in_message and kind in ("model", "audio"):
                path = args[0].rstrip("/")
                if not any(part in detail for part in (os.path.basename(path), os.path.basename(os.path.dirname(path)))):
                    failures.append(f"{name}: message does not name the input [{detail}]")
        elif expect == "any" and status != "ok" and not detail.strip():
            failures.append(f"{name}: {status} without a message")
        if status == "ok" and kind in ("model", "audio"):
            for call in ("transcribe", "explain"):
                sub = rows.get(f"{name}/{call}")
                if sub is None:
                    continue  # audio runs need a model; models always run
                if sub[0] != "ok" and (sub[0] in ("internal error", "missing") or not sub[1].strip()):
                    failures.append(f"{name}/{call}: {sub[0]} [{sub[1]}]")
                if kind == "model" and expect == "ok" and call == "transcribe" and sub[0] != "ok":
                    failures.append(f"{name}/{call}: a valid model must transcribe: {sub[0]} [{sub[1]}]")
                if sub[0] == "ok" and "bad_attributions=0" not in sub[1] and call == "explain":
                    failures.append(f"{name}/{call}: broken attributions [{sub[1]}]")
        if kind == "explain" and status == "ok" and "bad_attributions=0" not in detail:
            failures.append(f"{name}: broken attributions [{detail}]")
    return failures


def table(cases, rows):
    lines = ["| input | expected | result | detail |", "|---|---|---|---|"]
    for kind, name, args, expect in cases:
        names = [f"{name}/from_pcm"] if kind == "pcm" else [name]
        names += [n for n in (f"{name}/transcribe", f"{name}/explain") if n in rows]
        for n in names:
            status, detail = rows.get(n, ("missing", ""))
            lines.append(f"| {n} | {expect if n == names[0] else ''} | {status} | {detail[:110].replace('|', '/')} |")
    return "\n".join(lines)


def words(detail):
    text = detail.split("text=", 1)[1] if "text=" in detail else ""
    return re.findall(r"[a-z']+", text.lower())


def run_driver(binary, manifest, env):
    try:
        result = subprocess.run([*env, str(binary), str(manifest)], capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the driver hung (>{TIMEOUT_S} s); last lines:\n{(e.stdout or b'')[-3000:]}")
    assert result.returncode == 0 and result.stdout.rstrip().endswith("done"), (
        f"driver exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return parse(result.stdout)


def test_bad_inputs_with_the_release_library(inputs, compile_c, clean_env, models_dir):
    root, _, cases = inputs
    binary = compile_c("test_bad_inputs", os.path.join(SOURCE_DIR, "Tests", "c", "test_bad_inputs.c"))
    manifest = root / "manifest-release.tsv"
    bad_inputs.write_manifest(manifest, os.path.join(models_dir, "tiny.en"), cases)
    rows = run_driver(binary, manifest, clean_env)
    print(table(cases, rows))
    failures = check(cases, rows)
    # Correct results, not only statuses: resampled, multi-channel and clipped copies of the
    # speech say what the 16 kHz original says; silence says nothing.
    reference = words(rows["audio/speech-16k.wav/transcribe"][1])
    assert len(reference) >= 5, rows["audio/speech-16k.wav/transcribe"]
    for name in ("speech-8000.wav", "speech-44100.wav", "speech-48000.wav", "speech-6ch.wav", "clipped.wav",
                 "float-over-range.wav"):
        got = words(rows[f"audio/{name}/transcribe"][1])
        shared = len(set(got) & set(reference)) / len(set(reference))
        if shared < 0.8:
            failures.append(f"audio/{name}: transcript {got} differs from the 16 kHz one {reference}")
    if not rows["audio/silence.wav/transcribe"][1].startswith("tokens=0 "):
        failures.append(f"audio/silence.wav: not an empty transcript: {rows['audio/silence.wav/transcribe'][1]}")
    if os.environ.get("LEAFX_BAD_INPUT_TABLE"):
        with open(os.environ["LEAFX_BAD_INPUT_TABLE"], "w") as f:
            f.write(table(cases, rows) + "\n")
    assert not failures, "\n".join(failures)


def test_abi_misuse_with_the_release_library(inputs, compile_c, clean_env):
    _, base, _ = inputs
    binary = compile_c("test_abi_misuse", os.path.join(SOURCE_DIR, "Tests", "c", "test_abi_misuse.c"))
    result = subprocess.run([*clean_env, str(binary), base], capture_output=True, text=True, timeout=TIMEOUT_S)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed and " 0 failed" in result.stdout, (
        "\n".join(failed) + result.stdout[-2000:] + result.stderr[-3000:])


def swift_runtime_env():
    """`env` arguments that find the Swift runtime and keep leak checking on."""
    return ["env", f"LD_LIBRARY_PATH={':'.join(swift_runtime_library_paths())}",
            "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1"]


def compile_asan_driver(source, output):
    return compile_sanitized_driver(source, output, ASAN_LIBRARY, "address")


@pytest.mark.skipif(not ASAN_LIBRARY, reason="LEAFX_ASAN_LIBRARY is set by make test-asan")
def test_bad_inputs_under_address_sanitizer(inputs, tmp_path):
    root, base, cases = inputs
    binary = compile_asan_driver("test_bad_inputs.c", tmp_path / "test_bad_inputs_asan")
    manifest = root / "manifest-asan.tsv"
    # The synthetic model for the audio and explain cases: the same engine code as tiny.en at
    # a fraction of the cost under ASan (its transcripts are noise, so only statuses count).
    bad_inputs.write_manifest(manifest, base, cases)
    rows = run_driver(binary, manifest, swift_runtime_env())
    failures = check(cases, rows)
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(not ASAN_LIBRARY, reason="LEAFX_ASAN_LIBRARY is set by make test-asan")
def test_abi_misuse_under_address_sanitizer(inputs, tmp_path):
    _, base, _ = inputs
    binary = compile_asan_driver("test_abi_misuse.c", tmp_path / "test_abi_misuse_asan")
    result = subprocess.run([*swift_runtime_env(), str(binary), base], capture_output=True, text=True, timeout=TIMEOUT_S)
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    assert result.returncode == 0 and not failed, "\n".join(failed) + result.stderr[-6000:]
