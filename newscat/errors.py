"""One error type for everything a user can fix, and the wrapper that prints it cleanly."""

from __future__ import annotations

import sys
from typing import Callable


class PipelineError(Exception):
    """A problem with the user's input (params, files, rows): shown without a traceback."""


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's main(); a PipelineError becomes one clear message and exit status 1."""
    try:
        main()
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
