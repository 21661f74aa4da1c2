"""Stage clean: data/raw -> data/clean/{train,val,test}.csv (label,text), val carved from train.

The test split is cleaned with the same rules but never used to fit anything. Rows that
are empty after cleaning are dropped from train/val (counted) and kept in test, so every
test row gets a prediction. Duplicates (on the cleaned text) are counted and kept on one side
of the train/validation split; with data.drop_test_overlap, train rows whose cleaned text is
also a test text are dropped (newscat.data.splits).
"""

import numpy as np

from newscat.core.errors import run_stage
from newscat.core.io import read_json, read_table, write_json, write_table
from newscat.core.params import load_params
from newscat.core.registry import CLEAN_HEADER, CLEAN_REPORT, RAW_HEADER, RAW_REPORT, clean_table, raw_table
from newscat.core.staging import StagedOutputs
from newscat.data.splits import build_splits, clean_rows, per_class
from newscat.data.text import english_stopwords


def length_stats(texts: list[str]) -> dict:
    lengths = np.array([len(t.split()) for t in texts])
    return {"mean": round(float(lengths.mean()), 2), "p50": int(np.percentile(lengths, 50)),
            "p95": int(np.percentile(lengths, 95)), "p99": int(np.percentile(lengths, 99)),
            "max": int(lengths.max())}

def main() -> None:
    params = load_params().data
    stopwords = english_stopwords()
    train, test = (clean_rows(read_table(raw_table(split), RAW_HEADER), stopwords) for split in ("train", "test"))
    splits, checks = build_splits(train, test, params.val_fraction, params.seed, params.drop_test_overlap)
    raw = read_json(RAW_REPORT)
    report = {
        "data": {"source": raw["source"], "files": raw.get("files", {})},  # for evaluate's report header
        "rows": {name: {"total": len(y), "per_class": per_class(y)} for name, (y, _) in splits.items()},
        **checks,
        "test_rows_empty_after_cleaning": sum(1 for t in splits["test"][1] if not t),
        "token_length_train": length_stats(splits["train"][1]),
        "stopwords_used": len(stopwords),
    }
    with StagedOutputs() as out:
        for name, (y, x) in splits.items():
            write_table(out.path(clean_table(name)), CLEAN_HEADER, zip(y, x))
        write_json(out.path(CLEAN_REPORT), report)
    sizes = {name: len(y) for name, (y, _) in splits.items()}
    dup = checks["duplicates"]
    print(f"clean: train {sizes['train']}, val {sizes['val']}, test {sizes['test']}; "
          f"{checks['dropped_empty_after_cleaning']['train_and_val']} empty train row(s) dropped; "
          f"token length {report['token_length_train']}")
    print(f"clean: duplicates (cleaned text): {dup['train_rows_repeating_a_train_text']} train row(s) repeat a "
          f"train text ({dup['train_texts_with_conflicting_labels']} text(s) with conflicting labels), kept on "
          f"one side of train/val; {dup['test_rows_also_in_train']} test row(s) also in train; "
          f"{dup['train_rows_dropped_as_test_overlap']} train row(s) dropped as also in test "
          f"(data.drop_test_overlap: {str(params.drop_test_overlap).lower()})")

if __name__ == "__main__":
    run_stage(main)
