"""The installed `newscat` command (pyproject [project.scripts]) classifies texts from any
directory with the trained models of the project it is pointed at, and says clearly when the
folder is not a project or its models are missing."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project
from newscat.core.registry import CLASS_NAMES

NEWSCAT = Path(sys.executable).parent / "newscat"  # the console script pip installed beside python
TEXTS = ["striker scores in cup final", "shares fall as investors fear quarterly losses"]
TIMEOUT = 300


def newscat(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    assert NEWSCAT.is_file(), f"{NEWSCAT} missing: install the package (`pip install --no-deps -e .`; make test does)"
    return subprocess.run([str(NEWSCAT), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


# The reference outputs: what `python -m newscat.serve.predict <args>` prints in the project itself.
REFERENCE_ARGS = {
    "baseline, json": ["--json", "--model", "baseline", *TEXTS],
    "default model, json": ["--json", *TEXTS, ""],
    "baseline, plain": ["--model", "baseline", *TEXTS],
}


@pytest.fixture(scope="module")
def module_prints(built_project, elsewhere) -> dict[str, str]:
    """{REFERENCE_ARGS key: what newscat.serve.predict's main prints for those args, given the
    shared project's root}: run here, in this process, from a folder outside the project, which
    it must neither need nor change."""
    from newscat.serve import predict

    printed, cwd = {}, os.getcwd()
    os.chdir(elsewhere)
    try:
        for name, args in REFERENCE_ARGS.items():
            with contextlib.redirect_stdout(io.StringIO()) as out:
                predict.main(args, root=built_project.path)
            printed[name] = out.getvalue()
            assert os.getcwd() == str(elsewhere)
    finally:
        os.chdir(cwd)
    return printed


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Path:
    """A directory outside the project to run the command from."""
    return tmp_path_factory.mktemp("elsewhere")


@pytest.mark.parametrize("where", ["in the project", "elsewhere, absolute --project", "elsewhere, relative --project"])
def test_predict_prints_what_the_module_prints_for_the_project(built_project, module_prints, elsewhere, where):
    project = built_project.path
    args = REFERENCE_ARGS["baseline, json"]
    if where == "in the project":
        result = newscat(["predict", *args], project)
    else:
        path = project if "absolute" in where else Path(os.path.relpath(project, elsewhere))
        result = newscat(["predict", "--project", str(path), *args], elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout == module_prints["baseline, json"]


def test_predict_prints_one_class_per_text(module_prints):
    lines = [json.loads(line) for line in module_prints["default model, json"].splitlines()]
    assert [line["text"] for line in lines] == [*TEXTS, ""]
    assert lines.pop() == {"text": "", "skipped": "empty text"}
    for line in lines:
        assert line["class"] in CLASS_NAMES
        assert line["probability"] == max(line["probabilities"].values())


def test_predict_uses_the_projects_default_keras_model_from_elsewhere(built_project, module_prints, elsewhere):
    result = newscat(["predict", "--project", str(built_project.path), *REFERENCE_ARGS["default model, json"]],
                     elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout == module_prints["default model, json"]


def test_predict_elsewhere_leaves_that_folders_files_alone(built_project, tmp_path):
    """The stages' tidying of tmp/ (a killed stage's staging folders) is not predict's: run
    from a folder with a tmp/staging/ of its own, the command deletes nothing there."""
    mine = tmp_path / "tmp" / "staging" / "notes"
    mine.mkdir(parents=True)
    result = newscat(["predict", "--project", str(built_project.path), "--model", "baseline", TEXTS[0]], tmp_path)
    assert result.returncode == 0, result.stderr
    assert mine.is_dir()


@pytest.mark.parametrize("form", ["--file", "--file="])
def test_relative_file_is_read_from_where_the_command_runs(built_project, module_prints, elsewhere, form):
    project = built_project.path
    (elsewhere / "headlines.txt").write_text("\n".join(TEXTS) + "\n")
    file_args = ["--file", "headlines.txt"] if form == "--file" else ["--file=headlines.txt"]
    result = newscat(["predict", "--project", str(project), "--model", "baseline", *file_args], elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout == module_prints["baseline, plain"]


def test_help_outside_a_project_lists_the_project_option(elsewhere):
    result = newscat(["predict", "--help"], elsewhere)
    assert result.returncode == 0 and "--project" in result.stdout and "--file" in result.stdout


@pytest.mark.parametrize("folder, expected", [
    ("missing", "no such directory"),
    ("empty", "is not a newscat project: no dvc.yaml or params.yaml"),
])
def test_not_a_project_is_an_error_naming_the_folder(tmp_path, folder, expected):
    path = tmp_path / folder
    if folder == "empty":
        path.mkdir()
    result = newscat(["predict", "--project", str(path), "some text"], tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert str(path.resolve()) in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_names_the_stage_to_run_and_the_project(built_project, tmp_path):
    project = copy_project(built_project.path, tmp_path / "project")
    (project / "models" / "baseline.joblib").unlink()
    result = newscat(["predict", "--project", str(project), "--model", "baseline", "some text"], tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert "models/baseline.joblib" in result.stderr and "dvc repro train_baseline" in result.stderr
    assert f"(or `dvc checkout --force models/baseline.joblib`) in {project.resolve()}" in result.stderr  # where it works
    assert f"(project: {project.resolve()})" in result.stderr


@pytest.mark.parametrize("command", ["newscat predict", "python -m newscat.serve.predict"])
def test_predict_prints_no_tensorflow_start_up_line(built_project, command):
    """Both entry points import TensorFlow quietly (after parsing their options), as stages do."""
    from test_quiet import start_up_lines

    program = [str(NEWSCAT), "predict"] if command.startswith("newscat") else [sys.executable, "-m", "newscat.serve.predict"]
    result = subprocess.run([*program, "--model", "gru", TEXTS[0]], cwd=built_project.path, capture_output=True,
                            text=True, timeout=TIMEOUT)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    assert start_up_lines(result.stderr) == [], result.stderr


def test_predict_help_does_not_import_tensorflow(elsewhere):
    """--help answers at once, anywhere: it needs neither a project nor TensorFlow."""
    code = ("import sys, contextlib, io\nfrom newscat.serve import predict\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    predict.main(['--help'])\nprint('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stdout.strip() == "False", result.stderr
