"""HTML from Python: Explanation.to_html() / save_html() write the report of `leafx explain
--format html` (leafx_result_to_html), and _repr_html_ is a compact notebook view."""
import base64
import ctypes
import html
import json
import pickle
import re
import struct

import pytest

from conftest import JFK, read_wav

FORCED = "ask not what your country can do for you"


def embedded_json(page):
    match = re.search(r'<script type="application/json" id="leafx-explanation">(.*?)</script>', page, re.S)
    assert match, "the page carries no explanation JSON"
    return json.loads(match.group(1))


def test_to_html_is_the_cli_report(tiny, cli, tmp_path):
    """The page holds every word, and is the page `leafx explain --format html` writes for
    the same audio and options."""
    cli_page = cli("explain", JFK, "-m", "tiny.en", "--text", FORCED, "--format", "html")
    explanation = tiny.explain(JFK, text=FORCED)
    page = explanation.to_html()
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert "<title>leafx · jfk.wav</title>" in page
    document = embedded_json(page)
    assert [w["word"] for w in document["words"]] == [w.text for w in explanation.words]
    assert document["audio"]["path"] == "jfk.wav" and document["method"] == "leafx"
    assert all(html.escape(w.text, quote=False) in page for w in explanation.words)
    # The same page as the command line's: tags, embedded data, audio and all.
    assert re.findall(r"<[a-z]+\b", page) == re.findall(r"<[a-z]+\b", cli_page)
    assert document == embedded_json(cli_page)
    assert page == cli_page
    path = tmp_path / "report.html"
    explanation.save_html(path)
    assert path.read_text(encoding="utf-8") == page


def test_to_html_on_samples_and_its_limits(leafx, tiny, tmp_path):
    """Samples given as an array make a page titled "audio"; the report needs the
    leafx_result and the audio, so a closed, pickled or loaded Explanation refuses with a
    message, and the C call checks the sample count."""
    samples = read_wav(JFK)
    explanation = tiny.explain(samples, text=FORCED, method="raa")
    samples[:] = 0  # the Explanation keeps its own copy of the caller's array
    page = explanation.to_html()
    assert "<title>leafx · audio</title>" in page and embedded_json(page)["audio"]["path"] is None
    assert page == tiny.explain(read_wav(JFK), text=FORCED, method="raa").to_html()
    explanation.save(tmp_path / "e.json")
    for detached in (pickle.loads(pickle.dumps(explanation)), leafx.load(tmp_path / "e.json")):
        with pytest.raises(ValueError, match="pickled or loaded Explanation"):
            detached.to_html()
    explanation.close()
    with pytest.raises(ValueError, match="it was closed"):
        explanation.to_html()

    from leafx._library import check, library
    other = tiny.explain(read_wav(JFK)[:16000], text="and", method="raa")
    pointer = ctypes.c_void_p()
    with pytest.raises(leafx.InvalidArgumentError, match=r"leafx_result_to_html: n_samples: 8000.*16000 samples"):
        check(library().leafx_result_to_html(other._handle, other._pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                             8000, None, ctypes.byref(pointer)))
    transcript = tiny.transcribe(read_wav(JFK)[:16000], beam_size=1)
    with pytest.raises(leafx.MisuseError, match="not an explanation"):
        check(library().leafx_result_to_html(transcript._handle, other._pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                             16000, None, ctypes.byref(pointer)))


def png_size(view):
    data = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', view).group(1))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # IHDR width, height


def test_notebook_view_is_compact(leafx, tiny, tmp_path):
    """_repr_html_: every word (shaded, with its span on hover) and a words x time heatmap, in
    a few kB without the audio; the same for a loaded Explanation; bounded for long ones."""
    explanation = tiny.explain(JFK)
    view = explanation._repr_html_()
    assert len(view.encode()) < 200_000
    assert "<audio" not in view and "<script" not in view
    for word in explanation.words:
        assert f">{html.escape(word.text)}" in view
        assert f"{word.start:g}–{word.end:g} s" in view
    width, height = png_size(view)
    assert height == len(explanation.words) and 0 < width <= explanation.n_frames
    explanation.save(tmp_path / "e.json")
    assert leafx.load(tmp_path / "e.json")._repr_html_() == view

    # A long explanation: the view stays small.
    document = json.loads(explanation.to_json())
    document["words"] = document["words"] * 200
    (tmp_path / "long.json").write_text(json.dumps(document))
    long_view = leafx.load(tmp_path / "long.json")._repr_html_()
    assert len(long_view.encode()) < 200_000 and "more words" in long_view
