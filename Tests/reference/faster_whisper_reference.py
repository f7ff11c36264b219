#!/usr/bin/env python3
"""Reference transcripts and logits from faster-whisper (CTranslate2, float32) for the engine
tests. Not a test itself: the Swift/pytest suites run it once per model and cache the output.

    faster_whisper_reference.py MODEL_DIR MANIFEST OUT_DIR [--limit N] [--logits K]

Writes OUT_DIR/reference.json:
  {"model": ..., "faster_whisper": version, "ctranslate2": version,
   "utterances": [{"id", "audio", "language", "language_probability",
                   "greedy": [segment...], "greedy_timestamps": [segment...], "beam5": [segment...]}]}
  segment = {"start", "end", "text", "tokens", "avg_logprob", "no_speech_prob", "temperature"}
and, for the first K utterances, OUT_DIR/<id>.logits.npy: [steps, vocab] float32 log-probs of
the first window decoded greedily without timestamps (prompt: SOT sequence + <|notimestamps|>),
with OUT_DIR/<id>.logits.json holding the prompt and the generated ids.
"""
import argparse
import json
import os

import ctranslate2
import faster_whisper
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio, pad_or_trim


def segments_of(model, audio, **options):
    segments, info = model.transcribe(audio, vad_filter=False, **options)
    out = [
        {
            "start": s.start, "end": s.end, "text": s.text, "tokens": list(s.tokens),
            "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob,
            "temperature": s.temperature,
        }
        for s in segments
    ]
    return out, info


def first_window_logits(model, audio, language):
    features = model.feature_extractor(audio)
    window = pad_or_trim(features[:, :3000])
    encoded = model.model.encode(ctranslate2.StorageView.from_array(window[None].astype(np.float32)))
    tok = model.hf_tokenizer
    sot = tok.token_to_id("<|startoftranscript|>")
    prompt = [sot]
    if model.model.is_multilingual:
        prompt += [tok.token_to_id(f"<|{language}|>"), tok.token_to_id("<|transcribe|>")]
    prompt.append(tok.token_to_id("<|notimestamps|>"))
    result = model.model.generate(
        encoded, [prompt], beam_size=1, return_logits_vocab=True, return_scores=True,
        suppress_blank=True, suppress_tokens=[-1], max_length=448)[0]
    logits = np.stack([np.array(step, dtype=np.float32).reshape(-1) for step in result.logits[0]])
    return prompt, result.sequences_ids[0], logits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("manifest")
    parser.add_argument("out_dir")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--logits", type=int, default=3)
    parser.add_argument("--beam", action="store_true", help="also decode with beam 5")
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    model = WhisperModel(args.model_dir, device="cpu", compute_type="float32", cpu_threads=2)
    base = os.path.dirname(os.path.abspath(args.manifest))
    with open(args.manifest) as f:
        items = [json.loads(line) for line in f if line.strip()]
    if args.limit:
        items = items[: args.limit]

    utterances = []
    for index, item in enumerate(items):
        path = os.path.join(base, item["audio"])
        audio = decode_audio(path)
        greedy, info = segments_of(model, audio, beam_size=1, temperature=0.0, without_timestamps=True)
        stamped, _ = segments_of(model, audio, beam_size=1, temperature=0.0, without_timestamps=False)
        entry = {
            "id": item["id"], "audio": path, "language": info.language,
            "language_probability": info.language_probability,
            "greedy": greedy, "greedy_timestamps": stamped,
        }
        if args.beam:
            entry["beam5"], _ = segments_of(model, audio, beam_size=5, temperature=0.0)
        utterances.append(entry)
        if index < args.logits:
            prompt, ids, logits = first_window_logits(model, audio, info.language)
            np.save(os.path.join(args.out_dir, f"{item['id']}.logits.npy"), logits)
            with open(os.path.join(args.out_dir, f"{item['id']}.logits.json"), "w") as f:
                json.dump({"prompt": prompt, "ids": ids}, f)

    with open(os.path.join(args.out_dir, "reference.json"), "w") as f:
        json.dump({
            "model": os.path.abspath(args.model_dir), "faster_whisper": faster_whisper.__version__,
            "ctranslate2": ctranslate2.__version__, "utterances": utterances,
        }, f, indent=1)


if __name__ == "__main__":
    main()
