"""How sure are the trained models, on VALIDATION rows: where predict's flags come from.

    .venv/bin/python benchmarks/predict_thresholds.py [--project .]

For each model (and the ensemble), on the validation split that clean carved from train (never
test): validation accuracy by top probability, and by the share of the words the model reads
that are in its vocabulary. newscat.serve.predict flags an answer as unsure below
predict.UNSURE_BELOW and as mostly unknown words below predict.KNOWN_SHARE_BELOW; this prints
how often such answers were right on validation rows, the reason for those values
(docs/serving.md). Needs a project whose pipeline ran (data/clean, models/).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

BANDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def table(name: str, correct: np.ndarray, values: np.ndarray, what: str) -> None:
    print(f"\n{name}: validation accuracy by {what}")
    for low, high in zip(BANDS, BANDS[1:]):
        rows = (values >= low) & (values < high)
        accuracy = f"{correct[rows].mean():.3f}" if rows.any() else "  -  "
        print(f"  [{low:.1f}, {min(high, 1.0):.1f}{')' if high < 1 else ']'}  rows {rows.sum():5d}  accuracy {accuracy}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", default=".", help="a project whose pipeline ran (default: here)")
    os.chdir(ap.parse_args().project)

    from newscat.core import quiet

    quiet.import_tensorflow()
    from newscat.core.io import load_clean
    from newscat.core.inference import ensemble_probabilities, load_model
    from newscat.core.registry import ENSEMBLE, MODELS, RNN_CELLS
    from newscat.serve.predict import KNOWN_SHARE_BELOW, UNSURE_BELOW, known_token_counts, predict_cleaned

    labels, cleaned = load_clean("val")
    models = {name: load_model(name) for name in MODELS}
    probabilities = {name: predict_cleaned(name, model, cleaned) for name, model in models.items()}
    probabilities[ENSEMBLE] = ensemble_probabilities(list(probabilities.values()))
    print(f"{len(labels)} validation rows; predict flags: unsure below {UNSURE_BELOW}, "
          f"mostly unknown words below a known share of {KNOWN_SHARE_BELOW}")
    for name, probs in probabilities.items():
        correct = probs.argmax(axis=1) == labels
        top = probs.max(axis=1)
        table(name, correct, top, "top probability")
        unsure = top < UNSURE_BELOW
        print(f"  flagged unsure: {unsure.mean():.1%} of rows, right {correct[unsure].mean():.3f}; "
              f"the others right {correct[~unsure].mean():.3f}")
        vocabulary_of = RNN_CELLS[0] if name == ENSEMBLE else name
        known, total = map(np.array, zip(*known_token_counts(vocabulary_of, models[vocabulary_of], cleaned)))
        share = known / np.maximum(total, 1)
        table(name, correct, share, "known share of its words")
        few = share < KNOWN_SHARE_BELOW
        print(f"  flagged mostly unknown: {few.mean():.1%} of rows, right "
              f"{correct[few].mean() if few.any() else float('nan'):.3f}")


if __name__ == "__main__":
    main()
