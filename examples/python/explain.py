"""Explain a recording with the leafx Python package: per word, the stretch of audio holding
half of its attribution and the three heaviest 20 ms frames, from the numpy arrays.

    pip install ./bindings/python
    python examples/python/explain.py speech.wav [--model tiny.en] [--method leafx] [--save out.npz]
"""
import argparse
import sys

import numpy as np

import leafx


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", help="audio file (any format libsndfile reads)")
    parser.add_argument("--model", default="tiny.en", help="model directory, ggml file or cached name")
    parser.add_argument("--method", default="leafx", help="attribution method")
    parser.add_argument("--text", help="explain this transcript instead of decoding (forced mode)")
    parser.add_argument("--save", help="write the token and word attributions to this .npz file")
    args = parser.parse_args()

    try:
        with leafx.Model(args.model) as model:
            explanation = model.explain(args.audio, method=args.method, text=args.text)
    except leafx.LeafxError as error:
        sys.exit(f"explain.py: {error}")

    print(explanation.text.strip())
    times = explanation.frame_times
    for word, row in zip(explanation.words, explanation.word_attributions):
        top = np.argsort(row)[::-1][:3]
        frames = ", ".join(f"{times[k]:.2f} s ({row[k]:.0%})" for k in top)
        flags = f"  [{', '.join(word.flags)}]" if word.flags else ""
        print(f"{word.text:16} {word.start:7.3f} {word.end:7.3f}  top frames {frames}{flags}")

    if args.save:
        np.savez(args.save, tokens=explanation.attributions, words=explanation.word_attributions,
                 token_ids=np.array([t.id for t in explanation.tokens]), frame_seconds=explanation.frame_seconds)


if __name__ == "__main__":
    main()
