"""Test accuracy of the RNNs with and without length bucketing (and other batch sizes), same seeds.

    .venv/bin/python benchmarks/accuracy_ab.py [variant ...]   # run from the project root

Trains like stages/train.py (train split, early stopping on val) on the data already built
in data/vectorized (e.g. from the bundled data/sample) and scores the test split.
Writes nothing under models/ or dvclive/.  variant: cell:bucket_batches:batch_size:learning_rate
"""

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stages"))

import numpy as np  # noqa: E402

import newscat.training as training  # noqa: E402
from newscat.datasets import load_vectorized  # noqa: E402
from newscat.params import load_params  # noqa: E402

DEFAULT = ["lstm:0:128:0.001", "gru:0:128:0.001",    # before: the first params, no bucketing
           "lstm:16:512:0.005", "gru:16:512:0.005"]  # after: the defaults now


def main() -> None:
    from train import train  # stages/train.py

    params = load_params()
    x_test, y_test = load_vectorized("test")
    for variant in sys.argv[1:] or DEFAULT:
        cell, bucket, batch, lr = variant.split(":")
        training.BUCKET_BATCHES = int(bucket)
        p = replace(params, train=replace(params.train, batch_size=int(batch), learning_rate=float(lr)))
        start = time.perf_counter()
        model, seconds = train(cell, p)
        acc = float(np.mean(model.predict(training.eval_batches(x_test), verbose=0).argmax(1) == y_test))
        print(f"RESULT {variant:22s} test accuracy {acc:.4f}  training {seconds:.1f} s  "
              f"(total {time.perf_counter() - start:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
