"""Stage download: AG News train/test -> data/raw/{train,test}.csv (label,title,description)."""

from newscat.data import RAW_HEADER, load_csv_splits, load_tfds_splits
from newscat.errors import PipelineError, run_stage
from newscat.io import StagedOutputs, write_json, write_table
from newscat.params import load_params

RAW_DIR = "data/raw"


def main() -> None:
    params = load_params().data
    if params.source == "csv":
        splits, problems = load_csv_splits(params.csv_dir)
    else:
        splits, problems = load_tfds_splits(params.manual_dir)
    if problems.items and params.on_bad_rows == "error":
        raise PipelineError(problems.summary() + "\n(set data.on_bad_rows: skip to drop them)")
    with StagedOutputs() as out:
        for split, rows in splits.items():
            write_table(out.path(f"{RAW_DIR}/{split}.csv"), RAW_HEADER, rows)
        write_json(out.path(f"{RAW_DIR}/report.json"),
                   {"source": params.source, "bad_rows_skipped": len(problems.items)})
    sizes = ", ".join(f"{split} {len(rows)}" for split, rows in splits.items())
    print(f"download: {sizes} rows from {params.source}; {len(problems.items)} bad row(s) skipped")


if __name__ == "__main__":
    run_stage(main)
