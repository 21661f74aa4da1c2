"""Stage check_params: validate params.yaml as a whole, so a typo stops the next `dvc repro`.

DVC reruns a stage only when something it declares changes; a mistyped key (`model.unit`)
is read by no stage, so without this one nothing would look at it. This stage depends on the
whole params.yaml and writes nothing, so passing it invalidates no other stage.
"""

from newscat.errors import run_stage
from newscat.params import PARAMS_FILE, load_params


def main() -> None:
    load_params()
    print(f"check_params: {PARAMS_FILE} is valid")


if __name__ == "__main__":
    run_stage(main)
