"""Explanation._repr_html_: a compact view for notebooks, made in Python from the
Explanation's own data (so it works on loaded and unpickled explanations too): the words
shaded by how well grounded they are, as in the report of `leafx explain --format html`, and
a small words x time heatmap as a PNG. No audio and no script: a few kB to ~100 kB however
long the recording (the full report is Explanation.to_html())."""
import base64
import html
import math
import struct
import zlib

import numpy as np

# Every fourth stop of the report's colour scales (Sources/LeafXCore/Report/ColourScale.swift):
# cividis for grounding (dark: weakly grounded), viridis for the heatmap.
_CIVIDIS = (0x00224e, 0x1a386f, 0x434e6c, 0x61656f, 0x7d7c78, 0x9b9476, 0xbcae6c, 0xdec958, 0xfee838)
_VIRIDIS = (0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725)
# The report's grounding score: p x c, c = 1 at normalised entropy <= CONCENTRATED_ENTROPY,
# 0 from DIFFUSE_ENTROPY (the "diffuse" flag's threshold), linear between.
CONCENTRATED_ENTROPY = 0.3
DIFFUSE_ENTROPY = 0.85
# Bounds of the view: words written out, heatmap rows (words) and columns (pooled frames).
MAX_WORDS = 400
MAX_ROWS = 120
MAX_COLUMNS = 480
_LEVELS = 64


def _rgb(stops, x):
    """(r, g, b) of scale `stops` at x in [0, 1] (NaN: 0), interpolated linearly."""
    t = 0.0 if x is None or math.isnan(x) else min(max(x, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    f = t - i
    return tuple(round(((stops[i] >> s) & 255) * (1 - f) + ((stops[i + 1] >> s) & 255) * f) for s in (16, 8, 0))


def grounding(word):
    """How well grounded a word is, 0..1: its probability times how concentrated its
    attribution is (the report's score)."""
    entropy = 1.0 if word.entropy is None or math.isnan(word.entropy) else word.entropy
    concentration = min(1.0, max(0.0, (DIFFUSE_ENTROPY - entropy) / (DIFFUSE_ENTROPY - CONCENTRATED_ENTROPY)))
    probability = 0.0 if word.probability is None or math.isnan(word.probability) else word.probability
    return probability * concentration


def _png(levels, palette):
    """An indexed-colour PNG of `levels` (uint8 [height, width], indices into `palette`)."""
    height, width = levels.shape

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter byte 0 (none) per row
    rows[:, 1:] = levels
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", b"".join(bytes(c) for c in palette))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))


def _heatmap(explanation):
    """The words x time heatmap as an <img>, each row scaled to its maximum, or ""."""
    rows = explanation.word_attributions[:MAX_ROWS]
    if rows.size == 0:
        return ""
    pool = max(1, -(-rows.shape[1] // MAX_COLUMNS))
    columns = -(-rows.shape[1] // pool)
    padded = np.zeros((rows.shape[0], columns * pool), dtype=np.float32)
    padded[:, :rows.shape[1]] = rows
    pooled = padded.reshape(rows.shape[0], columns, pool).max(axis=2)
    peaks = pooled.max(axis=1, keepdims=True)
    scaled = np.divide(pooled, peaks, out=np.zeros_like(pooled), where=peaks > 0)
    levels = np.minimum((scaled * _LEVELS).astype(np.int32), _LEVELS - 1).astype(np.uint8)
    palette = [_rgb(_VIRIDIS, k / (_LEVELS - 1)) for k in range(_LEVELS)]
    image = base64.b64encode(_png(levels, palette)).decode("ascii")
    row_px = max(2, min(8, 240 // rows.shape[0]))
    duration = explanation.n_frames * explanation.frame_seconds
    shown = f"first {rows.shape[0]} of {len(explanation.words)} words" if len(explanation.words) > rows.shape[0] \
        else f"{rows.shape[0]} words"
    return (f'<div style="font-size:smaller;margin-top:0.5em">words × time ({shown}, one row each, scaled to '
            f'its maximum; 0 – {duration:g} s)</div>'
            f'<img alt="words × time attribution heatmap" src="data:image/png;base64,{image}" '
            f'style="width:100%;max-width:960px;height:{rows.shape[0] * row_px}px;image-rendering:pixelated;'
            f'display:block;border:1px solid #ccc">')


def notebook_view(explanation):
    e = explanation
    esc = html.escape
    flagged = sum(1 for w in e.words if w.flags)
    duration = e.n_samples / 16000 if e.n_samples else e.n_frames * e.frame_seconds
    parts = [f'<div class="leafx-explanation" style="font-family:sans-serif;line-height:1.9">'
             f'<div style="font-size:smaller;color:#555">leafx · method {esc(str(e.method))} · {duration:.2f} s · '
             f'{len(e.words)} words, {len(e.tokens)} tokens, {flagged} flagged · shade: grounding = p × '
             f'concentration (dark: weakly grounded) · hover a word for its span</div><div>']
    for w in e.words[:MAX_WORDS]:
        score = grounding(w)
        r, g, b = _rgb(_CIVIDIS, score)
        ink = "#000" if score >= 0.5 else "#fff"
        span = "" if w.start is None else f"{w.start:g}–{w.end:g} s, peak {w.peak:g} s, "
        title = f"{span}p {w.probability:.2f}, entropy {w.entropy:.2f}" + (f", {', '.join(w.flags)}" if w.flags else "")
        underline = "text-decoration:underline dashed;" if w.flags else ""
        mark = "⚠" if w.flags else ""
        parts.append(f'<span title="{esc(title)}" style="background:rgb({r},{g},{b});color:{ink};{underline}'
                     f'padding:1px 3px;margin:1px;border-radius:3px">{esc(w.text)}{mark}</span> ')
    if len(e.words) > MAX_WORDS:
        parts.append(f'<span style="color:#555">… {len(e.words) - MAX_WORDS} more words '
                     '(to_html() or save_html() for the full report)</span>')
    parts.append("</div>")
    parts.append(_heatmap(e))
    parts.append("</div>")
    return "".join(parts)
