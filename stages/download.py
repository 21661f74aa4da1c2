"""Stage download: AG News train/test -> data/raw/{train,test}.csv (label,title,description).

data/raw/report.json accounts for every row: per split rows read = kept + skipped, and the
first skipped rows (split, file:line or line range, reason) with their count.
"""

from newscat.core.errors import run_stage
from newscat.core.io import write_json, write_table
from newscat.core.params import load_params
from newscat.core.registry import RAW_HEADER, RAW_REPORT, raw_table
from newscat.core.staging import StagedOutputs
from newscat.data.raw import account_for_rows, load_csv_splits, load_tfds_splits


def main() -> None:
    params = load_params().data
    if params.source == "csv":
        splits, problems = load_csv_splits(params.csv_dir)
    else:
        splits, problems = load_tfds_splits(params.manual_dir)
    report = account_for_rows(splits, problems, params.on_bad_rows)
    with StagedOutputs() as out:
        for split, rows in splits.items():
            write_table(out.path(raw_table(split)), RAW_HEADER, rows)
        write_json(out.path(RAW_REPORT), {"source": params.source, "files": problems.sources, **report})
    for split, counts in report["rows"].items():
        print(f"download: {split}: {counts['read']} row(s) read = {counts['kept']} kept + "
              f"{counts['skipped']} skipped (from {params.source})")
    for item in problems.items[:5]:
        print(f"  skipped {item}")
    if len(problems.items) > 5:
        print(f"  ... {len(problems.items) - 5} more listed in {RAW_REPORT}")


if __name__ == "__main__":
    run_stage(main, tensorflow=False)
