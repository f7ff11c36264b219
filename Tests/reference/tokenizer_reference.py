#!/usr/bin/env python3
"""Reference tokenizations for leafx's Swift tokenizer tests (TokenizerTests, WordGroupingTests).

Runs the Hugging Face `tokenizers` library on the real tokenizer.json of tiny.en and base,
through faster-whisper's `Tokenizer` wrapper (the tokenizer faster-whisper decodes with), and
writes what the Swift WhisperTokenizer must reproduce:

    tokenizer_reference.py [--models DIR] [--out FILE]

DIR defaults to $LEAFX_MODELS or ~/.cache/leafx/models (filled by `make models`); FILE to
Tests/LeafXCoreTests/Fixtures/tokenizer_reference.json. Output (UTF-8 JSON, a few KB):

  {"tokenizers": version, "faster_whisper": version,
   "texts": [text, ...],                                 # the strings below, once
   "pretokenize": [[GPT-2 spelled piece, ...] per text],  # ByteLevel pre-tokenizer
   "models": {NAME: {
       "n_vocab": int, "multilingual": bool,
       "specials": {"eot", "sot", "translate", "transcribe", "sot_lm", "sot_prev",
                    "no_speech", "no_timestamps", "timestamp_begin"},
       "sot_sequences": [{"language", "task", "ids"}],
       "non_speech_tokens": [...],
       "encode": [[ids] per text],                       # add_special_tokens=False
       "decode": [{"ids", "text"}],                      # faster-whisper decode (skips >= eot)
       "words": [{"language", "tokens", "words", "word_tokens"}],   # split_to_word_tokens
       "openai": {...}}}}                                  # with --openai-whisper only, below

With --openai-whisper SRC (an unpacked openai-whisper sdist: `pip download --no-deps
openai-whisper` and untar; needs `tiktoken` importable, e.g. via PYTHONPATH), each model also
gets the tiktoken-based reference of openai-whisper's own Tokenizer (get_tokenizer):
  "openai": {"encode": [[ids] per text], "non_speech_tokens": [...],
             "sot_sequences": [...], "words": [{"language", "tokens", "words", "word_tokens"}]}
The two references differ for multilingual models: their tokenizer.json lacks the first merge
("Ġ t"), so `tokenizers` spells " the" as [220, 3322] where tiktoken gives [264].

Deterministic: the same library versions give the same file byte for byte.
"""
import argparse
import json
import os

import importlib.util

import faster_whisper
import tokenizers
from faster_whisper.tokenizer import Tokenizer

# Strings that exercise each branch of the GPT-2 pre-tokenizer pattern and the byte-level BPE.
TEXTS = [
    "Hello world",
    " And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
    "THERE'S IRON THEY SAY IN ALL OUR BLOOD AND A GRAIN OR TWO PERHAPS IS GOOD",
    "I'm sure you'll see they've done what we'd said, isn't it? 'S 'sup DON'T y'all ''tis",
    "x's 're've 'LL 'll'd '",
    "3.14159 1,000,000 2024-01-01 12:30pm ½ ² Ⅻ ٣٤ 100%",
    "Hello!!! ??? ... --- (parens) [brackets] {braces} \"quotes\" «guillemets» — dash…",
    "multiple   spaces    here  ",
    "new\nline\n\n  indented\tTab\r\nCRLF \n",
    "   leading and trailing   ",
    " ",
    "  ",
    "\n",
    "café naïve résumé Straße Ελληνικά русский текст Ærøskøbing",
    "e\u0301 combining a\u0308 marks",
    "日本語のテキスト、中文文本。한국어 텍스트",
    "emoji 🎉🎉 👍🏽 family 👨\u200d👩\u200d👧 flags 🇺🇸🇩🇪",
    "\u00a0nbsp\u3000ideographic\u2028line\u2029para\u0085nel\x1cfs\x1fus\x0bvt",
    "♪♪ ♪ music ♩ ♫ ♬ ♭ ♮ ♯ [MUSIC] >> (applause)",
    "مرحبا بالعالم שלום עולם नमस्ते दुनिया สวัสดีชาวโลก",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "tab\tafter\t\tdouble  \tmixed",
    "",
]

# Token sequences decoded by faster-whisper (text tokens, special tokens, partial UTF-8).
DECODE_TEXTS = ["emoji 🎉 ok", "日本語", " naïve", "Ærø"]

# Word grouping cases: (language, text).
WORD_CASES = [
    ("en", " And so my fellow Americans, ask not what your country can do for you."),
    ("en", " I'm sure they're fine -- aren't they? Well... \"yes\" (maybe)."),
    ("en", " Émile's café, naïve 🎉 émoji!"),
    ("de", " Grüße aus Köln, sagte er."),
    ("zh", "我们今天去北京。"),
    ("ja", "こんにちは、世界！日本語です。"),
]


