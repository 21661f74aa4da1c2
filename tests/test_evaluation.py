"""Training-curve data and the kept epoch, from DVCLive's per-epoch files."""
from __future__ import annotations

import csv

import pytest

from newscat.evaluate.evaluation import kept_epoch, write_training_curves


def write_history(live_dir, split: str, metric: str, values: list[float]) -> None:
    folder = live_dir / "plots" / "metrics" / split
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{step}\t{v}\n" for step, v in enumerate(values))
    (folder / f"{metric}.tsv").write_text(f"step\t{metric}\n{rows}")


@pytest.mark.parametrize("val_loss, kept", [([0.9, 0.5, 0.6], 2), ([0.9, 0.5, 0.5, 0.7], 2), ([0.4], 1)])
def test_kept_epoch_is_the_first_lowest_validation_loss(tmp_path, val_loss, kept):
    write_history(tmp_path, "eval", "loss", val_loss)
    assert kept_epoch(tmp_path) == kept


def test_training_curves_count_epochs_from_one_for_every_model_and_split(tmp_path):
    for model in ("a", "b"):
        for split in ("train", "eval"):
            for metric in ("loss", "accuracy"):
                write_history(tmp_path / model, split, metric, [0.5, 0.4])
    write_training_curves(tmp_path / "curves.csv", {"A": tmp_path / "a", "B": tmp_path / "b"})
    with open(tmp_path / "curves.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["split"], r["epoch"]) for r in rows] == [
        (m, s, e) for m in ("A", "B") for s in ("train", "validation") for e in ("1", "2")]


@pytest.mark.parametrize("headline, accuracy, f1", [("gru", 0.9, 0.88), ("lstm", 0.8, 0.79)])
def test_headline_metrics_are_flat_numbers_of_the_headline(headline, accuracy, f1):
    from newscat.evaluate.evaluation import headline_metrics

    scores = {"lstm": {"accuracy": 0.8, "macro": {"f1": 0.79}}, "gru": {"accuracy": 0.9, "macro": {"f1": 0.88}}}
    assert headline_metrics(scores, headline) == {"accuracy": accuracy, "macro_f1": f1,
                                                  "lstm_acc": 0.8, "gru_acc": 0.9}


def test_ensemble_probabilities_give_log_loss_without_a_warning():
    import warnings

    import numpy as np

    from newscat.evaluate.evaluation import classification_metrics

    # the ensemble: float64 means of float32 softmax rows, off 1 by ~1e-7 (more than float64's tolerance)
    probabilities = np.array([[0.7, 0.1, 0.1, 0.1], [0.05, 0.85, 0.05, 0.05]]) * (1 + 2e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn: "The y_prob values do not sum to one"
        loss = classification_metrics(np.array([0, 1]), probabilities)["loss"]
    assert loss == round(float(-(np.log(0.7) + np.log(0.85)) / 2), 4)
