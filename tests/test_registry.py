"""The models are defined once (newscat.core.registry); dvc.yaml names the same stages and files."""

from pathlib import Path

import pytest
import yaml

from newscat.core import registry
from newscat.core.model import CELLS

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def outs(stage: str) -> set[str]:
    entries = [e for kind in ("outs", "metrics", "plots") for e in STAGES[stage].get(kind, [])]
    return {next(iter(e)) if isinstance(e, dict) else e for e in entries}


@pytest.mark.parametrize("cell", registry.RNN_CELLS)
def test_rnn_stage_trains_its_cell_into_the_registry_files(cell):
    stage = registry.STAGE_OF[cell]
    assert STAGES[stage]["cmd"] == f"python -m stages.train {cell}"
    assert {str(registry.keras_model_path(cell)), str(registry.weights_path(cell))} <= outs(stage)
    assert any(o.startswith(str(registry.live_dir(cell))) for o in outs(stage))


def test_baseline_stage_writes_the_registry_file():
    assert str(registry.BASELINE_FILE) in outs(registry.STAGE_OF[registry.BASELINE])


def test_export_writes_one_savedmodel_per_cell():
    assert {str(registry.serving_path(c)) for c in registry.RNN_CELLS} == outs("export")


def test_evaluate_reads_every_model_and_titles_figures_with_display_names():
    deps = set(STAGES["evaluate"]["deps"])
    files = {str(registry.keras_model_path(c)) for c in registry.RNN_CELLS} | {str(registry.BASELINE_FILE)}
    assert files <= deps
    for cell in registry.RNN_CELLS:
        assert str(registry.confusion_figure(cell)) == f"Figures/Confusion_matrix_{registry.DISPLAY_NAMES[cell]}.png"
        assert {str(registry.confusion_figure(cell)), str(registry.history_figure_path(cell))} <= outs("evaluate")


def test_every_model_has_a_display_name_and_a_stage():
    assert set(registry.DISPLAY_NAMES) == set(registry.STAGE_OF) == set(registry.MODELS)
    assert set(CELLS) == set(registry.RNN_CELLS)


def stage_files(stage: str) -> set[str]:
    return set(STAGES[stage].get("deps", [])) | outs(stage)


@pytest.mark.parametrize("stage, paths", [
    ("check_params", [registry.PARAMS_CHECKED]),
    ("download", [registry.RAW_DIR]),
    ("clean", [registry.RAW_DIR, registry.CLEAN_DIR]),
    ("vectorize", [registry.VECTORIZED_DIR, registry.VOCAB_FILE, registry.DATA_METRICS]),
    ("wordclouds", [registry.DISTINCTIVE_WORDS_FIGURE,
                    *(registry.wordcloud_figure(s, c) for s in registry.SPLITS for c in (False, True)),
                    *(registry.distribution_figure(s) for s in registry.SPLITS)]),
    ("evaluate", [registry.METRICS_FILE, registry.REPORT_FILE, registry.TRAINING_CURVES, registry.ATTENTION_FIGURE,
                  *(registry.scores_path(n) for n in (*registry.MODELS, registry.ENSEMBLE)),
                  *(registry.confusion_path(n) for n in (*registry.MODELS, registry.ENSEMBLE))]),
])
def test_dvc_yaml_names_the_registry_files(stage, paths):
    """Each file location is defined once (newscat.core.registry); dvc.yaml, which cannot import
    it, names the same files."""
    assert {str(p) for p in paths} <= stage_files(stage)


def test_wordclouds_writes_exactly_the_registry_figures():
    figures = {str(registry.wordcloud_figure(s, c)) for s in registry.SPLITS for c in (False, True)}
    figures |= {str(registry.distribution_figure(s)) for s in registry.SPLITS} | {str(registry.DISTINCTIVE_WORDS_FIGURE)}
    assert figures == outs("wordclouds")
