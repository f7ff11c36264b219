"""What an output tells about the machine that wrote it. By default the JSON, HTML and SVG of
`leafx explain`, the JSON of `transcribe`, `features` and `info`, and the results file of
`bench` name the audio and the model by their file names ("jfk.wav", "tiny.en"), never by an
absolute path, so that they can be shared as they are; `--full-paths` writes the absolute
paths instead (docs/cli.md, "Paths in outputs")."""
import json
import os
import re

import pytest

from conftest import DEV_DIR, SOURCE_DIR, leafx_binary, model_dir, run

JFK = os.path.abspath(os.path.join(SOURCE_DIR, "data", "jfk.wav"))


def tiny_en():
    """The model directory, as given to -m (absolute)."""
    return os.path.abspath(model_dir("tiny.en"))


def machine_paths():
    """Absolute paths that must not appear by default: the audio's and the model's (as given
    and resolved), the checkout's and the home directory."""
    model = tiny_en()
    paths = {JFK, os.path.realpath(JFK), SOURCE_DIR, model, os.path.realpath(model)}
    home = os.path.expanduser("~")
    if len(home) > 1:
        paths.add(home)
    return sorted(paths)


def assert_no_machine_path(text, what):
    leaked = [path for path in machine_paths() if path in text]
    assert not leaked, f"{what} carries {leaked}"


def without_base64(html):
    """The page without its base64 payloads (audio, spectrogram), where any short string
    could turn up by chance."""
    return re.sub(r'<script type="text/plain" id="leafx-[a-z]+">.*?</script>', "", html, flags=re.S)


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    """JFK explained with tiny.en, both given by absolute paths, in json, html and svg, with
    and without --full-paths: {(format, full): text}."""
    directory = tmp_path_factory.mktemp("privacy")
    outputs = {}
    for fmt in ("json", "html", "svg"):
        for full in (False, True):
            path = directory / f"jfk{'-full' if full else ''}.{fmt}"
            run([leafx_binary(), "explain", JFK, "-m", tiny_en(), "--method", "raa", "--format", fmt,
                 "-o", str(path), *(["--full-paths"] if full else [])])
            outputs[fmt, full] = path.read_text()
    return outputs


def test_explain_json_names_files_by_default(explained):
    text = explained["json", False]
    assert_no_machine_path(text, "explain --format json")
    document = json.loads(text)
    assert document["audio"]["path"] == "jfk.wav"
    assert document["model"]["path"] == "tiny.en" and document["model"]["name"] == "tiny.en"


def test_explain_json_full_paths(explained):
    document = json.loads(explained["json", True])
    assert document["audio"]["path"] == JFK
    assert document["model"]["path"] == tiny_en()


def test_html_report_names_files_by_default(explained):
    html = explained["html", False]
    assert_no_machine_path(without_base64(html), "the HTML report")
    assert "<title>leafx · jfk.wav</title>" in html
    data = json.loads(re.search(r'id="leafx-explanation">(.*?)</script>', html, re.S).group(1))
    assert data["audio"]["path"] == "jfk.wav" and data["model"]["path"] == "tiny.en"
    # --full-paths: in the visible title and in the embedded JSON.
    full = explained["html", True]
    assert f"<title>leafx · {JFK}</title>" in full
    data = json.loads(re.search(r'id="leafx-explanation">(.*?)</script>', full, re.S).group(1))
    assert data["audio"]["path"] == JFK and data["model"]["path"] == tiny_en()


def test_svg_heatmap_names_the_audio_by_default(explained):
    assert_no_machine_path(explained["svg", False], "the SVG heatmap")
    assert "jfk.wav" in explained["svg", False]
    assert JFK in explained["svg", True]


def test_transcribe_json():
    """A relative audio path too: --full-paths makes it absolute."""
    args = [leafx_binary(), "transcribe", "data/jfk.wav", "-m", tiny_en(), "--beam", "1", "--format", "json"]
    text = run(args, cwd=SOURCE_DIR).stdout
    assert_no_machine_path(text, "transcribe --format json")
    document = json.loads(text)
    assert document["audio"]["path"] == "jfk.wav" and document["model"]["path"] == "tiny.en"
    document = json.loads(run([*args, "--full-paths"], cwd=SOURCE_DIR).stdout)
    # Made absolute against the working directory, as the system reports it.
    assert document["audio"]["path"] == os.path.join(os.path.realpath(SOURCE_DIR), "data", "jfk.wav")
    assert document["model"]["path"] == tiny_en()


def test_features_json(tmp_path):
    out = tmp_path / "jfk.json"
    run([leafx_binary(), "features", JFK, "--format", "json", "-o", str(out)])
    text = out.read_text()
    assert_no_machine_path(text[:1000], "features --format json")
    assert json.loads(text)["audio"] == "jfk.wav"
    run([leafx_binary(), "features", JFK, "--format", "json", "-o", str(out), "--full-paths"])
    assert json.loads(out.read_text())["audio"] == JFK


def test_info():
    for fmt in ("json", "text"):
        text = run([leafx_binary(), "info", tiny_en(), "--format", fmt]).stdout
        assert_no_machine_path(text, f"info --format {fmt}")
    assert json.loads(run([leafx_binary(), "info", tiny_en(), "--format", "json"]).stdout)["path"] == "tiny.en"
    full = run([leafx_binary(), "info", tiny_en(), "--format", "json", "--full-paths"]).stdout
    assert json.loads(full)["path"] == tiny_en()


def test_bench_results_name_the_model(tmp_path):
    """The results file's configuration names the model as `-m tiny.en` would, even when -m
    is a path; with --full-paths by its absolute path."""
    manifest = os.path.join(DEV_DIR, "manifest.jsonl")
    common = [leafx_binary(), "bench", manifest, "-m", tiny_en(), "--methods", "random", "--metrics", "spr",
              "--limit", "1", "--quiet", "--format", "json"]
    results = tmp_path / "named.jsonl"
    summary = run([*common, "--results", str(results)]).stdout
    for text in (summary, results.read_text()):
        assert_no_machine_path(text, "bench output")
    assert [json.loads(line)["config"].split()[0] for line in results.read_text().splitlines()] == ["model=tiny.en"]
    results = tmp_path / "full.jsonl"
    run([*common, "--results", str(results), "--full-paths"])
    configs = [json.loads(line)["config"].split()[0] for line in results.read_text().splitlines()]
    assert configs == [f"model={tiny_en()}"]
