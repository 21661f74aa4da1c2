"""Stage train_baseline: TF-IDF + logistic regression on the cleaned train split -> models/baseline.joblib."""

import time

import joblib

from newscat.core.io import load_clean
from newscat.core.errors import run_stage
from newscat.core.params import load_params
from newscat.core.registry import BASELINE_FILE
from newscat.core.staging import StagedOutputs
from newscat.train.baseline import build_baseline


def main() -> None:
    params = load_params()
    labels, texts = load_clean("train")
    bp = params.baseline
    model = build_baseline(bp.max_features, bp.ngram_max, bp.C)
    start = time.perf_counter()
    model.fit(texts, labels)
    seconds = time.perf_counter() - start
    # scikit-learn caches id(stop_words), a memory address, on the vectorizer: drop it so the
    # same model pickles to the same bytes in every process (it is re-derived when needed).
    vars(model.named_steps["tfidf"]).pop("_stop_words_id", None)
    with StagedOutputs() as out:
        joblib.dump(model, out.path(BASELINE_FILE))
    print(f"train_baseline: {seconds:.1f} s of training; saved {BASELINE_FILE}")


if __name__ == "__main__":
    run_stage(main, tensorflow=False)
