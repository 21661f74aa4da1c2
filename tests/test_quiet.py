"""TensorFlow's start-up lines stay out of stage logs; everything else on stderr still shows."""
from __future__ import annotations

import subprocess

import pytest

from conftest import PYTHON, ROOT, USER_ENVIRONMENT, run
from newscat.core.quiet import is_start_up_noise

START_UP_MARKERS = ("absl::InitializeLog", "oneDNN", "cuda", "cuInit", "cpu_feature_guard",
                    "To enable the following instructions", "XLA", "I0000", "W0000", "E0000")


@pytest.mark.parametrize("line, nvidia_driver, noise", [
    ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", False, True),
    ("I0000 00:00:1795948613.308743    5569 port.cc:153] oneDNN custom operations are on.", False, True),
    ("I0000 00:00:1795948613.309039    5569 cudart_stub.cc:31] Could not find cuda drivers", False, True),
    ("To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild", False, True),
    ("E0000 00:00:1795948626.893336    5761 cuda_platform.cc:52] failed call to cuInit: INTERNAL", False, True),
    ("E0000 00:00:1795948626.893336    5761 cuda_platform.cc:52] failed call to cuInit: INTERNAL", True, False),
    ("E0000 00:00:1795948683.060795    6575 util.cc:131] oneDNN supports DT_BOOL only on platforms", False, True),
    ("E0000 00:00:1795948683.060795    6575 some_op.cc:99] a real failure", False, False),
    ("Traceback (most recent call last):", False, False),
    ("error: data.csv_dir: folder x does not exist", False, False),
])
def test_start_up_noise(line, nvidia_driver, noise):
    assert is_start_up_noise(line, nvidia_driver) is noise


def test_captured_lines_that_are_not_noise_are_written_again():
    code = ("import os; from newscat.core.quiet import start_up_lines_dropped\n"
            "with start_up_lines_dropped():\n"
            "    os.write(2, b'I0000 00:00:1.5 7 port.cc:153] oneDNN custom operations are on.\\n')\n"
            "    os.write(2, b'something real went wrong\\n')\n"
            "os.write(2, b'after\\n')\n")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr == "something real went wrong\nafter\n"


def start_up_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(m in line for m in START_UP_MARKERS)]


def test_no_stage_prints_a_start_up_line(built_project):
    """The shared project's `dvc repro` ran every TensorFlow stage with TensorFlow's own log
    level (TF_CPP_MIN_LOG_LEVEL unset); DVC passes each stage's stderr through to its own."""
    stderr = built_project.repro.stderr
    assert start_up_lines(stderr) == []
    assert "vectorize: vocabulary" in built_project.repro.stdout  # the stages' own lines still show


def test_tensorflow_is_imported_with_its_usual_loader_and_quietly_in_a_users_environment():
    """TensorFlow's defaults (log level, oneDNN on: the suite turns it off, conftest)."""
    code = ("from newscat.core import quiet; quiet.import_tensorflow(); import tensorflow as tf; "
            "print(type(tf.__spec__.loader).__name__, tf.constant(2).numpy())")
    result = run([PYTHON, "-c", code], ROOT, timeout=120, unset=USER_ENVIRONMENT)
    assert result.stdout.split() == ["SourceFileLoader", "2"], result.stderr
    assert start_up_lines(result.stderr) == []


def test_importing_the_package_changes_nothing_in_the_process():
    """Quieting is an explicit call (the stage runner, the CLI): importing every module of the
    package installs no import hook and changes no process-wide setting."""
    code = ("import csv, os, pkgutil, sys, importlib, newscat\n"
            "import tensorflow, keras, sklearn.pipeline, matplotlib, matplotlib.pyplot, joblib, yaml, pydantic\n"  # theirs
            "matplotlib.use('svg')\n"  # the user's plotting backend stays theirs
            "before = (list(sys.meta_path), csv.field_size_limit(), matplotlib.get_backend())\n"
            "for m in pkgutil.walk_packages(newscat.__path__, 'newscat.'):\n"
            "    importlib.import_module(m.name)\n"
            "after = (list(sys.meta_path), csv.field_size_limit(), matplotlib.get_backend())\n"
            "print(before == after, 'tensorflow' in sys.modules)\n")
    result = run([PYTHON, "-c", code], ROOT, timeout=120)
    assert result.stdout.split() == ["True", "True"], result.stderr
