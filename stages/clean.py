"""Stage clean: data/raw -> data/clean/{train,val,test}.csv (label,text), val carved from train.

The test split is cleaned with the same rules but never used to fit anything. Rows that
are empty after cleaning are dropped from train/val (counted) and kept in test, so every
test row gets a prediction.
"""

import _bootstrap  # noqa: F401

import numpy as np

from newscat import CLASS_NAMES
from newscat.data import RAW_HEADER
from newscat.errors import run_stage
from newscat.io import StagedOutputs, read_table, write_json, write_table
from newscat.params import load_params
from newscat.split import split_train_val
from newscat.text import clean_texts, english_stopwords, join_title_description

from newscat.datasets import CLEAN_HEADER


def clean_rows(rows: list[list[str]], stopwords: frozenset[str]) -> tuple[list[int], list[str]]:
    labels = [int(label) for label, _, _ in rows]
    texts = clean_texts((join_title_description(t, d) for _, t, d in rows), stopwords)
    return labels, texts


def length_stats(texts: list[str]) -> dict:
    lengths = np.array([len(t.split()) for t in texts])
    return {"mean": round(float(lengths.mean()), 2), "p50": int(np.percentile(lengths, 50)),
            "p95": int(np.percentile(lengths, 95)), "p99": int(np.percentile(lengths, 99)),
            "max": int(lengths.max())}


def per_class(labels) -> dict:
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(CLASS_NAMES))
    return {name: int(n) for name, n in zip(CLASS_NAMES, counts)}


def main() -> None:
    params = load_params().data
    stopwords = english_stopwords()
    train_labels, train_texts = clean_rows(read_table("data/raw/train.csv", RAW_HEADER), stopwords)
    test_labels, test_texts = clean_rows(read_table("data/raw/test.csv", RAW_HEADER), stopwords)

    keep = [i for i, t in enumerate(train_texts) if t]
    dropped_empty = len(train_texts) - len(keep)
    train_labels = [train_labels[i] for i in keep]
    train_texts = [train_texts[i] for i in keep]
    y_train, y_val, x_train, x_val = split_train_val(train_labels, train_texts,
                                                     params.val_fraction, params.seed)
    splits = {"train": (y_train, x_train), "val": (y_val, x_val), "test": (test_labels, test_texts)}
    report = {
        "rows": {name: {"total": len(y), "per_class": per_class(y)} for name, (y, _) in splits.items()},
        "dropped_empty_after_cleaning": {"train_and_val": dropped_empty},
        "test_rows_empty_after_cleaning": sum(1 for t in test_texts if not t),
        "token_length_train": length_stats(x_train),
        "stopwords_used": len(stopwords),
    }
    with StagedOutputs() as out:
        for name, (y, x) in splits.items():
            write_table(out.path(f"data/clean/{name}.csv"), CLEAN_HEADER, zip(y, x))
        write_json(out.path("data/clean/report.json"), report)
    print(f"clean: train {len(y_train)}, val {len(y_val)}, test {len(test_labels)}; "
          f"{dropped_empty} empty train row(s) dropped; token length {report['token_length_train']}")


if __name__ == "__main__":
    run_stage(main)
