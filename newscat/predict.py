"""Classify new text with a trained model: `python -m newscat.predict "some headline" ...`.

Texts come from the arguments, from --file (one per line) or from stdin. The very same
cleaning (newscat.text) and vocabulary (models/vocab.txt) as training are applied.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from newscat import CLASS_NAMES  # noqa: E402
from newscat.errors import PipelineError, run_stage  # noqa: E402
from newscat.inference import load_model  # noqa: E402
from newscat.io import require_file  # noqa: E402
from newscat.params import load_params  # noqa: E402
from newscat.registry import MODELS  # noqa: E402
from newscat.text import clean_texts  # noqa: E402


def predict_proba(name: str, texts: list[str], sequence_length: int):
    """Class probabilities [len(texts), 4] of raw texts under the named model."""
    cleaned = clean_texts(texts)
    model = load_model(name)
    if name == "baseline":
        return model.predict_proba(cleaned)
    from newscat.features import encode, load_vocabulary, make_encoder
    from newscat.inference import predict_by_length

    ids = encode(make_encoder(load_vocabulary(), sequence_length), cleaned)
    return predict_by_length(model, ids)


def read_texts(args) -> list[str]:
    if args.texts:
        return args.texts
    if args.file:
        with open(require_file(args.file), encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for line in f]
    if sys.stdin.isatty():
        raise PipelineError("no text given: pass texts as arguments, --file FILE, or pipe them on stdin")
    return [line.rstrip("\n") for line in sys.stdin]


def main(argv: list[str] | None = None) -> None:
    params = load_params()
    parser = argparse.ArgumentParser(description="Classify news texts into World, Sports, Business, Sci/Tech.")
    parser.add_argument("texts", nargs="*", help="texts to classify (else --file or stdin)")
    parser.add_argument("--file", help="a file with one text per line")
    parser.add_argument("--model", choices=MODELS, default=params.model.cell,
                        help="which trained model (default: model.cell in params.yaml)")
    parser.add_argument("--json", action="store_true", help="one JSON object per text")
    args = parser.parse_args(argv)
    texts = read_texts(args)
    probabilities = predict_proba(args.model, texts, params.vectorize.sequence_length)
    for text, probs in zip(texts, probabilities):
        best = int(probs.argmax())
        if args.json:
            print(json.dumps({"text": text, "class": CLASS_NAMES[best], "probability": round(float(probs[best]), 4),
                              "probabilities": {n: round(float(p), 4) for n, p in zip(CLASS_NAMES, probs)}}))
        else:
            print(f"{CLASS_NAMES[best]:9s} {probs[best]:.3f}  {text[:100]}")


if __name__ == "__main__":
    run_stage(main)
