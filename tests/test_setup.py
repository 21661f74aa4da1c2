"""The Makefile's set-up (`.venv/.installed`): what an interrupted one left behind is removed
before it starts again. (pip counts a package whose files were half unpacked as installed,
so installing over the leftovers gave a .venv without a working TensorFlow, for good.)"""
from __future__ import annotations

import subprocess

from conftest import ROOT, SUBPROCESS_TIMEOUT

# Stands in for the Python the Makefile creates the venv with: it fails at once, so the test
# sees what the recipe did before it, without installing anything.
FAILING_PYTHON = "#!/bin/sh\necho 'no venv today' >&2\nexit 3\n"


def test_set_up_starts_from_an_empty_venv_after_an_interrupted_one(tmp_path):
    venv = tmp_path / "venv"
    half_installed = venv / "lib" / "python3.11" / "site-packages" / "tensorflow-2.21.0.dist-info"
    half_installed.mkdir(parents=True)
    python = tmp_path / "python"
    python.write_text(FAILING_PYTHON)
    python.chmod(0o755)
    result = subprocess.run(["make", "-C", str(ROOT), f"VENV={venv}", f"PYTHON={python}", f"{venv}/.installed"],
                            capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    assert result.returncode != 0 and "no venv today" in result.stderr, result.stdout + result.stderr
    assert not venv.exists()  # removed before the Python that would create it again ran
