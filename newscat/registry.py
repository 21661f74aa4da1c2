"""Where each trained model lives, how it is named, and how to load it."""

from __future__ import annotations

from pathlib import Path

from newscat.io import require_file

RNN_CELLS = ("lstm", "gru")
MODELS = ("lstm", "gru", "baseline")
DISPLAY_NAMES = {"lstm": "LSTM+Attention", "gru": "GRU+Attention", "baseline": "TF-IDF+LogReg"}
BASELINE_FILE = Path("models/baseline.joblib")
STAGE_OF = {"lstm": "train_lstm", "gru": "train_gru", "baseline": "train_baseline"}


def keras_model_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention_model.keras")


def weights_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention.weights.h5")


def live_dir(cell: str) -> Path:
    return Path(f"dvclive/train_{cell}")


def load_model(name: str):
    """A trained model by name; a clear error naming the stage to run if it is missing."""
    hint = f"run `dvc repro {STAGE_OF[name]}`"
    if name == "baseline":
        import joblib

        return joblib.load(require_file(BASELINE_FILE, hint))
    import keras

    import newscat.model  # noqa: F401  (registers the custom attention layer)

    return keras.models.load_model(require_file(keras_model_path(name), hint))
