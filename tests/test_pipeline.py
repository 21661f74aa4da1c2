"""End to end: `dvc repro` builds every declared output, a second repro runs
nothing, a param change reruns exactly the stages that read it, `dvc exp run -S model.cell=gru`
reruns evaluate alone and `dvc metrics diff` shows the switch (predict: tests/test_cli.py)."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import copy_project, run, set_params

RAN = re.compile(r"Running stage '([a-z_]+)'")


def ran(result) -> set[str]:
    return set(RAN.findall(result.stdout))


def declared_outputs(project) -> list[str]:
    """Every out, metric and plot path of every stage in dvc.yaml."""
    paths = []
    for stage in yaml.safe_load((project / "dvc.yaml").read_text())["stages"].values():
        for kind in ("outs", "metrics", "plots"):
            paths += [next(iter(e)) if isinstance(e, dict) else e for e in stage.get(kind, [])]
    return paths


@pytest.fixture(scope="module")
def pipeline(built_project, tmp_path_factory):
    """Runs the whole story once; each test checks one chapter of it. Chapter one (`dvc repro`
    of a fresh project, committed: lstm headline) is the shared built project; the rest
    happens in a copy of it."""
    project = copy_project(built_project.path, tmp_path_factory.mktemp("pipeline") / "project")
    steps = {"repro": built_project.repro}
    steps["noop"] = run(["dvc", "repro"], project)
    steps["exp"] = run(["dvc", "exp", "run", "-S", "model.cell=gru"], project)
    steps["headline"] = json.loads((project / "metrics" / "metrics.json").read_text())
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "gru headline"], project)
    steps["diff"] = run(["dvc", "metrics", "diff", "HEAD~1", "HEAD", "--json"], project)
    set_params(project, {"vectorize": {"max_tokens": 20}})  # < the fixture vocabulary
    steps["status"] = json.loads(run(["dvc", "status", "--json"], project).stdout)
    steps["vectorize"] = run(["dvc", "repro", "vectorize"], project)
    steps["status_after"] = json.loads(run(["dvc", "status", "--json"], project).stdout)
    return project, steps


def test_repro_runs_every_stage_and_writes_every_declared_output(pipeline):
    project, steps = pipeline
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert ran(steps["repro"]) == set(stages)
    missing = [p for p in declared_outputs(project) if not (project / p).exists()]
    assert missing == []


@pytest.mark.parametrize("figure", [
    "training_wordclouds.png", "test_wordclouds.png", "cleaned_training_wordclouds.png",
    "cleaned_test_wordclouds.png", "training_dist.png", "test_dist.png", "distinctive_words.png",
    "lstm_attention_acc_loss.png",
    "gru_attention_acc_loss.png", "Confusion_matrix_LSTM+Attention.png", "Confusion_matrix_GRU+Attention.png",
    "attention_examples.png"])
def test_figure_is_a_png(pipeline, figure):
    project, _ = pipeline
    assert (project / "Figures" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["lstm", "gru", "baseline"])
def test_metrics_score_every_test_row_as_the_confusion_data_says(pipeline, name):
    """Rows, per-class support and accuracy agree with the per-row confusion data."""
    import csv

    project, _ = pipeline
    data = json.loads((project / "metrics" / "data.json").read_text())
    scores = json.loads((project / "metrics" / f"{name}.json").read_text())
    with open(project / "eval" / f"{name}_confusion.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert scores["test_rows"] == len(rows) == data["clean"]["rows"]["test"]["total"]
    assert {c: s["support"] for c, s in scores["per_class"].items()} == data["clean"]["rows"]["test"]["per_class"]
    assert scores["accuracy"] == round(sum(r["actual"] == r["predicted"] for r in rows) / len(rows), 4)


def test_second_repro_runs_nothing(pipeline):
    _, steps = pipeline
    assert ran(steps["noop"]) == set()


def test_switching_headline_reruns_evaluate_alone(pipeline):
    project, steps = pipeline
    assert ran(steps["exp"]) == {"check_params", "evaluate"}  # check_params: params.yaml changed
    gru = json.loads((project / "metrics" / "gru.json").read_text())
    assert steps["headline"]["accuracy"] == gru["accuracy"] == steps["headline"]["gru_acc"]
    assert all(isinstance(v, (int, float)) for v in steps["headline"].values())  # numbers only: exp diff diffs each


def test_metrics_diff_between_commits_lists_exactly_the_changed_metrics(pipeline):
    project, steps = pipeline
    diff = json.loads(steps["diff"].stdout)
    lstm, gru = (json.loads((project / "metrics" / f"{m}.json").read_text()) for m in ("lstm", "gru"))
    differing = {key for key, value in (("accuracy", lstm["accuracy"] != gru["accuracy"]),
                                        ("macro_f1", lstm["macro"]["f1"] != gru["macro"]["f1"])) if value}
    assert set(diff) == {"metrics/metrics.json"}  # the per-model files did not change
    assert set(diff["metrics/metrics.json"]) == differing
    assert all(change["diff"] is not None for change in diff["metrics/metrics.json"].values())


def test_max_tokens_change_touches_vectorize_and_its_dependents_only(pipeline):
    _, steps = pipeline
    assert set(steps["status"]) == {"check_params", "vectorize"}  # the only stage that reads the param
    assert ran(steps["vectorize"]) == {"check_params", "vectorize"}  # the check runs first, every time
    # then what reads its outputs is out of date; the data stages and the baseline are not
    assert set(steps["status_after"]) == {"train_lstm", "train_gru", "evaluate", "export"}


def test_plots_are_two_training_charts_and_the_confusion_matrices(pipeline):
    project, _ = pipeline
    shown = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)["data"]
    assert sorted(shown) == sorted(["Loss per epoch", "Accuracy per epoch", "eval/lstm_confusion.csv",
                                    "eval/gru_confusion.csv", "eval/baseline_confusion.csv",
                                    "eval/ensemble_confusion.csv"])
    rows = shown["Loss per epoch"][0]["content"]["data"]["values"]
    assert {(r["model"], r["split"]) for r in rows} == {(m, s) for m in ("LSTM+Attention", "GRU+Attention")
                                                       for s in ("train", "validation")}
    assert min(int(r["epoch"]) for r in rows) == 1


def test_the_one_metrics_file_holds_the_headline_and_each_models_accuracy(pipeline):
    project, _ = pipeline
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], project).stdout)
    (metrics,) = [rev["data"] for rev in shown.values()]
    assert list(metrics) == ["metrics/metrics.json"]
    assert set(metrics["metrics/metrics.json"]["data"]) == {"accuracy", "macro_f1", "lstm_acc", "gru_acc",
                                                            "baseline_acc", "ensemble_acc"}
