"""Stage check_params: validate params.yaml as a whole before any other stage runs.

It depends on the whole params.yaml and writes data/params.ok, which every other stage depends
on. Its bytes never change while params.yaml is valid, so a valid change reruns only the
stages that read the changed keys; an invalid one (a typo, a missing key, a bad value) fails
here, first, before DVC removes any other stage's outputs. The file is `persist` in dvc.yaml:
DVC does not delete it before this stage runs, so a failed check leaves it as it was.
"""

from pathlib import Path

from newscat.core.errors import run_stage
from newscat.core.params import load_params
from newscat.core.registry import PARAMS_CHECKED, PARAMS_FILE, SPLITS
from newscat.core.staging import StagedOutputs
from newscat.data.raw import find_split_file

CHECKED = f"{PARAMS_FILE} is valid (written by stage check_params; every stage depends on it)\n"


def main() -> None:
    data = load_params().data
    if data.source == "csv":  # named here, before DVC finds download's dependency missing
        for split in SPLITS:
            find_split_file(Path(data.csv_dir), split)
    with StagedOutputs() as out:
        out.path(PARAMS_CHECKED).write_text(CHECKED, encoding="utf-8")
    print(f"check_params: {PARAMS_FILE} is valid")


if __name__ == "__main__":
    run_stage(main, tensorflow=False)
