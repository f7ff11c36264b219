/// The script of the HTML report (`HTMLReport`): reads the explanation JSON embedded in the
/// page (the schema of `leafx explain --format json`) and draws the transcript, the timeline
/// canvas (spectrogram, half-mass spans, tokens × time heatmap, drawn per visible window) and
/// the audit flags; clicking a word selects it and plays its stretch of the embedded audio.
enum ReportScript {
  static let source = #"""
"use strict";
// leafx report: reads the explanation JSON embedded in the page (the schema of
// `leafx explain --format json`) and draws the transcript, the timeline canvas and the flags.
// The canvas only ever draws what is in view, so hours of audio cost no more than seconds.
(function () {
  const $ = (id) => document.getElementById(id);
  const E = JSON.parse($("leafx-explanation").textContent);
  const R = JSON.parse($("leafx-report").textContent);
  const FS = E.frame_seconds;
  const nFrames = Math.max(1, Math.ceil(E.audio.duration / FS - 1e-9));
  const bytes = (id) => {
    const text = atob($(id).textContent.trim());
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  };
  const hexToRGB = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const lut = (hexes) => hexes.map(hexToRGB);
  const VIRIDIS = lut(R.viridis), CIVIDIS = lut(R.cividis);
  const pick = (table, x) => table[Math.max(0, Math.min(table.length - 1, Math.round(x * (table.length - 1))))];
  const css = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  const sec = (t) => t.toFixed(2);
  // --verify: what silencing the span did to the word's log-probability.
  const silenced = (c) => `silencing ${sec(c.start)}–${sec(c.end)} s changes its log p by ` +
    `${c.drop > 0 ? "−" : "+"}${Math.abs(c.drop).toFixed(2)} nats`;

  // ---- how well grounded: probability times concentration (explained in the page's legend)
  const A = R.audit;
  const concentration = (h) => Math.max(0, Math.min(1, (A.diffuse_entropy - h) / (A.diffuse_entropy - A.concentrated_entropy)));
  const grounding = (w) => (w.probability ?? 0) * concentration(w.entropy ?? 1);

  // ---- transcript: one element per word, shaded by its grounding score
  const wordOfToken = new Map();
  E.words.forEach((w, i) => w.tokens.forEach((t) => wordOfToken.set(t, i)));
  const transcript = $("transcript");
  const wordElements = E.words.map((w, i) => {
    const el = document.createElement("span");
    const rgb = pick(CIVIDIS, grounding(w));
    el.className = "word" + (w.flags.length ? " flagged" : "");
    el.textContent = w.word.trim() + (w.flags.length ? " ⚠" : "");
    el.style.background = css(rgb);
    el.style.color = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
    el.tabIndex = 0;
    el.dataset.index = i;
    el.title = `${sec(w.start)}–${sec(w.end)} s · p ${w.probability.toFixed(2)} · entropy ${w.entropy.toFixed(2)}` +
      (w.silence_check ? ` · ${silenced(w.silence_check)}` : "") +
      (w.flags.length ? ` · ${w.flags.join(", ")}` : "");
    transcript.appendChild(el);
    transcript.appendChild(document.createTextNode(" "));
    return el;
  });
  transcript.addEventListener("click", (ev) => {
    const el = ev.target.closest(".word");
    if (el) select(+el.dataset.index, true);
  });
  transcript.addEventListener("keydown", (ev) => {
    const el = ev.target.closest(".word");
    if (!el) return;
    const i = +el.dataset.index;
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(i, true); }
    if (ev.key === "ArrowRight" && i + 1 < E.words.length) { ev.preventDefault(); wordElements[i + 1].focus(); select(i + 1, true); }
    if (ev.key === "ArrowLeft" && i > 0) { ev.preventDefault(); wordElements[i - 1].focus(); select(i - 1, true); }
  });

  // ---- audit flags with their reasons
  function reasons(item, list, index, sameWindow) {
    const out = [];
    if (item.flags.includes("diffuse"))
      out.push(`diffuse: normalised entropy ${item.entropy.toFixed(2)} > ${A.diffuse_entropy} (the attribution is spread over much of its window)`);
    if (item.flags.includes("weak-support")) {
      if (item.padding_mass > A.padding_mass)
        out.push(`weak support: ${(100 * item.padding_mass).toFixed(0)} % of the raw cross-attention fell on padding, not audio`);
      const near = [index - 1, index + 1].filter((j) => j >= 0 && j < list.length && sameWindow(j))
        .map((j) => Math.abs(list[j].peak - item.peak));
      if (near.length && near.every((d) => d > A.isolation_seconds))
        out.push(`weak support: its peak (${sec(item.peak)} s) is ${near.map((d) => d.toFixed(1) + " s").join(" and ")} ` +
          `from its neighbours' (> ${A.isolation_seconds} s)`);
    }
    if (item.flags.includes("unconfirmed") && item.silence_check) {
      const c = item.silence_check;
      out.push(`unconfirmed: silencing ${sec(c.start)}–${sec(c.end)} s, where its attribution points, ` +
        (c.drop >= 0 ? `lowered its log-probability by only ${c.drop.toFixed(2)} nats`
                     : `raised its log-probability by ${(-c.drop).toFixed(2)} nats`) +
        ` (its probability was not halved)`);
    }
    return out;
  }
  const flagList = $("flag-list");
  let flagCount = 0;
  E.words.forEach((w, i) => {
    const lines = reasons(w, E.words, i, () => true);
    w.tokens.forEach((t) => {
      const tok = E.tokens[t];
      const sameWindow = (j) => E.tokens[j].attribution.offset === tok.attribution.offset;
      // A one-token word usually repeats its token's reasons: list only what the word's lack.
      reasons(tok, E.tokens, t, sameWindow).filter((r) => !lines.includes(r))
        .forEach((r) => lines.push(`token “${tok.text.trim()}”: ${r}`));
    });
    if (!lines.length) return;
    flagCount++;
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.textContent = `${w.word.trim()} · ${sec(w.start)}–${sec(w.end)} s`;
    button.addEventListener("click", () => select(i, true));
    li.appendChild(button);
    const ul = document.createElement("ul");
    lines.forEach((r) => { const item = document.createElement("li"); item.textContent = r; ul.appendChild(item); });
    li.appendChild(ul);
    flagList.appendChild(li);
  });
  $("flag-count").textContent = flagCount ? `${flagCount} of ${E.words.length} words flagged.` : `No word flagged (${E.words.length} words).`;

  // ---- audio: embedded WAV, played through a Blob URL
  const audio = $("audio");
  audio.src = URL.createObjectURL(new Blob([bytes("leafx-audio")], { type: "audio/wav" }));
  let stopAt = null;
  function play(start, end) {
    audio.currentTime = Math.max(0, start);
    stopAt = end;
    const p = audio.play();
    if (p && p.catch) p.catch(() => {});  // autoplay refused: the span is still selected
    requestAnimationFrame(tick);
  }
  function tick() {
    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
    schedule();
    if (!audio.paused) requestAnimationFrame(tick);
  }
  audio.addEventListener("play", () => requestAnimationFrame(tick));
  audio.addEventListener("seeked", schedule);

  // ---- timeline: spectrogram, half-mass spans, selected word, tokens × time heatmap
  const SPEC = R.spectrogram;
  const spec = bytes("leafx-spectrogram");
  const timeline = $("timeline"), canvas = $("heatmap"), spacer = $("timeline-spacer");
  const ctx = canvas.getContext("2d");
  const GUTTER = 150, AXIS = 18, SPEC_H = 96, LANE_H = 16, CURVE_H = 36, ROW_H = 12;
  const MIN_LANES = 3, MAX_LANES = 6, LABEL_FONT = "11px sans-serif", LABEL_GAP = 3;
  let LANES = MIN_LANES, TOP = 0;
  let ppf = 2;  // pixels per 20 ms frame
  let selected = -1;

  // Half-mass spans stacked into lanes so that neighbours cover neither each other nor each
  // other's labels. A word's label goes inside its box when it fits, else just right of the
  // box, so a short span keeps a readable label. Box widths are in pixels, so the lanes are
  // packed again at each zoom, with as few lanes (3 to 6) as show every label; a label that
  // still finds no room is left out (the span's tooltip names the word) until a zoom in.
  ctx.font = LABEL_FONT;
  const labelWidth = E.words.map((w) => ctx.measureText(w.word.trim()).width);
  const byStart = E.words.map((_, i) => i).sort((i, j) => E.words[i].start - E.words[j].start || i - j);
  let lane = [], labelInside = [], labelShown = [], extentEnd = [];
  const spanX = (w) => (w.start / FS) * ppf;
  const boxWidth = (w) => Math.max(2, ((w.end - w.start) / FS) * ppf);
  function packLanes(n) {
    const laneOf = [], inside = [], shown = [], end = [];
    const laneEnd = new Array(n).fill(-Infinity), last = new Array(n).fill(-1);
    let hidden = 0;
    byStart.forEach((i) => {
      const w = E.words[i], a = spanX(w), box = boxWidth(w);
      inside[i] = labelWidth[i] + 4 < box;
      end[i] = a + box + (inside[i] ? 0 : LABEL_GAP + labelWidth[i] + 2);
      let l = laneEnd.findIndex((e) => e <= a);
      shown[i] = l >= 0;
      if (l < 0) {
        // Every lane is taken here: overlap the lane that frees first, and hide the labels
        // this span would cover or run into.
        l = laneEnd.indexOf(Math.min(...laneEnd));
        const p = last[l];
        if (p >= 0 && !inside[p] && shown[p]) { shown[p] = false; hidden++; }
        if (!inside[i]) hidden++; else shown[i] = true;
      }
      laneOf[i] = l;
      laneEnd[l] = Math.max(laneEnd[l], end[i]);
      last[l] = i;
    });
    return { laneOf, inside, shown, end, hidden };
  }
  function pack() {
    let best = null;
    for (let n = MIN_LANES; n <= MAX_LANES; n++) {
      best = packLanes(n);
      LANES = n;
      if (!best.hidden) break;
    }
    ({ laneOf: lane, inside: labelInside, shown: labelShown, end: extentEnd } = best);
    TOP = AXIS + SPEC_H + LANES * LANE_H + CURVE_H + 6;
  }
  // The word whose span or label is at (x, y) of the lanes band (x in unscrolled pixels), or -1.
  function spanAt(x, y) {
    const l = Math.floor((y - (AXIS + SPEC_H + 2)) / LANE_H);
    if (l < 0 || l >= LANES) return -1;
    return E.words.findIndex((w, j) => lane[j] === l && spanX(w) <= x && x <= (labelShown[j] ? extentEnd[j] : spanX(w) + boxWidth(w)));
  }

  const TILE = 512;  // spectrogram tiles: frames × mels bitmaps, built when first seen
  const tiles = new Map();
  function tile(k) {
    if (tiles.has(k)) return tiles.get(k);
    const first = k * TILE, count = Math.min(TILE, SPEC.n_frames - first);
    const c = document.createElement("canvas");
    c.width = Math.max(1, count); c.height = SPEC.n_mels;
    const img = c.getContext("2d").createImageData(c.width, c.height);
    for (let f = 0; f < count; f++)
      for (let m = 0; m < SPEC.n_mels; m++) {
        const v = 255 - spec[(first + f) * SPEC.n_mels + m], p = 4 * ((SPEC.n_mels - 1 - m) * c.width + f);
        img.data[p] = img.data[p + 1] = img.data[p + 2] = v; img.data[p + 3] = 255;
      }
    c.getContext("2d").putImageData(img, 0, 0);
    tiles.set(k, c);
    return c;
  }

  const rowPeak = E.tokens.map((t) => Math.max(...t.attribution.values, 1e-12));
  const scratch = document.createElement("canvas");

  function layout() {
    pack();
    // As tall as the content when it is short, at most 62 % of the window (then it scrolls).
    const content = TOP + E.tokens.length * ROW_H + 8 + (timeline.offsetHeight - timeline.clientHeight);
    timeline.style.height = Math.max(240, Math.min(0.62 * window.innerHeight, content)) + "px";
    const width = timeline.clientWidth, height = timeline.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    spacer.style.width = GUTTER + nFrames * ppf + "px";
    spacer.style.height = TOP + E.tokens.length * ROW_H + 4 + "px";
    spacer.style.marginTop = -height + "px";
    schedule();
  }

  let pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); } }

  function draw() {
    const W = timeline.clientWidth, H = timeline.clientHeight;
    const left = timeline.scrollLeft, top = timeline.scrollTop;
    const x = (frame) => GUTTER + frame * ppf - left;
    const f0 = Math.max(0, Math.floor(left / ppf)), f1 = Math.min(nFrames, Math.ceil((left + W - GUTTER) / ppf) + 1);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    ctx.save(); ctx.beginPath(); ctx.rect(GUTTER, 0, W - GUTTER, H); ctx.clip();

    // spectrogram (greyscale: dark = loud), low frequencies at the bottom
    ctx.imageSmoothingEnabled = ppf < 1;
    for (let k = Math.floor(f0 / TILE); k * TILE < Math.min(f1, SPEC.n_frames); k++) {
      const t = tile(k);
      ctx.drawImage(t, x(k * TILE), AXIS, t.width * ppf, SPEC_H);
    }
    // half-mass spans of the words, shaded like the transcript
    const lanesTop = AXIS + SPEC_H + 2;
    E.words.forEach((w, i) => {
      const a = x(w.start / FS), b = x(w.end / FS);
      if (b < GUTTER || a > W) return;
      const y = lanesTop + lane[i] * LANE_H;
      ctx.fillStyle = css(pick(CIVIDIS, grounding(w)));
      ctx.fillRect(a, y, Math.max(2, b - a), LANE_H - 2);
      ctx.strokeStyle = i === selected ? "#000" : "#888"; ctx.lineWidth = i === selected ? 2 : 0.5;
      ctx.strokeRect(a, y, Math.max(2, b - a), LANE_H - 2);
      ctx.font = LABEL_FONT;
      if (labelInside[i]) {
        const rgb = pick(CIVIDIS, grounding(w));
        ctx.fillStyle = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
        ctx.fillText(w.word.trim(), a + 2, y + LANE_H - 5);
      } else if (labelShown[i]) {
        // a short span: its label just right of the box, on the page's background
        ctx.fillStyle = i === selected ? "#000" : "#222";
        ctx.fillText(w.word.trim(), a + Math.max(2, b - a) + LABEL_GAP, y + LANE_H - 5);
      }
    });
    // the selected word's attribution as bars
    const curveTop = lanesTop + LANES * LANE_H + 2;
    if (selected >= 0) {
      const att = E.words[selected].attribution, peak = Math.max(...att.values, 1e-12);
      ctx.fillStyle = "#21328a";
      for (let k = Math.max(0, f0 - att.offset); k < att.values.length && att.offset + k < f1; k++) {
        const h = (att.values[k] / peak) * (CURVE_H - 4);
        ctx.fillRect(x(att.offset + k), curveTop + CURVE_H - 2 - h, Math.max(1, ppf), h);
      }
    }
    // heatmap rows in view, drawn through one bitmap of visible frames × visible rows
    const r0 = Math.max(0, Math.floor(top / ROW_H)), r1 = Math.min(E.tokens.length, Math.ceil((top + H - TOP) / ROW_H) + 1);
    const cols = Math.max(1, f1 - f0), rows = Math.max(1, r1 - r0);
    scratch.width = cols; scratch.height = rows;
    const sctx = scratch.getContext("2d"), img = sctx.createImageData(cols, rows);
    for (let r = r0; r < r1; r++) {
      const att = E.tokens[r].attribution, peak = rowPeak[r];
      for (let c = 0; c < cols; c++) {
        const k = f0 + c - att.offset, p = 4 * ((r - r0) * cols + c);
        const rgb = k >= 0 && k < att.values.length ? pick(VIRIDIS, att.values[k] / peak) : [242, 242, 242];
        img.data[p] = rgb[0]; img.data[p + 1] = rgb[1]; img.data[p + 2] = rgb[2]; img.data[p + 3] = 255;
      }
    }
    sctx.putImageData(img, 0, 0);
    const rowY = (r) => TOP + r * ROW_H - top;
    ctx.save(); ctx.beginPath(); ctx.rect(GUTTER, TOP, W - GUTTER, H - TOP); ctx.clip();
    ctx.drawImage(scratch, x(f0), rowY(r0), cols * ppf, rows * ROW_H);
    // half-mass span boxes of the tokens in view (white halo, black line)
    for (let r = r0; r < r1; r++) {
      const t = E.tokens[r], a = x(t.start / FS), b = x(t.end / FS);
      const mine = selected >= 0 && wordOfToken.get(r) === selected;
      ctx.lineWidth = mine ? 3 : 2; ctx.strokeStyle = "#fff"; ctx.strokeRect(a, rowY(r) + 1, Math.max(2, b - a), ROW_H - 2);
      ctx.lineWidth = mine ? 1.5 : 0.8; ctx.strokeStyle = "#000"; ctx.strokeRect(a, rowY(r) + 1, Math.max(2, b - a), ROW_H - 2);
    }
    ctx.restore();
    // the selected word's half-mass span across the whole timeline, and the playhead
    if (selected >= 0) {
      const w = E.words[selected], a = x(w.start / FS), b = x(w.end / FS);
      ctx.fillStyle = "rgba(255, 255, 255, 0.25)"; ctx.fillRect(a, AXIS, b - a, H - AXIS);
      ctx.setLineDash([4, 3]); ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5;
      ctx.strokeRect(a, AXIS, Math.max(2, b - a), H - AXIS - 1); ctx.setLineDash([]);
    }
    if (!audio.paused || audio.currentTime > 0) {
      const px = x(audio.currentTime / FS);
      ctx.strokeStyle = "#d00"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, H); ctx.stroke();
    }
    // time axis
    const step = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => (s / FS) * ppf >= 70) || 600;
    ctx.fillStyle = "#fff"; ctx.fillRect(GUTTER, 0, W, AXIS);
    ctx.fillStyle = "#222"; ctx.strokeStyle = "#222"; ctx.lineWidth = 1; ctx.font = "11px sans-serif";
    for (let t = Math.floor((f0 * FS) / step) * step; t <= f1 * FS; t += step) {
      const px = x(t / FS);
      ctx.beginPath(); ctx.moveTo(px, AXIS - 5); ctx.lineTo(px, AXIS); ctx.stroke();
      ctx.fillText(t >= 60 ? `${Math.floor(t / 60)}:${(t % 60).toFixed(step < 1 ? 1 : 0).padStart(2, "0")}` : `${+t.toFixed(1)} s`, px + 2, AXIS - 6);
    }
    ctx.restore();

    // gutter: what each band is, and one label per heatmap row
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, GUTTER, H);
    ctx.fillStyle = "#222"; ctx.font = "11px sans-serif"; ctx.textAlign = "right";
    ctx.fillText("spectrogram (log-mel)", GUTTER - 6, AXIS + SPEC_H / 2);
    ctx.fillText("half-mass spans", GUTTER - 6, lanesTop + LANE_H + 4);
    ctx.fillText(selected >= 0 ? `“${E.words[selected].word.trim()}”` : "click a word", GUTTER - 6, curveTop + CURVE_H / 2 + 4);
    ctx.save(); ctx.beginPath(); ctx.rect(0, TOP, GUTTER, H - TOP); ctx.clip();
    for (let r = r0; r < r1; r++) {
      const t = E.tokens[r], mine = selected >= 0 && wordOfToken.get(r) === selected;
      if (mine) { ctx.fillStyle = "#ffe9a8"; ctx.fillRect(0, rowY(r), GUTTER - 2, ROW_H); }
      ctx.fillStyle = "#222"; ctx.font = (mine ? "bold " : "") + "10px sans-serif";
      ctx.fillText((t.text.trim() || "·").slice(0, 20) + (t.flags.length ? " ⚠" : ""), GUTTER - 6, rowY(r) + ROW_H - 2);
    }
    ctx.restore();
    ctx.textAlign = "left";
    ctx.strokeStyle = "#ccc"; ctx.beginPath(); ctx.moveTo(0, TOP - 3); ctx.lineTo(W, TOP - 3); ctx.stroke();
  }

  function select(i, andPlay) {
    if (i < 0 || i >= E.words.length) return;
    if (selected >= 0) wordElements[selected].classList.remove("selected");
    selected = i;
    const w = E.words[i], el = wordElements[i];
    el.classList.add("selected");
    const info = $("selection");
    info.dataset.word = i; info.dataset.start = w.start; info.dataset.end = w.end;
    info.textContent = `“${w.word.trim()}”: half of its attribution lies in ${sec(w.start)}–${sec(w.end)} s (peak ${sec(w.peak)} s), ` +
      `p ${w.probability.toFixed(2)}, normalised entropy ${w.entropy.toFixed(2)}, grounding ${grounding(w).toFixed(2)}` +
      (w.silence_check ? `; ${silenced(w.silence_check)}` : "") +
      (w.flags.length ? `; audit flags: ${w.flags.join(", ")}` : "; no audit flag");
    // bring the span and the word's rows into view
    const a = (w.start / FS) * ppf, b = (w.end / FS) * ppf, view = timeline.clientWidth - GUTTER;
    if (a < timeline.scrollLeft || b > timeline.scrollLeft + view) timeline.scrollLeft = Math.max(0, (a + b) / 2 - view / 2);
    const rowTop = w.tokens[0] * ROW_H, rowBottom = (w.tokens[w.tokens.length - 1] + 1) * ROW_H, rowsView = timeline.clientHeight - TOP;
    if (rowTop < timeline.scrollTop || rowBottom > timeline.scrollTop + rowsView) timeline.scrollTop = Math.max(0, rowTop - rowsView / 3);
    if (andPlay) play(w.start - R.play_margin_seconds, w.end + R.play_margin_seconds);
    schedule();
  }

  canvas.addEventListener("click", (ev) => {
    const rect = canvas.getBoundingClientRect(), px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    if (px < GUTTER) return;
    const t = ((px - GUTTER + timeline.scrollLeft) / ppf) * FS;
    if (py >= TOP) {
      const r = Math.floor((py - TOP + timeline.scrollTop) / ROW_H);
      if (wordOfToken.has(r)) select(wordOfToken.get(r), true);
    } else {
      const i = spanAt(px - GUTTER + timeline.scrollLeft, py);
      if (i >= 0) select(i, true); else { audio.currentTime = t; schedule(); }
    }
  });
  // A span's tooltip: its word and times (also for a label left out at this zoom).
  canvas.addEventListener("mousemove", (ev) => {
    const rect = canvas.getBoundingClientRect(), px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    const i = px < GUTTER || py >= TOP ? -1 : spanAt(px - GUTTER + timeline.scrollLeft, py);
    const title = i < 0 ? "" : `${E.words[i].word.trim()} · half-mass span ${sec(E.words[i].start)}–${sec(E.words[i].end)} s`;
    if (canvas.title !== title) canvas.title = title;
  });
  function zoom(factor) {
    const centre = (timeline.scrollLeft + (timeline.clientWidth - GUTTER) / 2) / ppf;
    ppf = Math.max(0.25, Math.min(16, ppf * factor));
    layout();
    timeline.scrollLeft = centre * ppf - (timeline.clientWidth - GUTTER) / 2;
  }
  $("zoom-in").addEventListener("click", () => zoom(2));
  $("zoom-out").addEventListener("click", () => zoom(0.5));
  timeline.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", layout);
  // Fit up to ~30 s to the width; longer audio scrolls at 2 px per 20 ms.
  ppf = Math.max(0.25, Math.min(8, (timeline.clientWidth - GUTTER - 8) / nFrames));
  if (nFrames > 1500) ppf = 2;
  layout();
  document.body.dataset.ready = "true";
})();
"""#
}
