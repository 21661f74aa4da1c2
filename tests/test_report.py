"""reports/classification_report.md, written by evaluate: its tables hold exactly the numbers
of metrics/<model>.json, and the origin notebook's accuracies only where it published them."""
from __future__ import annotations

import json

import pytest

from newscat.core.registry import CLASS_NAMES, DISPLAY_NAMES
from newscat.evaluate.report import ORIGIN_ACCURACY, classification_report

MODELS = ["lstm", "gru", "baseline"]


def tables(markdown: str) -> dict[str, dict[str, list[str]]]:
    """{section title ('' before the first '## '): {first cell: other cells}} of every table row."""
    found, title = {}, ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
        elif line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            found.setdefault(title, {})[cells[0]] = cells[1:]
    return found


@pytest.fixture(scope="module")
def report(built_project):
    project = built_project.path
    metrics = {m: json.loads((project / "metrics" / f"{m}.json").read_text()) for m in MODELS}
    return tables((project / "reports" / "classification_report.md").read_text()), metrics


@pytest.mark.parametrize("model", MODELS)
def test_per_class_rows_are_the_metrics_json_numbers(report, model):
    found, metrics = report
    table = found[DISPLAY_NAMES[model]]
    for name in CLASS_NAMES:
        want = metrics[model]["per_class"][name]
        assert [float(v) for v in table[name][:3]] == [want["precision"], want["recall"], want["f1"]]
        assert int(table[name][3]) == want["support"]


@pytest.mark.parametrize("model", MODELS)
def test_accuracy_and_macro_rows_are_the_metrics_json_numbers(report, model):
    found, metrics = report
    table, want = found[DISPLAY_NAMES[model]], metrics[model]
    assert (float(table["accuracy"][2]), int(table["accuracy"][3])) == (want["accuracy"], want["test_rows"])
    assert [float(v) for v in table["macro avg"][:3]] == [want["macro"][k] for k in ("precision", "recall", "f1")]


@pytest.mark.parametrize("model", MODELS)
def test_weighted_average_is_the_support_weighted_per_class_mean(report, model):
    found, metrics = report
    per_class = metrics[model]["per_class"].values()
    total = sum(c["support"] for c in per_class)
    for column, key in enumerate(("precision", "recall", "f1")):
        want = sum(c[key] * c["support"] for c in per_class) / total
        assert float(found[DISPLAY_NAMES[model]]["weighted avg"][column]) == pytest.approx(want, abs=5e-5)


@pytest.mark.parametrize("model", MODELS)
def test_summary_row_sets_this_run_beside_the_origins_published_accuracy(report, model):
    found, metrics = report
    accuracy, macro_f1, origin = found[""][DISPLAY_NAMES[model]]
    assert (float(accuracy), float(macro_f1)) == (metrics[model]["accuracy"], metrics[model]["macro"]["f1"])
    assert origin == (f"{ORIGIN_ACCURACY[model]:.3f}" if model in ORIGIN_ACCURACY else "—")


def test_a_model_the_origin_did_not_publish_gets_no_origin_number():
    per_class = {n: {"precision": 0.5, "recall": 0.25, "f1": 0.3333, "support": 2} for n in CLASS_NAMES}
    scores = {"accuracy": 0.25, "macro": {"precision": 0.5, "recall": 0.25, "f1": 0.3333},
              "per_class": per_class, "test_rows": 8}
    found = tables(classification_report({"ensemble": scores}, {"ensemble": "Ensemble"}))
    assert found[""]["Ensemble"] == ["0.2500", "0.3333", "—"]
    assert found["Ensemble"]["weighted avg"] == ["0.5000", "0.2500", "0.3333", "8"]


def test_header_names_the_data_rows_headline_and_model_sizes(built_project):
    """What produced the numbers, from data/clean's report and the models themselves."""
    project = built_project.path
    header = (project / "reports" / "classification_report.md").read_text().split("\n| model |")[0]
    rows = json.loads((project / "data/clean/report.json").read_text())["rows"]
    params = __import__("yaml").safe_load((project / "params.yaml").read_text())
    assert f"- Data: {params['data']['source']} (`" in header and "train.csv" in header
    assert (f"- Rows: train {rows['train']['total']:,}, validation {rows['val']['total']:,}, "
            f"test {rows['test']['total']:,}") in header
    assert f"- Headline model: {DISPLAY_NAMES[params['model']['cell']]} (`model.cell: {params['model']['cell']}`)" in header
    assert (f"embedding {params['model']['embedding_dim']}, {params['model']['units']} units per direction; "
            f"sequence length {params['vectorize']['sequence_length']}") in header
