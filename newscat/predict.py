"""Classify new text with a trained model: `python -m newscat.predict "some headline" ...`.

Texts come from the arguments, from --file (one per line) or from stdin. The very same
cleaning (newscat.text) and vocabulary (models/vocab.txt, checked against the hash stored with
the model) as training are applied. A text with no word the model knows is flagged: its class
is a guess from the empty input, not a reading of the text. No input at all: exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from newscat import CLASS_NAMES  # noqa: E402
from newscat.errors import UsageError, run_stage  # noqa: E402
from newscat.inference import load_model  # noqa: E402
from newscat.io import require_file  # noqa: E402
from newscat.params import load_params  # noqa: E402
from newscat.registry import MODELS  # noqa: E402
from newscat.text import clean_texts  # noqa: E402


def predict_proba(name: str, texts: list[str], sequence_length: int):
    """Class probabilities [len(texts), 4] of raw texts under the named model."""
    return predict_cleaned(name, load_model(name), clean_texts(texts), sequence_length)


def predict_cleaned(name: str, model, cleaned: list[str], sequence_length: int):
    """Class probabilities of already cleaned texts under a loaded model."""
    if name == "baseline":
        return model.predict_proba(cleaned)
    from newscat.features import encode, load_vocabulary, make_encoder
    from newscat.inference import predict_by_length
    from newscat.vocab_hash import check_vocabulary

    check_vocabulary(name)
    ids = encode(make_encoder(load_vocabulary(), sequence_length), cleaned)
    return predict_by_length(model, ids)


def known_token_counts(name: str, model, cleaned: list[str], sequence_length: int) -> list[int]:
    """Per cleaned text, how many of the tokens the model reads are in its vocabulary (0: a guess)."""
    if name == "baseline":  # whitespace tokens (newscat.baseline), its TF-IDF vocabulary
        vocabulary = model.named_steps["tfidf"].vocabulary_
        return [sum(token in vocabulary for token in text.split()) for text in cleaned]
    from newscat.features import load_vocabulary

    vocabulary = set(load_vocabulary())
    return [sum(token in vocabulary for token in text.split()[:sequence_length]) for text in cleaned]


NO_INPUT = "no text given: pass texts as arguments, --file FILE (one per line), or pipe them on stdin"


def read_texts(args) -> list[str]:
    if args.texts:
        return args.texts
    if args.file:
        with open(require_file(args.file), encoding="utf-8", errors="replace") as f:
            texts = [line.rstrip("\n") for line in f]
        if not texts:
            raise UsageError(f"{args.file} is empty: {NO_INPUT}")
        return texts
    if sys.stdin.isatty():
        raise UsageError(NO_INPUT)
    texts = [line.rstrip("\n") for line in sys.stdin]
    if not texts:
        raise UsageError(f"stdin is empty: {NO_INPUT}")
    return texts


def main(argv: list[str] | None = None, project_option: bool = False) -> None:
    parser = argparse.ArgumentParser(prog="newscat predict", description="Classify news texts into World, Sports, Business, Sci/Tech.")
    if project_option:  # handled by the `newscat` command (newscat.cli), listed in its help
        parser.add_argument("--project", default=".",
                            help="the project folder holding params.yaml and models/ (default: current directory)")
    parser.add_argument("texts", nargs="*", help="texts to classify (else --file or stdin)")
    parser.add_argument("--file", help="a file with one text per line")
    parser.add_argument("--model", choices=MODELS,
                        help="which trained model (default: model.cell in params.yaml)")
    parser.add_argument("--json", action="store_true", help="one JSON object per text")
    args = parser.parse_args(argv)  # before params.yaml is read: --help works anywhere
    params = load_params()
    args.model = args.model or params.model.cell
    texts = read_texts(args)
    cleaned, model = clean_texts(texts), load_model(args.model)  # once, for both
    probabilities = predict_cleaned(args.model, model, cleaned, params.vectorize.sequence_length)
    known = known_token_counts(args.model, model, cleaned, params.vectorize.sequence_length)
    for text, probs, n_known in zip(texts, probabilities, known):
        best = int(probs.argmax())
        if args.json:
            print(json.dumps({"text": text, "class": CLASS_NAMES[best], "probability": round(float(probs[best]), 4),
                              "probabilities": {n: round(float(p), 4) for n, p in zip(CLASS_NAMES, probs)},
                              "known_tokens": n_known}))
        else:
            flag = "[no known word: a guess] " if n_known == 0 else ""
            print(f"{CLASS_NAMES[best]:9s} {probs[best]:.3f}  {flag}{text[:100]}")


if __name__ == "__main__":
    run_stage(main)
