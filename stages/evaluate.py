"""Stage evaluate: score LSTM, GRU and baseline on the test split (used for nothing else).

Writes metrics/{lstm,gru,baseline}.json, the headline metrics/metrics.json (the model named
by model.cell), eval/<model>_confusion.csv for DVC's confusion plots, and the figures.
"""

import _bootstrap  # noqa: F401

from newscat.datasets import load_clean, load_vectorized
from newscat.errors import run_stage
from newscat.evaluation import (classification_metrics, confusion_matrix_figure, history_figure,
                                write_confusion_data)
from newscat.io import StagedOutputs, write_json
from newscat.params import load_params
from newscat.registry import DISPLAY_NAMES, MODELS, RNN_CELLS, live_dir, load_model
from newscat.training import eval_batches


def predict_test(name: str):
    """Class probabilities of every test row under one model."""
    model = load_model(name)
    if name == "baseline":
        return model.predict_proba(load_clean("test")[1])
    x_test, _ = load_vectorized("test")
    return model.predict(eval_batches(x_test), verbose=0)


def main() -> None:
    headline = load_params().model.cell
    _, y_test = load_vectorized("test")
    scores = {}
    with StagedOutputs() as out:
        for name in MODELS:
            probabilities = predict_test(name)
            scores[name] = classification_metrics(y_test, probabilities)
            write_json(out.path(f"metrics/{name}.json"), scores[name])
            write_confusion_data(out.path(f"eval/{name}_confusion.csv"), y_test, probabilities.argmax(1))
            if name in RNN_CELLS:
                title = DISPLAY_NAMES[name]
                confusion_matrix_figure(y_test, probabilities.argmax(1), f"{title}: test confusion matrix",
                                        out.path(f"Figures/Confusion_matrix_{title}.png"))
                history_figure(live_dir(name), title, out.path(f"Figures/{name}_attention_acc_loss.png"))
        write_json(out.path("metrics/metrics.json"), {
            "model": headline, "accuracy": scores[headline]["accuracy"],
            "macro_f1": scores[headline]["macro"]["f1"]})
    for name, s in scores.items():
        print(f"evaluate: {DISPLAY_NAMES[name]:15s} accuracy {s['accuracy']:.4f}  macro F1 {s['macro']['f1']:.4f}"
              + ("  <- headline (model.cell)" if name == headline else ""))


if __name__ == "__main__":
    run_stage(main)
