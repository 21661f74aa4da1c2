"""`dvc plots show` and `dvc plots diff` write a page that draws offline: the project's HTML
template (.dvc/config: plots.html_template) inlines Vega, Vega-Lite and Vega-Embed from
plots/vendor. Each page is opened in headless Chromium with the network off; every plot must
draw (SVG marks in the DOM), nothing may reach the console, the training-curve legend must show
solid vs dashed, and the confusion axes must be in the project's class order. A control: DVC's
default page (Vega from a CDN) draws nothing under the same browser, and the checks see it."""

from __future__ import annotations

import csv
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run
from newscat.core.registry import CLASS_NAMES

CHROMIUM = Path("/usr/bin/chromium")
CURVES = ("Loss_per_epoch", "Accuracy_per_epoch")  # DVC's div ids for dvc.yaml's plots
CONFUSION_MODELS = ("lstm", "gru", "baseline", "ensemble")
CONFUSIONS = tuple(f"eval_{m}_confusion_csv" for m in CONFUSION_MODELS)
MODELS, SPLITS = ("LSTM+Attention", "GRU+Attention"), ("train", "validation")


def write_eval(repo: Path, epochs: int) -> None:
    """Small eval/ CSVs as evaluate writes them (rows not in the class order), a few rows more
    for more epochs."""
    (repo / "eval").mkdir(exist_ok=True)
    with open(repo / "eval/training_curves.csv", "w", newline="") as f:
        rows = [(m, s, e, round(1 / e + i / 10, 3), round(0.9 - 0.3 / e, 3))
                for i, m in enumerate(MODELS) for s in SPLITS for e in range(1, epochs + 1)]
        csv.writer(f).writerows([("model", "split", "epoch", "loss", "accuracy"), *rows])
    for model in CONFUSION_MODELS:
        with open(repo / "eval" / f"{model}_confusion.csv", "w", newline="") as f:
            rows = [(a, p) for a in sorted(CLASS_NAMES, reverse=True) for p in (a, a, a, CLASS_NAMES[0])]
            csv.writer(f).writerows([("actual", "predicted"), *rows, *[CLASS_NAMES[1:3]] * epochs])


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """git + DVC repo with the project's dvc.yaml, params.yaml, plots/ and .dvc/config; eval
    data committed, then changed in the workspace (so `dvc plots diff` has two revisions)."""
    repo = tmp_path_factory.mktemp("plots_html") / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo)
    run(["dvc", "init", "-q"], repo)
    for name in ("dvc.yaml", "params.yaml", ".dvc/config"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "plots", repo / "plots", ignore=shutil.ignore_patterns("__pycache__"))
    write_eval(repo, epochs=3)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "eval"], repo)
    write_eval(repo, epochs=4)
    return repo


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does, as root) to test the "
                "plots page in a browser")


def browse(chromium: str, page: Path, profile: Path) -> tuple[str, list[str]]:
    """(DOM once the page settled, console lines) with every network request failing."""
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves,
         "--proxy-server=127.0.0.1:9",  # and every http(s) request goes to a closed port: offline
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-3000:]
    return result.stdout, [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def plot_parts(dom: str) -> dict[str, str]:
    """{plot div id: its DOM} of each vega-embed div."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<div id="(\w+)" class="vega-embed', dom)]
    return {name: dom[start:end] for (start, name), (end, _) in zip(starts, [*starts[1:], (len(dom), "")])}


def marks(part: str, kind: str, name: str = "") -> int:
    """Drawn items (non-empty paths) of the `kind` mark groups whose class contains `name`."""
    groups = re.findall(rf'<g class="mark-{kind} role-mark [^"]*{name}[^"]*"[^>]*>(.*?)</g>', part)
    return sum(len(re.findall(r'<path[^>]* d="M', group)) for group in groups)


def legend(part: str) -> dict[str, str]:
    """{legend label: its symbol's SVG attributes}."""
    return dict((label, attrs) for attrs, label in re.findall(
        r'role-legend-symbol"[^>]*><path ([^>]*)></path></g><g class="mark-text role-legend-label"'
        r'[^>]*><text[^>]*>([^<]*)</text>', part))


def plots_page(repo: Path, out: Path, command: str) -> Path:
    """Run `dvc plots <command> --out <out>` (a folder outside the repo) and return the page."""
    run(["dvc", "plots", command, "--out", str(out)], repo)
    src = re.search(r"<script[^>]*\ssrc=[^>]*>", (out / "index.html").read_text())
    assert src is None, f"the page loads a script from elsewhere: {src.group(0)}"
    return out / "index.html"


@pytest.mark.parametrize("command, epochs", [("show", [4]), ("diff", [3, 4])])  # epochs per revision
def test_every_plot_draws_offline(chromium, repo, tmp_path, command, epochs):
    dom, console = browse(chromium, plots_page(repo, tmp_path / "out", command), tmp_path / "profile")
    assert console == [], "the page logged to the console:\n" + "\n".join(console)
    parts = plot_parts(dom)
    assert sorted(parts) == sorted(CURVES + CONFUSIONS)
    for name, part in parts.items():
        assert part.count('class="marks"') == 1, f"{name}: no Vega SVG"
    revisions, lines = len(epochs), len(MODELS) * len(SPLITS)
    for name in CURVES:  # one line per model, split and revision; a point per epoch
        assert marks(parts[name], "line") == lines * revisions, name
        assert marks(parts[name], "symbol") == lines * sum(epochs), name
        symbols = legend(parts[name])  # the split legend: a visible line sample each, solid and dashed
        assert {"train (solid)", "validation (dashed)"} <= set(symbols), symbols
        assert ('stroke-dasharray="1,0"' in symbols["train (solid)"] and 'stroke-dasharray="6,4"' in
                symbols["validation (dashed)"] and 'stroke="transparent"' not in str(symbols)), symbols
    order = ", ".join(CLASS_NAMES)  # World, Sports, Business, Sci/Tech
    for name in CONFUSIONS:  # a 4 x 4 matrix per revision, both axes in the class order
        assert marks(parts[name], "rect", "child_layer_0_marks") == 16 * revisions, name
        axes = re.findall(r'aria-label="([XY])-axis titled \'\w+\' for a discrete scale with 4 values: ([^"]*)"',
                          parts[name])
        assert {axis for axis, _ in axes} == {"X", "Y"}, (name, axes)
        assert all(values == order for _, values in axes), (name, axes)
    assert "Drawn offline with Vega 5." in dom


def test_dvcs_default_page_draws_nothing_offline(chromium, repo, tmp_path):
    """The control: DVC's own page loads Vega from a CDN; under the same browser it draws no
    plot and the console says why. So the checks above can fail, and the network is off."""
    from dvc_render.html import PAGE_HTML

    (tmp_path / "cdn.html").write_text(PAGE_HTML)
    page = tmp_path / "out" / "index.html"
    run(["dvc", "plots", "show", "--out", str(page.parent), "--html-template", str(tmp_path / "cdn.html")], repo)
    assert "cdn.jsdelivr.net" in page.read_text()
    dom, console = browse(chromium, page, tmp_path / "profile")
    assert 'class="marks"' not in dom
    assert any("vegaEmbed is not defined" in line for line in console), console


def test_the_template_is_built_from_plots_vendor():
    render = runpy.run_path(str(ROOT / "plots" / "build_template.py"))["render"]
    assert render() == (ROOT / "plots" / "html_template.html").read_text(encoding="utf-8"), \
        "plots/html_template.html is stale: run .venv/bin/python plots/build_template.py"
