"""Scoring on the test split: metrics dicts and the figures that go with them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import accuracy_score, log_loss, precision_recall_fscore_support

from newscat.core.registry import CLASS_NAMES
from newscat.evaluate.plots import Figure, save_figure

DIGITS = 4  # metrics rounded for readable `dvc metrics diff`; still far below run-to-run noise


def as_distribution(probabilities: np.ndarray) -> np.ndarray:
    """float32 softmax rows in float64, each summing to 1 (sklearn's log_loss warns otherwise)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return p / p.sum(axis=1, keepdims=True)


def classification_metrics(y_true: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, log loss, macro and per-class precision/recall/F1, number of rows."""
    labels = list(range(len(CLASS_NAMES)))
    y_pred = probabilities.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    r = lambda v: round(float(v), DIGITS)  # noqa: E731
    return {
        "accuracy": r(accuracy_score(y_true, y_pred)),
        "loss": r(log_loss(y_true, as_distribution(probabilities), labels=labels)),
        "macro": {"precision": r(precision.mean()), "recall": r(recall.mean()), "f1": r(f1.mean())},
        "per_class": {name: {"precision": r(p), "recall": r(rc), "f1": r(f), "support": int(s)}
                      for name, p, rc, f, s in zip(CLASS_NAMES, precision, recall, f1, support)},
        "test_rows": int(len(y_true)),
    }


def write_confusion_data(path: Path, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    """One row per test text (actual, predicted class names): DVC's `confusion` template input."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["actual", "predicted"])
        writer.writerows((CLASS_NAMES[a], CLASS_NAMES[p]) for a, p in zip(y_true, y_pred))


def confusion_matrix_figure(y_true: np.ndarray, y_pred: np.ndarray, title: str, path: Path) -> None:
    from sklearn.metrics import ConfusionMatrixDisplay

    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=list(range(len(CLASS_NAMES))), display_labels=CLASS_NAMES,
        cmap="Blues", colorbar=False, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path)


def headline_metrics(scores: dict[str, dict], headline: str) -> dict:
    """The one DVC metrics file, flat and short so `dvc exp show` stays narrow: the headline's
    accuracy and macro F1, and `<model>_acc` for each model (the rest: metrics/<model>.json)."""
    return {"accuracy": scores[headline]["accuracy"],
            "macro_f1": scores[headline]["macro"]["f1"],
            **{f"{name}_acc": s["accuracy"] for name, s in scores.items()}}


SPLITS = (("train", "train"), ("eval", "validation"))  # DVCLive's folder name, what we call it
CURVE_METRICS = ("loss", "accuracy")


def read_dvclive_series(live_dir: Path, split: str, metric: str) -> tuple[list[int], list[float]]:
    """(epochs from 1, values) from DVCLive's plots/metrics/<split>/<metric>.tsv (steps from 0)."""
    path = Path(live_dir) / "plots" / "metrics" / split / f"{metric}.tsv"
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [int(row["step"]) + 1 for row in rows], [float(row[metric]) for row in rows]


def kept_epoch(live_dir: Path) -> int:
    """The epoch (from 1) EarlyStopping kept: the first with the lowest validation loss."""
    epochs, losses = read_dvclive_series(live_dir, "eval", "loss")
    return epochs[int(np.argmin(losses))]


def write_training_curves(path: Path, live_dirs: dict[str, Path]) -> None:
    """Every model's per-epoch loss and accuracy, train and validation: dvc.yaml's curve plots' data."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["model", "split", "epoch", *CURVE_METRICS])
        for model, live_dir in live_dirs.items():
            for split, split_name in SPLITS:
                series = [read_dvclive_series(live_dir, split, metric) for metric in CURVE_METRICS]
                epochs = series[0][0]
                for i, epoch in enumerate(epochs):
                    writer.writerow([model, split_name, epoch, *(values[i] for _, values in series)])


def history_figure(live_dir: Path, title: str, path: Path) -> None:
    """Accuracy and loss per epoch, train vs validation; a dashed line marks the kept epoch."""
    kept = kept_epoch(live_dir)
    fig = Figure(figsize=(11, 4))
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("accuracy", "loss")):
        for split, label in SPLITS:
            epochs, values = read_dvclive_series(live_dir, split, metric)
            ax.plot(epochs, values, marker="o", label=label)
        ax.axvline(kept, color="grey", linestyle="--", linewidth=1, label=f"kept: epoch {kept}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
