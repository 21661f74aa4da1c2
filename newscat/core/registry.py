"""Names and places, defined once: the classes, the models, and every file the pipeline reads or
writes, relative to the project root (the folder holding dvc.yaml, where every stage runs).

Plain data: this module imports nothing of the package. dvc.yaml names the same files (it
cannot import Python); tests/test_registry.py checks that the two agree.
"""

from __future__ import annotations

from pathlib import Path

# AG News label ids 0..3, in the order TFDS uses (the CSV's classes 1..4 minus one).
CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")

# The attention RNNs, by cell, with the Keras layer class each one uses.
RNN_LAYER = {"lstm": "LSTM", "gru": "GRU"}
RNN_CELLS = tuple(RNN_LAYER)
BASELINE = "baseline"
MODELS = (*RNN_CELLS, BASELINE)
DISPLAY_NAMES = {"lstm": "LSTM+Attention", "gru": "GRU+Attention", BASELINE: "TF-IDF+LogReg"}
STAGE_OF = {**{cell: f"train_{cell}" for cell in RNN_CELLS}, BASELINE: "train_baseline"}
# Scored by evaluate next to the models (not a trained model, never the headline): the mean
# of the three models' class probabilities.
ENSEMBLE = "ensemble"
ENSEMBLE_NAME = "Ensemble (mean of 3)"
SCORED_NAMES = {**DISPLAY_NAMES, ENSEMBLE: ENSEMBLE_NAME}

# Inputs that ship with the project.
PARAMS_FILE = Path("params.yaml")
NLTK_DATA = Path("data/nltk_data")  # NLTK's stopwords corpus, in NLTK's layout

# check_params: written only while params.yaml is valid, always the same bytes; every stage
# depends on it, so an invalid params.yaml stops `dvc repro` before any stage runs.
PARAMS_CHECKED = Path("data/params.ok")

# download -> clean -> vectorize
SPLITS = ("train", "test")
RAW_DIR = Path("data/raw")
RAW_HEADER = ("label", "title", "description")
RAW_REPORT = RAW_DIR / "report.json"
CLEAN_DIR = Path("data/clean")
CLEAN_HEADER = ("label", "text")
CLEAN_REPORT = CLEAN_DIR / "report.json"
VECTORIZED_DIR = Path("data/vectorized")
VOCAB_FILE = Path("models/vocab.txt")
DATA_METRICS = Path("metrics/data.json")


def raw_table(split: str) -> Path:
    return RAW_DIR / f"{split}.csv"


def clean_table(split: str) -> Path:
    return CLEAN_DIR / f"{split}.csv"


def vectorized_paths(split: str, root: Path = VECTORIZED_DIR) -> tuple[Path, Path]:
    """(token ids, labels) of one split."""
    return Path(root) / f"x_{split}.npy", Path(root) / f"y_{split}.npy"


# Trained models.
BASELINE_FILE = Path("models/baseline.joblib")


def keras_model_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention_model.keras")


def weights_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention.weights.h5")


def live_dir(cell: str) -> Path:
    """DVCLive's per-epoch history of one training."""
    return Path(f"dvclive/train_{cell}")


def serving_path(cell: str) -> Path:
    """The exported SavedModel (raw text in, probabilities out) of one cell."""
    return Path(f"models/{cell}_serving")


# evaluate
METRICS_FILE = Path("metrics/metrics.json")  # the one DVC metrics file
REPORT_FILE = Path("reports/classification_report.md")
TRAINING_CURVES = Path("eval/training_curves.csv")
ATTENTION_FIGURE = Path("Figures/attention_examples.png")


def scores_path(name: str) -> Path:
    """Full scores (per class too) of a model or the ensemble."""
    return Path(f"metrics/{name}.json")


def confusion_path(name: str) -> Path:
    """One row per test text (actual, predicted): the data of DVC's confusion plot."""
    return Path(f"eval/{name}_confusion.csv")


def confusion_figure(cell: str) -> Path:
    return Path(f"Figures/Confusion_matrix_{DISPLAY_NAMES[cell]}.png")


def history_figure_path(cell: str) -> Path:
    return Path(f"Figures/{cell}_attention_acc_loss.png")


# wordclouds: split -> the name its figures carry
FIGURE_SPLIT_NAMES = {"train": "training", "test": "test"}
DISTINCTIVE_WORDS_FIGURE = Path("Figures/distinctive_words.png")


def wordcloud_figure(split: str, cleaned: bool) -> Path:
    return Path(f"Figures/{'cleaned_' if cleaned else ''}{FIGURE_SPLIT_NAMES[split]}_wordclouds.png")


def distribution_figure(split: str) -> Path:
    return Path(f"Figures/{FIGURE_SPLIT_NAMES[split]}_dist.png")


# Scratch space (git-ignored, never a DVC output).
STAGING_DIR = Path("tmp/staging")  # outputs staged before they replace the old ones together
CHECKPOINT_ROOT = Path("tmp/resume")  # checkpoints of interrupted trainings
CHECKPOINT_STATE = "newscat_checkpoint.json"  # in a checkpoint's .keras archive: its run and epoch
RUN_KEY = "newscat_run"  # a trained model's run id (newscat.train.resume.run_id), in its .keras metadata.json