def load_openai_tokenizer_module(source_dir):
    """openai-whisper's whisper/tokenizer.py, loaded by path (whisper/__init__ needs torch)."""
    path = os.path.join(source_dir, "whisper", "tokenizer.py")
    spec = importlib.util.spec_from_file_location("openai_whisper_tokenizer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def openai_reference(module, multilingual):
    """The same cases through openai-whisper's tiktoken Tokenizer."""
    tok = module.get_tokenizer(multilingual)
    sot_sequences = []
    for language, task in [("en", "transcribe"), ("de", "translate"), ("ja", "transcribe")]:
        t = module.get_tokenizer(multilingual, language=language, task=task)
        sot_sequences.append({"language": language, "task": task, "ids": list(t.sot_sequence)})
    words = []
    for language, text in WORD_CASES:
        if language != "en" and not multilingual:
            continue
        t = module.get_tokenizer(multilingual, language=language if multilingual else None)
        tokens = t.encode(text) + [t.eot]
        w, wt = t.split_to_word_tokens(tokens)
        words.append({"language": language, "tokens": tokens, "words": w, "word_tokens": wt})
    return {
        "encode": [tok.encode(text) for text in TEXTS],
        "non_speech_tokens": list(tok.non_speech_tokens),
        "sot_sequences": sot_sequences,
        "words": words,
    }


def model_reference(model_dir, name):
    tok = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "vocabulary.txt"), encoding="utf-8") as f:
        n_vocab = sum(1 for _ in f)
    multilingual = n_vocab >= 51865
    fw = Tokenizer(tok, multilingual, task="transcribe", language="en")
    specials = {
        "eot": fw.eot, "sot": fw.sot, "translate": fw.translate, "transcribe": fw.transcribe,
        "sot_lm": fw.sot_lm, "sot_prev": fw.sot_prev, "no_speech": fw.no_speech,
        "no_timestamps": fw.no_timestamps, "timestamp_begin": fw.timestamp_begin,
    }
    sot_sequences = []
    for language, task in [("en", "transcribe"), ("de", "translate"), ("ja", "transcribe")]:
        t = Tokenizer(tok, multilingual, task=task, language=language)
        sot_sequences.append({"language": language, "task": task, "ids": list(t.sot_sequence)})

    encode = [fw.encode(text) for text in TEXTS]

    decode = []
    for text in DECODE_TEXTS:
        ids = fw.encode(text)
        cases = [ids, [fw.sot] + ids + [fw.eot, fw.timestamp_begin + 7]]
        cases += [[i] for i in ids]  # single tokens, some of them partial characters
        cases += [ids[:k] for k in range(1, len(ids))]  # prefixes cut inside characters
        cases += [ids[:k] + ids[k + 1:] for k in range(len(ids))]  # one token dropped
        for case in cases:
            entry = {"ids": case, "text": fw.decode(case)}
            if entry not in decode:
                decode.append(entry)

    words = []
    for language, text in WORD_CASES:
        if language != "en" and not multilingual:
            continue
        t = Tokenizer(tok, multilingual, task="transcribe", language=language) if multilingual else fw
        tokens = t.encode(text) + [t.eot]
        w, wt = t.split_to_word_tokens(tokens)
        words.append({"language": language, "tokens": tokens, "words": w, "word_tokens": wt})

    return {
        "n_vocab": n_vocab, "multilingual": multilingual, "specials": specials,
        "sot_sequences": sot_sequences, "non_speech_tokens": list(fw.non_speech_tokens),
        "encode": encode, "decode": decode, "words": words,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_models = os.environ.get(
        "LEAFX_MODELS", os.path.join(os.path.expanduser("~"), ".cache", "leafx", "models"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=default_models)
    parser.add_argument("--openai-whisper", help="unpacked openai-whisper source (adds tiktoken references)")
    parser.add_argument(
        "--out", default=os.path.join(here, "..", "LeafXCoreTests", "Fixtures", "tokenizer_reference.json"))
    args = parser.parse_args()

    tok = tokenizers.Tokenizer.from_file(os.path.join(args.models, "tiny.en", "tokenizer.json"))
    pretokenize = [[piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(text)] for text in TEXTS]
    out = {
        "tokenizers": tokenizers.__version__, "faster_whisper": faster_whisper.__version__,
        "texts": TEXTS, "pretokenize": pretokenize,
        "models": {name: model_reference(os.path.join(args.models, name), name) for name in ["tiny.en", "base"]},
    }
    if args.openai_whisper:
        module = load_openai_tokenizer_module(args.openai_whisper)
        for model in out["models"].values():
            model["openai"] = openai_reference(module, model["multilingual"])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
