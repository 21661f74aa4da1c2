"""The models, defined once: which exist, their display names, the stage that trains each,
and where each one's files live (newscat.inference.load_model loads one). Plain data: this
module imports nothing of the package, so depending on it drags nothing else in.

Everything else derives from here: newscat.model.CELLS (cell -> Keras layer), the valid
`model.cell` values in newscat.params, the SavedModel folders of newscat.serving, evaluate's
rows and figure titles, predict's --model choices. dvc.yaml names the same stages and files
(tests/test_registry.py checks that they agree).
"""

from __future__ import annotations

from pathlib import Path

# The attention RNNs, by cell, with the Keras layer class each one uses.
RNN_LAYER = {"lstm": "LSTM", "gru": "GRU"}
RNN_CELLS = tuple(RNN_LAYER)
BASELINE = "baseline"
MODELS = (*RNN_CELLS, BASELINE)
DISPLAY_NAMES = {"lstm": "LSTM+Attention", "gru": "GRU+Attention", BASELINE: "TF-IDF+LogReg"}
STAGE_OF = {**{cell: f"train_{cell}" for cell in RNN_CELLS}, BASELINE: "train_baseline"}
BASELINE_FILE = Path("models/baseline.joblib")
# Scored by evaluate next to the models (not a trained model, never the headline): the mean
# of the three models' class probabilities.
ENSEMBLE = "ensemble"
ENSEMBLE_NAME = "Ensemble (mean of 3)"


def keras_model_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention_model.keras")


def weights_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention.weights.h5")


def serving_path(cell: str) -> Path:
    """The exported SavedModel (raw text in, probabilities out) of one cell."""
    return Path(f"models/{cell}_serving")


def live_dir(cell: str) -> Path:
    return Path(f"dvclive/train_{cell}")

