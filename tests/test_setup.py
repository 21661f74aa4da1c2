"""The Makefile's set-up (`.venv/.installed`): a .venv it created whose set-up was interrupted
is removed before it sets up again (pip counts a package whose files were half unpacked as
installed: installing over the leftovers gave a .venv without a working TensorFlow, for
good); a .venv the user made is never removed."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT, run

# Stands in for the Python the Makefile creates the venv with: it fails at once, so the test
# sees what the recipe did before it, without installing anything.
FAILING_PYTHON = "#!/bin/sh\necho 'no venv today' >&2\nexit 3\n"
MADE_HERE = re.search(r"^MADE_HERE := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


@pytest.mark.parametrize("created_by_make", [True, False])
def test_set_up_removes_only_a_venv_it_created(tmp_path, created_by_make):
    venv = tmp_path / "venv"
    half_installed = venv / "lib" / "python3.11" / "site-packages" / "tensorflow-2.21.0.dist-info"
    half_installed.mkdir(parents=True)
    if created_by_make:
        (venv / MADE_HERE).touch()
    python = tmp_path / "python"
    python.write_text(FAILING_PYTHON)
    python.chmod(0o755)
    result = run(["make", f"VENV={venv}", f"PYTHON={python}", f"{venv}/.installed"], ROOT, check=False)
    assert result.returncode != 0 and "no venv today" in result.stderr, result.stdout + result.stderr
    # removed (or not) before the Python that would create it again ran
    assert venv.exists() is not created_by_make
