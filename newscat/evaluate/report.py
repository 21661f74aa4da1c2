"""reports/classification_report.md: the origin's classification table for every model.

Rendered from the very metrics dicts evaluate writes to metrics/<model>.json (per-class
precision, recall, F1 and support, macro average, accuracy; the weighted average is computed
here from those per-class numbers), next to the origin notebook's published accuracies.
"""

from __future__ import annotations

from pathlib import Path

from newscat.core.registry import CLASS_NAMES

DIGITS = 4  # as in metrics/*.json, so the tables read back to the same numbers

# Test accuracies the origin notebook published (its README); it published no per-class table
# we could cite, and its setting differs: full 120k-row train split, early stopping on the test split.
ORIGIN_ACCURACY = {"lstm": 0.905, "gru": 0.899}
ORIGIN_NOTE = ("origin notebook: full 120k train data, test-selected early stopping — not comparable "
               "with the numbers of this run")


def weighted_average(scores: dict) -> dict[str, float]:
    """Support-weighted precision, recall and F1 over the classes (sklearn's 'weighted avg')."""
    per_class = scores["per_class"]
    total = sum(c["support"] for c in per_class.values())
    return {key: round(sum(c[key] * c["support"] for c in per_class.values()) / total, DIGITS) if total else 0.0
            for key in ("precision", "recall", "f1")}


def _f(value: float) -> str:
    return f"{value:.{DIGITS}f}"


def model_table(scores: dict) -> list[str]:
    """sklearn's classification_report layout as a Markdown table."""
    rows = ["| class | precision | recall | f1-score | support |", "|---|---:|---:|---:|---:|"]
    for name in CLASS_NAMES:
        c = scores["per_class"][name]
        rows.append(f"| {name} | {_f(c['precision'])} | {_f(c['recall'])} | {_f(c['f1'])} | {c['support']} |")
    support = sum(c["support"] for c in scores["per_class"].values())
    rows.append(f"| accuracy | | | {_f(scores['accuracy'])} | {scores['test_rows']} |")
    for label, avg in (("macro avg", scores["macro"]), ("weighted avg", weighted_average(scores))):
        rows.append(f"| {label} | {_f(avg['precision'])} | {_f(avg['recall'])} | {_f(avg['f1'])} | {support} |")
    return rows


def header(context: dict) -> list[str]:
    """What produced the numbers: the data, its rows per split, the headline model, the models' sizes."""
    data, rows = context["data"], context["rows"]
    files = ", ".join(f"`{path}`" for path in data.get("files", {}).values())
    return [f"- Data: {data['source']}" + (f" ({files})" if files else " (TFDS ag_news_subset)"),
            f"- Rows: train {rows['train']:,}, validation {rows['val']:,}, test {rows['test']:,}",
            f"- Headline model: {context['headline']}",
            f"- {context['models']}", ""]


def classification_report(scores: dict[str, dict], titles: dict[str, str], context: dict | None = None) -> str:
    """The whole Markdown report; scores: {model name: metrics dict}, in the order to show;
    context: see `header`."""
    test_rows = {s["test_rows"] for s in scores.values()}
    lines = [
        "# Classification report (test split)",
        "",
        *(header(context) if context else []),
        f"Written by `dvc repro` (stage `evaluate`) from the same numbers as `metrics/<model>.json`; "
        f"test rows: {', '.join(map(str, sorted(test_rows)))}.",
        "",
        "| model | accuracy | macro F1 | origin notebook accuracy* |",
        "|---|---:|---:|---:|",
    ]
    for name, s in scores.items():
        origin = f"{ORIGIN_ACCURACY[name]:.3f}" if name in ORIGIN_ACCURACY else "—"
        lines.append(f"| {titles.get(name, name)} | {_f(s['accuracy'])} | {_f(s['macro']['f1'])} | {origin} |")
    lines += [
        "",
        f"\\* {ORIGIN_NOTE}. The origin published accuracies only for its two attention models; "
        "its per-class numbers are not reproduced here.",
    ]
    for name, s in scores.items():
        lines += ["", f"## {titles.get(name, name)}", "", *model_table(s)]
        if name in ORIGIN_ACCURACY:
            lines += ["", f"Origin notebook, for reference only (full 120k train data, test-selected early "
                          f"stopping — not comparable): accuracy {ORIGIN_ACCURACY[name]:.3f}; no per-class numbers."]
    return "\n".join(lines) + "\n"


def write_classification_report(path: Path, scores: dict[str, dict], titles: dict[str, str],
                                context: dict | None = None) -> None:
    path.write_text(classification_report(scores, titles, context), encoding="utf-8")
