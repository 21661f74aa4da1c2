"""Stage evaluate: score LSTM, GRU and baseline on the test split (used for nothing else).

Writes metrics/{lstm,gru,baseline}.json, metrics/ensemble.json (the mean of the three
models' probabilities; eval/ensemble_confusion.csv too), the headline metrics/metrics.json (the model named
by model.cell), eval/<model>_confusion.csv for DVC's confusion plots, the training-curve and
confusion-matrix figures, and Figures/attention_examples.png: two test texts per class shaded
by the attention the headline model gives each token.
"""

import _bootstrap  # noqa: F401

from newscat.attention_figure import attention_figure, explain_examples
from newscat.datasets import load_clean, load_vectorized
from newscat.errors import run_stage
from newscat.evaluation import (classification_metrics, confusion_matrix_figure, ensemble_probabilities,
                                history_figure, write_confusion_data)
from newscat.features import load_vocabulary
from newscat.io import StagedOutputs, write_json
from newscat.params import load_params
from newscat.registry import DISPLAY_NAMES, MODELS, RNN_CELLS, live_dir, load_model
from newscat.training import predict_by_length

EXAMPLE_SEED = 0  # which texts the attention figure shows; fixed so it changes only with the model


def main() -> None:
    headline = load_params().model.cell
    x_test, y_test = load_vectorized("test")
    _, texts = load_clean("test")
    scores, all_probabilities = {}, []
    with StagedOutputs() as out:
        for name in MODELS:
            model = load_model(name)
            if name == "baseline":
                probabilities = model.predict_proba(texts)
            else:
                probabilities = predict_by_length(model, x_test)
            all_probabilities.append(probabilities)
            predicted = probabilities.argmax(1)
            scores[name] = classification_metrics(y_test, probabilities)
            write_json(out.path(f"metrics/{name}.json"), scores[name])
            write_confusion_data(out.path(f"eval/{name}_confusion.csv"), y_test, predicted)
            if name in RNN_CELLS:
                title = DISPLAY_NAMES[name]
                confusion_matrix_figure(y_test, predicted, f"{title}: test confusion matrix",
                                        out.path(f"Figures/Confusion_matrix_{title}.png"))
                history_figure(live_dir(name), title, out.path(f"Figures/{name}_attention_acc_loss.png"))
                if name == headline:
                    examples = explain_examples(model, x_test, y_test, predicted, texts, load_vocabulary(),
                                                seed=EXAMPLE_SEED)
                    attention_figure(examples, title, out.path("Figures/attention_examples.png"))
        ensemble = ensemble_probabilities(all_probabilities)
        scores["ensemble"] = classification_metrics(y_test, ensemble)
        write_json(out.path("metrics/ensemble.json"), scores["ensemble"])
        write_confusion_data(out.path("eval/ensemble_confusion.csv"), y_test, ensemble.argmax(1))
        write_json(out.path("metrics/metrics.json"), {
            "model": headline, "accuracy": scores[headline]["accuracy"],
            "macro_f1": scores[headline]["macro"]["f1"]})
    for name, s in scores.items():
        print(f"evaluate: {DISPLAY_NAMES.get(name, 'Ensemble (mean)'):15s} accuracy {s['accuracy']:.4f}  macro F1 {s['macro']['f1']:.4f}"
              + ("  <- headline (model.cell)" if name == headline else ""))


if __name__ == "__main__":
    run_stage(main)
