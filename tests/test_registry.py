"""The models are defined once (newscat.registry); dvc.yaml names the same stages and files."""

from pathlib import Path

import pytest
import yaml

from newscat import registry
from newscat.model import CELLS
from newscat.serving import PATH_OF

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
    assert {str(p) for p in PATH_OF.values()} == outs("export")
    assert set(PATH_OF) == set(registry.RNN_CELLS)


def test_evaluate_reads_every_model_and_titles_figures_with_display_names():
    deps = set(STAGES["evaluate"]["deps"])
    files = {str(registry.keras_model_path(c)) for c in registry.RNN_CELLS} | {str(registry.BASELINE_FILE)}
    assert files <= deps
    for cell in registry.RNN_CELLS:
        assert f"Figures/Confusion_matrix_{registry.DISPLAY_NAMES[cell]}.png" in outs("evaluate")


def test_every_model_has_a_display_name_and_a_stage():
    assert set(registry.DISPLAY_NAMES) == set(registry.STAGE_OF) == set(registry.MODELS)
    assert set(CELLS) == set(registry.RNN_CELLS)
