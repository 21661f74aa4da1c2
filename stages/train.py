"""Stages train_lstm / train_gru: `python -m stages.train lstm|gru` (from the project root).

Fits the attention RNN (newscat.train.fit: early stopping on the validation split, resumable after a
kill) and writes models/<cell>_attention_model.keras, models/<cell>_attention.weights.h5 and
dvclive/train_<cell>/ together; under multi_worker only the chief writes them.
"""

import argparse
import tempfile
from pathlib import Path

from newscat.core.errors import PipelineError, run_stage
from newscat.core.params import load_params
from newscat.core.registry import RNN_CELLS, keras_model_path, live_dir, weights_path
from newscat.core.staging import StagedOutputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell", help=" or ".join(RNN_CELLS))
    cell = parser.parse_args().cell
    if cell not in RNN_CELLS:
        raise PipelineError(f"cell {cell!r} is not one of {', '.join(RNN_CELLS)}")
    params = load_params()
    # These import TensorFlow: after the params are checked.
    from newscat.train.distribute import is_chief, worker_name
    from newscat.train.fit import discard_checkpoint, fit, report, save_model, write_dvclive
    from newscat.train.resume import checkpoint_path

    run = fit(cell, params, checkpoint=checkpoint_path(cell, worker_name()))
    if not is_chief():  # a multi_worker worker: saves like the chief (collectives), keeps nothing
        with tempfile.TemporaryDirectory() as scratch:
            save_model(run, Path(scratch) / "model.keras", Path(scratch) / "model.weights.h5")
        discard_checkpoint(run)
        print(report(run) + "; not the chief worker, nothing written")
        return
    with StagedOutputs() as out:
        save_model(run, out.path(keras_model_path(cell)), out.path(weights_path(cell)))
        write_dvclive(run, out.path(live_dir(cell) / "plots"), out.path(live_dir(cell) / "metrics.json"))
    discard_checkpoint(run)
    print(report(run) + f"; saved {keras_model_path(cell)}, {weights_path(cell)}, {live_dir(cell)}")


if __name__ == "__main__":
    run_stage(main)
