"""Why training resumes with its own checkpoint (newscat.train.resume) and not Keras' own
`keras.callbacks.BackupAndRestore`: the latter restores the weights, the optimizer and the
epoch, but not EarlyStopping's state (best value, wait, best weights), so a resumed run can
stop later and keep another epoch than the same run uninterrupted.

    .venv/bin/python benchmarks/backup_and_restore.py

Trains one small seeded model twice with EarlyStopping(patience=2, restore_best_weights=True)
and BackupAndRestore: once uninterrupted, once interrupted after the epoch the first run stopped
at and then resumed from its backup. Prints both runs' validation losses, the epoch each kept,
and whether their final weights are equal.
"""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(0)
X, XV = rng.normal(size=(400, 8)).astype("float32"), rng.normal(size=(200, 8)).astype("float32")
Y = (X[:, 0] + 0.8 * rng.normal(size=400) > 0).astype("int32")
YV = (XV[:, 0] + 0.8 * rng.normal(size=200) > 0).astype("int32")


class Interrupt(keras.callbacks.Callback):
    def __init__(self, after_epochs: int):
        super().__init__()
        self.after_epochs = after_epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.after_epochs:
            raise KeyboardInterrupt  # a Ctrl-C between two epochs


def train(backup_dir: str, interrupt_after: int | None = None):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    early_stopping = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    callbacks = [early_stopping, keras.callbacks.BackupAndRestore(backup_dir)]
    history = model.fit(X, Y, validation_data=(XV, YV), epochs=30, batch_size=32, shuffle=False, verbose=0,
                        callbacks=callbacks + ([Interrupt(interrupt_after)] if interrupt_after else []))
    return model, early_stopping, [round(v, 4) for v in history.history["val_loss"]]


def main() -> None:
    folder = tempfile.mkdtemp()
    whole, es, losses = train(f"{folder}/uninterrupted")
    print(f"uninterrupted: val_loss {losses}; ran {len(losses)} epochs, kept epoch {es.best_epoch + 1}")
    after = len(losses) - 1  # the epoch before the one at which the uninterrupted run stopped
    try:
        train(f"{folder}/resumed", interrupt_after=after)
    except KeyboardInterrupt:
        pass
    resumed, es, losses = train(f"{folder}/resumed")
    print(f"interrupted after epoch {after} and resumed: val_loss of the epochs run after resuming {losses}; "
          f"ran {after + len(losses)} epochs in all, kept epoch {es.best_epoch + 1}")
    same = all(np.array_equal(a, b) for a, b in zip(whole.get_weights(), resumed.get_weights()))
    print(f"final weights equal: {same}")


if __name__ == "__main__":
    main()
