"""Stage evaluate: score LSTM, GRU and baseline on the test split (used for nothing else).

Writes metrics/metrics.json (the one DVC metrics file: the headline model named by model.cell,
its accuracy and macro F1, and each model's), metrics/{lstm,gru,baseline}.json (full scores with
per-class figures), metrics/ensemble.json (the mean of the three models' probabilities), eval/<model>_confusion.csv and eval/training_curves.csv for DVC's plots, the
training-curve and confusion-matrix figures, and Figures/attention_examples.png: two test texts per class shaded
by the attention the headline model gives each token.
"""

from newscat.attention_figure import attention_figure, explain_examples
from newscat.datasets import load_clean, load_vectorized
from newscat.errors import run_stage
from newscat.evaluation import (classification_metrics, confusion_matrix_figure, ensemble_probabilities,
                                headline_metrics, history_figure, write_confusion_data, write_training_curves)
from newscat.features import load_vocabulary
from newscat.inference import load_model, predict_by_length
from newscat.io import StagedOutputs, write_json
from newscat.params import load_params
from newscat.registry import DISPLAY_NAMES, ENSEMBLE, ENSEMBLE_NAME, MODELS, RNN_CELLS, live_dir
from newscat.report import REPORT_FILE, write_classification_report
from newscat.vocab_hash import check_vocabulary

SCORED_NAMES = {**DISPLAY_NAMES, ENSEMBLE: ENSEMBLE_NAME}
EXAMPLE_SEED = 0  # which texts the attention figure shows; fixed so it changes only with the model


def main() -> None:
    headline = load_params().model.cell
    for cell in RNN_CELLS:
        check_vocabulary(cell)  # the models/vocab.txt that made data/vectorized is theirs
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
        scores[ENSEMBLE] = classification_metrics(y_test, ensemble)
        write_json(out.path(f"metrics/{ENSEMBLE}.json"), scores[ENSEMBLE])
        write_confusion_data(out.path(f"eval/{ENSEMBLE}_confusion.csv"), y_test, ensemble.argmax(1))
        write_json(out.path("metrics/metrics.json"), headline_metrics(scores, headline))
        write_training_curves(out.path("eval/training_curves.csv"),
                              {DISPLAY_NAMES[cell]: live_dir(cell) for cell in RNN_CELLS})
        write_classification_report(out.path(REPORT_FILE), scores, SCORED_NAMES)
    for name, s in scores.items():
        print(f"evaluate: {SCORED_NAMES[name]:20s} accuracy {s['accuracy']:.4f}  macro F1 {s['macro']['f1']:.4f}"
              + ("  <- headline (model.cell)" if name == headline else ""))


if __name__ == "__main__":
    run_stage(main)
