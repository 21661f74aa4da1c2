"""Stage evaluate: score LSTM, GRU and baseline on the test split (used for nothing else).

Writes metrics/metrics.json (the one DVC metrics file: the headline model named by model.cell,
its accuracy and macro F1, and each model's), metrics/{lstm,gru,baseline}.json (full scores with
per-class figures), metrics/ensemble.json (the mean of the three models' probabilities),
eval/<model>_confusion.csv and eval/training_curves.csv for DVC's plots, the training-curve and
confusion-matrix figures, and Figures/attention_examples.png: two test texts per class shaded
by the attention the headline model gives each token.
"""

from newscat.core.errors import run_stage
from newscat.core.inference import class_probabilities, ensemble_probabilities, load_model
from newscat.core.io import load_clean, load_vectorized, read_json, write_json
from newscat.core.params import load_params
from newscat.core.registry import (ATTENTION_FIGURE, CLEAN_REPORT, DISPLAY_NAMES, ENSEMBLE, METRICS_FILE, MODELS,
                                   REPORT_FILE, RNN_CELLS, SCORED_NAMES, TRAINING_CURVES, confusion_figure,
                                   confusion_path, history_figure_path, live_dir, scores_path)
from newscat.core.staging import StagedOutputs
from newscat.core.vocab import trained_inputs
from newscat.evaluate.attention_figure import attention_figure, explain_examples
from newscat.evaluate.evaluation import (classification_metrics, confusion_matrix_figure, headline_metrics,
                                         history_figure, write_confusion_data, write_training_curves)
from newscat.evaluate.report import write_classification_report

EXAMPLE_SEED = 0  # which texts the attention figure shows; fixed so it changes only with the model


def report_context(headline: str, sizes: dict[str, tuple[int, int]], sequence_length: int, words: int) -> dict:
    """The report header's facts, from data/clean's report (source, rows) and the models themselves."""
    clean = read_json(CLEAN_REPORT)
    models = "; ".join(f"{DISPLAY_NAMES[c]}: embedding {e}, {u} units per direction" for c, (e, u) in sizes.items())
    return {"data": clean["data"], "rows": {split: v["total"] for split, v in clean["rows"].items()},
            "headline": f"{DISPLAY_NAMES[headline]} (`model.cell: {headline}`)",
            "models": f"{models}; sequence length {sequence_length}, vocabulary {words:,} words"}


def main() -> None:
    from newscat.core.model import model_sizes  # imports Keras: after run_stage has quieted TensorFlow

    headline = load_params().model.cell
    for cell in RNN_CELLS:  # the models/vocab.txt that made data/vectorized is theirs
        vocabulary, _ = trained_inputs(cell)
    x_test, y_test = load_vectorized("test")
    _, texts = load_clean("test")
    scores, all_probabilities, sizes = {}, [], {}
    with StagedOutputs() as out:
        for name in MODELS:
            model = load_model(name)
            if name in RNN_CELLS:
                sizes[name] = model_sizes(model)
            probabilities = class_probabilities(name, model, ids=x_test, cleaned=texts)
            all_probabilities.append(probabilities)
            predicted = probabilities.argmax(1)
            scores[name] = classification_metrics(y_test, probabilities)
            write_json(out.path(scores_path(name)), scores[name])
            write_confusion_data(out.path(confusion_path(name)), y_test, predicted)
            if name in RNN_CELLS:
                title = DISPLAY_NAMES[name]
                confusion_matrix_figure(y_test, predicted, f"{title}: test confusion matrix",
                                        out.path(confusion_figure(name)))
                history_figure(live_dir(name), title, out.path(history_figure_path(name)))
                if name == headline:
                    examples = explain_examples(model, x_test, y_test, predicted, texts, vocabulary,
                                                seed=EXAMPLE_SEED)
                    attention_figure(examples, title, out.path(ATTENTION_FIGURE))
        ensemble = ensemble_probabilities(all_probabilities)
        scores[ENSEMBLE] = classification_metrics(y_test, ensemble)
        write_json(out.path(scores_path(ENSEMBLE)), scores[ENSEMBLE])
        write_confusion_data(out.path(confusion_path(ENSEMBLE)), y_test, ensemble.argmax(1))
        write_json(out.path(METRICS_FILE), headline_metrics(scores, headline))
        write_training_curves(out.path(TRAINING_CURVES), {DISPLAY_NAMES[cell]: live_dir(cell) for cell in RNN_CELLS})
        write_classification_report(out.path(REPORT_FILE), scores, SCORED_NAMES,
                                    report_context(headline, sizes, x_test.shape[1], len(vocabulary)))
    for name, s in scores.items():
        print(f"evaluate: {SCORED_NAMES[name]:20s} accuracy {s['accuracy']:.4f}  macro F1 {s['macro']['f1']:.4f}"
              + ("  <- headline (model.cell)" if name == headline else ""))


if __name__ == "__main__":
    run_stage(main)
