"""Stages train_lstm / train_gru: `python stages/train.py lstm|gru`.

Fits the attention RNN on the train split with early stopping on the validation split's
loss (never the test split), logs every epoch with DVCLive, and saves
models/<cell>_attention_model.keras and models/<cell>_attention.weights.h5.
A killed run resumes from its last completed epoch (newscat.resume).
"""

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from newscat.datasets import load_vectorized
from newscat.errors import PipelineError, run_stage
from newscat.features import load_vocabulary
from newscat.io import StagedOutputs, make_keras_archive_reproducible
from newscat.model import CELLS
from newscat.registry import keras_model_path, live_dir, weights_path
from newscat.params import load_params
from newscat.vocab_hash import vocab_hash_path, write_vocab_hash

CHECKPOINT_ROOT = Path("tmp/resume")  # scratch space, not a DVC output; git-ignored


def fingerprint(*parts) -> str:
    """Identifies a run: a checkpoint is only resumed by the run that wrote it."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.tobytes() if hasattr(part, "tobytes") else repr(part).encode())
    return digest.hexdigest()[:16]


def train(cell: str, params, live_dir: str | None = None, checkpoint_dir: Path | None = None):
    """Train one cell; returns (model, seconds). The pure core of the stage (tests call it)."""
    from newscat.distribute import strategy_for
    from newscat.model import build_model
    from newscat.resume import EpochCheckpoint, PerEpochSeed, load_checkpoint, remove_checkpoint
    from newscat.training import (BUCKET_BATCHES, compile_model, eval_batches, make_deterministic,
                                  row_lengths, steps_per_epoch, train_batches, use_threads)
    import keras
    import numpy as np

    tp, mp = params.train, params.model
    use_threads(tp.intra_op_threads, tp.inter_op_threads)  # before TensorFlow runs any op
    make_deterministic(tp.seed)
    x_train, y_train = load_vectorized("train")
    x_val, y_val = load_vectorized("val")
    vocab_size = len(load_vocabulary()) + 2
    run_id = fingerprint(cell, tp, mp, BUCKET_BATCHES, x_train, y_train, x_val, y_val)

    strategy = strategy_for(tp.distribute)
    resumed = load_checkpoint(checkpoint_dir, run_id) if checkpoint_dir else None
    with strategy.scope():
        if resumed:
            model, state = resumed
            print(f"resume: continuing {cell} after epoch {state['epochs_done']} from {checkpoint_dir}")
        else:
            model, state = build_model(cell, vocab_size, mp.embedding_dim, mp.units, mp.dropout,
                                       seed=tp.seed), None
            compile_model(model, tp.learning_rate)
    first_epoch = state["epochs_done"] if state else 0
    # Killed after early stopping (or the last epoch) but before saving: train no further.
    last_epoch = first_epoch if state and state.get("stopped") else tp.epochs

    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=tp.patience,
                                                   restore_best_weights=True)
    callbacks = [PerEpochSeed(tp.seed), early_stopping]
    if checkpoint_dir:
        callbacks.append(EpochCheckpoint(checkpoint_dir, early_stopping, run_id, state))
    live = None
    if live_dir:
        from dvclive import Live
        from dvclive.keras import DVCLiveCallback

        # Always a fresh history; a resumed run replays the epochs its checkpoint logged, so the
        # DVCLive files equal an uninterrupted run's whether or not DVCLive wrote before the kill.
        live = Live(live_dir, dvcyaml=False, save_dvc_exp=False)
        live_callback = DVCLiveCallback(live=live)
        for epoch, logs in enumerate(state.get("history", []) if state else []):
            live_callback.on_epoch_end(epoch, logs)
        callbacks.append(live_callback)

    by_length = np.argsort(row_lengths(x_val), kind="stable")  # less padding; same loss and accuracy
    start = time.perf_counter()
    model.fit(train_batches(x_train, y_train, tp.batch_size, tp.seed, first_epoch, tp.epochs),
              steps_per_epoch=steps_per_epoch(len(x_train), tp.batch_size),
              initial_epoch=first_epoch, epochs=last_epoch,
              validation_data=eval_batches(x_val[by_length], y_val[by_length]), callbacks=callbacks, shuffle=False,
              verbose=1 if sys.stdout.isatty() else 2)
    seconds = time.perf_counter() - start
    if live:
        live.end()
    if checkpoint_dir:
        remove_checkpoint(checkpoint_dir)
    return model, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell", help="lstm or gru")
    cell = parser.parse_args().cell
    if cell not in CELLS:
        raise PipelineError(f"cell {cell!r} is not one of {', '.join(CELLS)}")
    params = load_params()
    from newscat.distribute import is_chief  # imports TensorFlow: after the params are checked

    chief = is_chief()
    model, seconds = train(cell, params, live_dir=str(live_dir(cell)) if chief else None,
                           checkpoint_dir=CHECKPOINT_ROOT / f"train_{cell}")
    if not chief:  # a multi_worker worker: saves like the chief (collectives), keeps nothing
        with tempfile.TemporaryDirectory() as scratch:
            model.save(Path(scratch) / "model.keras")
        print(f"train_{cell}: {seconds:.1f} s of training; not the chief worker, nothing written")
        return
    with StagedOutputs() as out:
        model_file = out.path(keras_model_path(cell))
        model.save(model_file)
        make_keras_archive_reproducible(model_file)
        model.save_weights(out.path(weights_path(cell)))
        write_vocab_hash(out.path(vocab_hash_path(cell)))  # which models/vocab.txt it was trained with
    print(f"train_{cell}: {seconds:.1f} s of training; saved {keras_model_path(cell)} and {weights_path(cell)}")


if __name__ == "__main__":
    run_stage(main)
