"""Classify new text: `python -m newscat.serve.predict "some headline" ...` (or --file, or stdin).

Training's cleaning and vocabulary (checked against the model's hash) are applied. Each answer
carries its probability and flags (nothing known or left to read, mostly unknown words, unsure,
cut); an empty text is skipped; no input at all (or only blank text): exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newscat.core import quiet
from newscat.core.errors import PipelineError, UsageError, run_stage
from newscat.core.inference import class_probabilities, ensemble_probabilities, load_model
from newscat.core.io import require_file
from newscat.core.params import load_params
from newscat.core.registry import BASELINE, CLASS_NAMES, ENSEMBLE, MODELS, NLTK_DATA, PARAMS_FILE, RNN_CELLS
from newscat.core.vocab import trained_inputs
from newscat.data.text import clean_texts, read_stopwords


def predict_proba(name: str, texts: list[str], root: Path = Path(".")):
    """Class probabilities [len(texts), 4] of raw texts under the named model of the project at root."""
    cleaned = clean_texts(texts, read_stopwords(root / NLTK_DATA))
    return predict_cleaned(name, load_model(name, root), cleaned, root)


def predict_cleaned(name: str, model, cleaned: list[str], root: Path = Path(".")):
    """Class probabilities of cleaned texts under a loaded model of the project at root (an RNN reads
    them through the vocabulary and sequence length it was trained with)."""
    if name == BASELINE:
        return class_probabilities(name, model, cleaned=cleaned)
    from newscat.data.features import encode, make_encoder

    ids = encode(make_encoder(*trained_inputs(name, root)), cleaned)
    return class_probabilities(name, model, ids=ids)


def known_token_counts(name: str, model, cleaned: list[str], root: Path = Path(".")) -> list[tuple[int, int]]:
    """Per cleaned text, (tokens the model reads that it knows, tokens it reads)."""
    if name == BASELINE:  # whitespace tokens (newscat.train.baseline), its TF-IDF vocabulary
        vocabulary, limit = model.named_steps["tfidf"].vocabulary_, None
    else:
        words, limit = trained_inputs(name, root)
        vocabulary = set(words)
    return [(sum(token in vocabulary for token in tokens), len(tokens))
            for tokens in (text.split()[:limit] for text in cleaned)]


# When an answer is flagged (docs/serving.md; the validation rows behind these values:
# benchmarks/predict_thresholds.py). Unsure: a top probability under UNSURE_BELOW, where the
# sample models were right on about half of such validation rows or less (9 in 10 above).
# Mostly unknown words: under half of the words the model reads are in its vocabulary.
UNSURE_BELOW = 0.5
KNOWN_SHARE_BELOW = 0.5


def flags(top: float, known: int, read: int, replaced: int, words: int = 0) -> list[str]:
    """What a reader of one answer should know: why it may be a guess, what was replaced or not
    read (`words`: the cleaned text's, of which the model reads `read`)."""
    found = []
    if read == 0:
        found.append("no word left after cleaning (stopwords, numbers, punctuation): a guess")
    elif known == 0:
        found.append("no known word: a guess")
    elif known / read < KNOWN_SHARE_BELOW:
        found.append(f"mostly unknown words: {known} of {read} known")
    if top < UNSURE_BELOW:
        found.append(f"unsure: top probability under {UNSURE_BELOW}")
    if replaced:
        found.append(f"{replaced} undecodable byte(s) replaced")
    if words > read:
        found.append(f"long: the first {read} of {words} words read")
    return found


NO_INPUT = "no text given: pass texts as arguments, --file FILE (one per line), or pipe them on stdin"


def decoded(data: bytes) -> tuple[str, int]:
    """UTF-8 text with undecodable bytes replaced by U+FFFD, and how many replacements were made."""
    text = data.decode("utf-8", errors="replace")
    return text, text.count("\ufffd") - data.count("\ufffd".encode())


def read_texts(args) -> tuple[list[str], list[int]]:
    """The texts (arguments, --file or stdin: any bytes) and per text the undecodable bytes replaced."""
    if args.texts and args.file:
        raise UsageError(f"texts given as arguments and --file {args.file}: give one or the other")
    if args.texts:  # bytes the locale could not decode arrive as surrogates
        source, lines = "the command line", [text.encode("utf-8", "surrogateescape") for text in args.texts]
    elif args.file:
        path = Path(require_file(args.file))
        if path.is_dir():
            raise UsageError(f"{args.file} is a directory; --file takes a text file, one text per line")
        source, lines = args.file, path.read_bytes().splitlines()
    elif sys.stdin.isatty():
        raise UsageError(NO_INPUT)
    else:
        source, lines = "stdin", sys.stdin.buffer.read().splitlines()
    if not any(line.strip() for line in lines):  # nothing to classify: as no input at all
        raise UsageError(f"{source} {'holds only blank text' if lines else 'is empty'}: {NO_INPUT}")
    pairs = [decoded(line) for line in lines]
    return [text for text, _ in pairs], [replaced for _, replaced in pairs]


PROJECT_FILES = ("dvc.yaml", "params.yaml")  # what makes a folder a newscat project


def project_root(path: str | Path) -> Path:
    """The project folder as an absolute path; a PipelineError naming it if it is not one."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise PipelineError(f"--project {path}: {'not a' if root.exists() else 'no such'} directory ({root})")
    missing = [name for name in PROJECT_FILES if not (root / name).is_file()]
    if missing:
        raise PipelineError(f"{root} is not a newscat project: no {' or '.join(missing)} there; run the command "
                            "in the project folder (a clone of the repository, with models trained by `dvc repro`) "
                            "or pass --project PATH")
    return root


def main(argv: list[str] | None = None, root: Path = Path("."), check_project: bool = False) -> None:
    """Classify the texts argv names with the models of the project at root, or at --project
    (checked to be a project; with check_project, also the default one, the current directory)."""
    parser = argparse.ArgumentParser(prog="newscat predict", description="Classify news texts into World, Sports, Business, Sci/Tech.")
    parser.add_argument("--project", help="the project folder holding params.yaml and models/ (default: current directory)")
    parser.add_argument("texts", nargs="*", help="texts to classify (else --file or stdin)")
    parser.add_argument("--file", help="a file with one text per line")
    parser.add_argument("--model", choices=(*MODELS, ENSEMBLE),
                        help="which trained model, or the ensemble evaluate scores (the mean of the three's "
                             "probabilities); default: model.cell in params.yaml")
    parser.add_argument("--json", action="store_true", help="one JSON object per text")
    args = parser.parse_args(argv)  # before params.yaml is read: --help works anywhere, at once
    quiet.import_tensorflow()  # only now: TensorFlow's start-up lines dropped (the stage runner's job elsewhere)
    if args.project is None and check_project:
        args.project = "."
    if args.project is None:
        return classify(args, root)
    root = project_root(args.project)
    try:
        classify(args, root)
    except PipelineError as exc:
        exc.args = (f"{exc} (project: {root})",)  # same type, so UsageError keeps exit status 2
        raise


def classify(args, root: Path) -> None:
    args.model = args.model or load_params(root / PARAMS_FILE).model.cell  # params.yaml: only for the default
    if hasattr(sys.stdout, "reconfigure"):  # a real stream (not a test's StringIO)
        sys.stdout.reconfigure(errors="replace")  # any text prints, whatever the locale's encoding
    texts, replaced = read_texts(args)
    cleaned = clean_texts(texts, read_stopwords(root / NLTK_DATA))
    names = MODELS if args.model == ENSEMBLE else (args.model,)
    models = {name: load_model(name, root) for name in names}  # once, for both uses
    probabilities = ensemble_probabilities([predict_cleaned(n, m, cleaned, root) for n, m in models.items()])
    vocabulary_of = RNN_CELLS[0] if args.model == ENSEMBLE else args.model  # the ensemble: the RNNs' words
    known = known_token_counts(vocabulary_of, models[vocabulary_of], cleaned, root)
    for text, clean, probs, (n_known, n_read), n_replaced in zip(texts, cleaned, probabilities, known, replaced):
        if not text.strip():  # nothing to read: a note, not a class
            print(json.dumps({"text": text, "skipped": "empty text"}) if args.json else "(empty text: skipped)")
            continue
        best = int(probs.argmax())
        noted = flags(float(probs[best]), n_known, n_read, n_replaced, len(clean.split()))
        if args.json:
            print(json.dumps({"text": text, "class": CLASS_NAMES[best], "probability": round(float(probs[best]), 4),
                              "probabilities": {n: round(float(p), 4) for n, p in zip(CLASS_NAMES, probs)},
                              "known_tokens": n_known, "tokens_read": n_read, "flags": noted,
                              "undecodable_replaced": n_replaced}))
        else:
            print(f"{CLASS_NAMES[best]:9s} {probs[best]:.3f}  {''.join(f'[{f}] ' for f in noted)}{text[:100]}")


if __name__ == "__main__":
    run_stage(main, tensorflow=False, tidy=False)
