"""Resume an interrupted training at its last completed epoch, with the same end result.

After each epoch `EpochCheckpoint` saves, atomically, into a scratch folder outside DVC's
outputs: the model with its optimizer state, the EarlyStopping state and its best weights.
`load_checkpoint` returns them when the folder belongs to the same run (same fingerprint of
params and data), and the folder is deleted once training has finished. Dropout's random
stream is re-seeded from (seed, epoch) at every epoch start, and the input order is already
a function of (seed, epoch) (newscat.training), so a resumed run repeats the same arithmetic.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np

STEPS_PER_EPOCH_STREAM = 2**20  # room in the seed counter for this many dropout draws per epoch


class PerEpochSeed(keras.callbacks.Callback):
    """Set every layer's random stream to a function of (seed, epoch) at each epoch start."""

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self.model._flatten_layers():
            for generator in getattr(layer, "_seed_generators", []):
                generator.state.assign(np.array([self.seed, epoch * STEPS_PER_EPOCH_STREAM],
                                                dtype=generator.state.dtype))


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer + early-stopping state after every completed epoch."""

    def __init__(self, directory: Path, early_stopping: keras.callbacks.EarlyStopping,
                 fingerprint: str, resumed_state: dict | None = None):
        super().__init__()
        self.directory = Path(directory)
        self.early_stopping = early_stopping
        self.fingerprint = fingerprint
        self.resumed_state = resumed_state
        # Every completed epoch's logs, so a resumed run can replay them into a fresh DVCLive
        # history (DVCLive's own resume depends on whether it logged before the kill).
        self.history: list[dict] = list((resumed_state or {}).get("history", []))

    def on_train_begin(self, logs=None):
        # EarlyStopping.on_train_begin (which runs first) has just reset its state: put it back.
        if self.resumed_state:
            es, state = self.early_stopping, self.resumed_state
            es.best, es.wait, es.best_epoch = state["best"], state["wait"], state["best_epoch"]
            es.best_weights = state["best_weights"]

    def on_epoch_end(self, epoch, logs=None):
        es = self.early_stopping
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save(tmp / "model.keras")
        if es.best_weights is not None:
            np.savez(tmp / "best_weights.npz", *es.best_weights)
        best = None if es.best is None else float(es.best)
        self.history = self.history[:epoch] + [{k: float(v) for k, v in (logs or {}).items()}]
        (tmp / "state.json").write_text(json.dumps({
            "fingerprint": self.fingerprint, "epochs_done": epoch + 1,
            "best": best, "wait": es.wait, "best_epoch": es.best_epoch,
            # EarlyStopping (which runs before this callback) ended training at this epoch:
            # a run killed before saving its outputs must not train on when resumed.
            "stopped": bool(self.model.stop_training), "history": self.history}))
        old = self.directory.with_name(self.directory.name + ".old")
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(directory: Path, fingerprint: str) -> tuple[keras.Model, dict] | None:
    """(model with optimizer, state) saved by EpochCheckpoint for this same run, else None."""
    directory = Path(directory)
    for leftover in (directory.with_name(directory.name + ".tmp"),):
        shutil.rmtree(leftover, ignore_errors=True)
    old = directory.with_name(directory.name + ".old")
    if not directory.exists() and old.exists():
        old.rename(directory)  # killed between the two renames: the previous epoch is intact
    state_file = directory / "state.json"
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    if state.get("fingerprint") != fingerprint:
        print(f"resume: ignoring {directory} (it belongs to other params or data)")
        shutil.rmtree(directory, ignore_errors=True)
        return None
    model = keras.models.load_model(directory / "model.keras")
    weights_file = directory / "best_weights.npz"
    if weights_file.exists():
        with np.load(weights_file) as saved:
            state["best_weights"] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    else:
        state["best_weights"] = None
    return model, state


def remove_checkpoint(directory: Path) -> None:
    for path in (directory, directory.with_name(directory.name + ".old")):
        shutil.rmtree(path, ignore_errors=True)
