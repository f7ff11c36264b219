"""The HTML report and the SVG heatmap of `leafx explain`: the page is opened in headless
Chromium (DevTools protocol over a pipe, chromium_driver.py) and checked for one element per
word, the heatmap, a non-blank rendering, a label on every half-mass span (short ones too),
and a click on a word selecting that word's half-mass span; the SVG is parsed and checked
against the JSON of the same explanation."""
import base64
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from chromium_driver import Chromium, chromium_path
from conftest import SOURCE_DIR, leafx_binary, model_dir, run

JFK = os.path.join(SOURCE_DIR, "data", "jfk.wav")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The JFK sample explained with tiny.en as JSON, HTML and SVG (paths)."""
    directory = tmp_path_factory.mktemp("report")
    paths = {}
    for fmt in ("json", "html", "svg"):
        paths[fmt] = directory / f"jfk.{fmt}"
        run([leafx_binary(), "explain", JFK, "-m", model_dir("tiny.en"), "--format", fmt, "-o", str(paths[fmt])])
    with open(paths["json"]) as f:
        paths["explanation"] = json.load(f)
    return paths


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        pytest.fail("chromium is missing: run scripts/ensure-deps.sh --test (Debian package chromium)")
    chromium = Chromium()
    yield chromium
    chromium.close()


def embedded(html, element_id):
    match = re.search(rf'<script type="[^"]+" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no <script id={element_id}> in the report"
    return match.group(1)


def test_report_is_self_contained_and_embeds_the_json_schema(outputs):
    html = outputs["html"].read_text()
    # Nothing fetched: no external scripts, styles, fonts, images or URLs at all.
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(|https?://", html)
    # The page's data is the JSON of `--format json`, not a second schema.
    data = json.loads(embedded(html, "leafx-explanation"))
    reference = outputs["explanation"]
    assert data["text"] == reference["text"]
    assert [w["word"] for w in data["words"]] == [w["word"] for w in reference["words"]]
    assert [w["flags"] for w in data["words"]] == [w["flags"] for w in reference["words"]]
    for ours, theirs in zip(data["tokens"], reference["tokens"]):
        assert ours["id"] == theirs["id"] and ours["attribution"]["offset"] == theirs["attribution"]["offset"]
        # The page's copy keeps 3 significant digits (HTMLReport.valueDigits).
        assert ours["attribution"]["values"] == pytest.approx(theirs["attribution"]["values"], rel=5e-3, abs=1e-12)
        assert (ours["start"], ours["end"], ours["peak"]) == (theirs["start"], theirs["end"], theirs["peak"])
    # The audio is embedded as a 16 kHz mono 16-bit WAV of the whole file.
    wav = base64.b64decode(embedded(html, "leafx-audio"))
    assert wav[:4] == b"RIFF" and wav[8:16] == b"WAVEfmt "
    assert int.from_bytes(wav[24:28], "little") == 16000 and int.from_bytes(wav[40:44], "little") == 2 * 176000


def test_report_in_headless_chromium(outputs, browser):
    words = outputs["explanation"]["words"]
    browser.open(outputs["html"].as_uri(), "document.body.dataset.ready === 'true'")

    # One element per word, in order, and the heatmap canvas laid out with a real size.
    texts = browser.evaluate("[...document.querySelectorAll('#transcript .word')].map(e => e.textContent)")
    assert [t.replace(" ⚠", "") for t in texts] == [w["word"].strip() for w in words]
    size = browser.evaluate("(() => { const c = document.getElementById('heatmap'); return [c.width, c.height]; })()")
    assert size[0] >= 600 and size[1] >= 250, size
    audio_seconds = browser.evaluate(
        "new Promise(r => { const a = document.getElementById('audio');"
        " a.readyState >= 1 ? r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)); })")
    assert audio_seconds == pytest.approx(outputs["explanation"]["audio"]["duration"], abs=0.05)

    # The rendering is not blank: many colours, and the heatmap region holds viridis colours.
    width, height, rows = browser.screenshot()
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, 3 * width, 21)}
    assert len(colours) > 200, f"screenshot looks blank: {len(colours)} colours"
    box = browser.evaluate("(() => { const r = document.getElementById('heatmap').getBoundingClientRect();"
                           " return [r.left, r.top, r.right, r.bottom].map(Math.round); })()")
    viridis_dark = sum(1 for y in range(max(box[1], 0), min(box[3], height), 3)
                       for x in range(box[0] + 160, min(box[2], width), 3)
                       if rows[y][3 * x:3 * x + 3] == bytes([68, 1, 84]))
    assert viridis_dark > 500, "the heatmap shows no cells at the low end of the viridis scale"

    # Every flagged word is listed with a reason per flag.
    items = browser.evaluate("[...document.querySelectorAll('#flag-list > li')].map(li => li.textContent)")
    for w in (w for w in words if w["flags"]):
        assert any(item.startswith(w["word"].strip() + " · ") and all(f.replace("-", " ") + ":" in item for f in w["flags"])
                   for item in items), (w["word"], w["flags"], items)

    # A click on a word selects it: the highlighted span becomes that word's half-mass span.
    def click_word(i):
        rect = browser.evaluate(
            f"(() => {{ const e = document.querySelectorAll('#transcript .word')[{i}]; e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        browser.click(*rect)
        return browser.evaluate("Object.assign({}, document.getElementById('selection').dataset)")

    first, last = 1, len(words) - 2
    before = browser.screenshot()[2]
    selected = click_word(first)
    assert int(selected["word"]) == first
    assert float(selected["start"]) == pytest.approx(words[first]["start"], abs=1e-3)
    assert float(selected["end"]) == pytest.approx(words[first]["end"], abs=1e-3)
    assert browser.evaluate(f"document.querySelectorAll('#transcript .word')[{first}].classList.contains('selected')")
    selected = click_word(last)
    assert int(selected["word"]) == last
    assert (float(selected["start"]), float(selected["end"])) == pytest.approx((words[last]["start"], words[last]["end"]), abs=1e-3)
    assert browser.evaluate("document.querySelectorAll('#transcript .word.selected').length") == 1
    # The click moved the audio into (or just before) the word's span.
    position = browser.evaluate("document.getElementById('audio').currentTime")
    assert words[last]["start"] - 0.2 <= position <= words[last]["end"] + 0.2, position
    after = browser.screenshot()[2]
    changed = sum(1 for y in range(max(box[1], 0), min(box[3], height), 4) if before[y] != after[y])
    assert changed > 10, "selecting a word did not change the timeline"


# What the timeline's draw writes in the band of half-mass spans: each span's box
# (fillRect, 14 px high) and its label (fillText), recorded through the canvas prototype
# during one redraw. The band starts below the axis (18 px) and the spectrogram (96 px), its
# lanes are 16 px high, and the gutter (150 px) holds the row labels.
RECORD_SPANS = """new Promise((resolve) => {
  const proto = CanvasRenderingContext2D.prototype, fillText = proto.fillText, fillRect = proto.fillRect;
  const calls = [], band = (x, y) => x >= 150 && y >= 116 && y <= 116 + 6 * 16;
  proto.fillText = function (text, x, y) {
    if (band(x, y)) calls.push({kind: "label", text, x, y, width: this.measureText(text).width});
    return fillText.apply(this, arguments);
  };
  proto.fillRect = function (x, y, w, h) {
    if (h === 14 && band(x, y)) calls.push({kind: "box", x, y, w});
    return fillRect.apply(this, arguments);
  };
  window.dispatchEvent(new Event("resize"));
  requestAnimationFrame(() => requestAnimationFrame(() => {
    proto.fillText = fillText; proto.fillRect = fillRect; resolve(calls);
  }));
})"""


def test_every_half_mass_span_has_a_readable_label(outputs, browser):
    """Each word's span on the timeline carries its word: inside the box when it fits, else
    just right of it (a short span once had no label at all), clear of every other box and
    label of its lane."""
    words = [w["word"].strip() for w in outputs["explanation"]["words"]]
    browser.open(outputs["html"].as_uri(), "document.body.dataset.ready === 'true'")
    calls = browser.evaluate(RECORD_SPANS)
    # The draw visits the words in order: a box, then its label.
    spans, box = [], None
    for call in calls:
        if call["kind"] == "box":
            box = call
            spans.append([box, None])
        else:
            assert box is not None and spans[-1][1] is None, call
            spans[-1][1] = call
    assert len(spans) == len(words), (len(spans), len(words))
    unlabelled = [word for word, (_, label) in zip(words, spans) if label is None]
    assert not unlabelled, f"spans without a label: {unlabelled}"
    assert [label["text"] for _, label in spans] == words
    beside = [word for word, (box, label) in zip(words, spans) if label["x"] >= box["x"] + box["w"]]
    assert beside, "no span of this page is narrower than its word, so the test tests nothing"
    for i, (box, label) in enumerate(spans):
        left, right = label["x"], label["x"] + label["width"]
        for j, (other_box, other_label) in enumerate(spans):
            if j == i or other_box["y"] != box["y"]:
                continue
            assert right <= other_box["x"] + 0.5 or left >= other_box["x"] + other_box["w"] - 0.5, (
                f"the label of {words[i]!r} runs into the span of {words[j]!r}")
            assert right <= other_label["x"] + 0.5 or left >= other_label["x"] + other_label["width"] - 0.5, (
                f"the labels of {words[i]!r} and {words[j]!r} overlap")


def test_report_gives_the_silence_checks_of_verify(browser, tmp_path):
    """`--verify`: each word's tooltip says what silencing its span did, and each unconfirmed
    word is listed with that reason (JFK with tiny.en has several: the sentence's second half
    repeats its first)."""
    html = tmp_path / "verified.html"
    run([leafx_binary(), "explain", JFK, "-m", model_dir("tiny.en"), "--verify", "--format", "html", "-o", str(html)])
    # The page's data is the JSON of `--format json` (checked above), flags included.
    words = json.loads(embedded(html.read_text(), "leafx-explanation"))["words"]
    unconfirmed = [w["word"].strip() for w in words if "unconfirmed" in w["flags"]]
    assert len(unconfirmed) >= 3, unconfirmed
    browser.open(html.as_uri(), "document.body.dataset.ready === 'true'")
    titles = browser.evaluate("[...document.querySelectorAll('#transcript .word')].map(e => e.title)")
    assert len(titles) == len(words) and all("silencing" in t and "nats" in t for t in titles), titles[:3]
    items = browser.evaluate("[...document.querySelectorAll('#flag-list > li')].map(li => li.textContent)")
    reasons = [item for item in items if "unconfirmed: silencing" in item]
    assert len(reasons) == len(unconfirmed), (unconfirmed, items)


def test_report_draws_only_the_visible_window(outputs, browser):
    """The heatmap canvas is the size of the view, whatever the zoom: 8x zoom makes the
    scrolled extent 8x wider, not the canvas, and scrolling redraws what comes into view."""
    browser.open(outputs["html"].as_uri(), "document.body.dataset.ready === 'true'")
    extent = "(() => { const t = document.getElementById('timeline'), c = document.getElementById('heatmap');" \
             " return [t.scrollWidth, t.clientWidth, c.width]; })()"
    scroll_width, view_width, canvas_width = browser.evaluate(extent)
    for _ in range(3):
        browser.evaluate("document.getElementById('zoom-in').click()")
    zoomed_width, _, zoomed_canvas = browser.evaluate(extent)
    assert zoomed_canvas == canvas_width and canvas_width <= view_width + 1
    assert zoomed_width == pytest.approx(150 + 8 * (scroll_width - 150), rel=0.05), (scroll_width, zoomed_width)
    frame = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    browser.evaluate("document.getElementById('timeline').scrollIntoView()")
    browser.evaluate(frame)
    start = browser.screenshot()[2]
    browser.evaluate("document.getElementById('timeline').scrollLeft = 1e9")
    browser.evaluate(frame)
    end = browser.screenshot()[2]
    box = browser.evaluate("(() => { const r = document.getElementById('heatmap').getBoundingClientRect();"
                           " return [Math.round(r.top), Math.round(r.bottom)]; })()")
    rows = range(max(box[0], 0), min(box[1], len(start)), 4)
    assert sum(1 for y in rows if start[y] != end[y]) > 20, "scrolling did not redraw the view"


def test_svg_heatmap_matches_the_explanation(outputs):
    tokens = outputs["explanation"]["tokens"]
    root = ET.parse(outputs["svg"]).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = root.findall("s:g", ns)
    rows = [g for g in groups if g.find("s:text", ns) is not None and g.find("s:rect[@fill='none']", ns) is not None]
    assert len(rows) == len(tokens)
    labels = [g.find("s:text", ns).text.replace(" ⚠", "") for g in rows]
    assert labels == [(t["text"].strip() or "·")[:18] for t in tokens]
    # The half-mass box of each row sits at the token's start/end on the shared time axis.
    boxes = [g.find("s:rect[@fill='none']", ns) for g in rows]
    scale = (float(boxes[-1].get("x")) - float(boxes[0].get("x"))) / (tokens[-1]["start"] - tokens[0]["start"])
    origin = float(boxes[0].get("x")) - tokens[0]["start"] * scale
    for box, token in zip(boxes, tokens):
        assert float(box.get("x")) == pytest.approx(origin + token["start"] * scale, abs=0.02)
        assert float(box.get("width")) == pytest.approx(max((token["end"] - token["start"]) * scale, 0.02 * scale), abs=0.05)
    # Each row's brightest cell (the top of viridis) is its heaviest frame.
    for g, token in zip(rows, tokens):
        top = [r for r in g.findall("s:rect", ns) if r.get("fill") == "#fde725"]
        assert top, f"row {token['text']!r} has no cell at its maximum"
        peak_x = origin + token["peak"] * scale
        assert any(float(r.get("x")) - 0.05 <= peak_x <= float(r.get("x")) + float(r.get("width")) + 0.05 for r in top)
