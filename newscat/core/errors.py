"""One error type for everything a user can fix, and the wrapper that prints it cleanly."""

from __future__ import annotations

import atexit
import signal
import sys
from pathlib import Path
from typing import Callable


class PipelineError(Exception):
    """A problem with the user's input (params, files, rows): shown without a traceback."""

    exit_status = 1


class UsageError(PipelineError):
    """The command was called wrongly (e.g. no input given): exit status 2, like argparse."""

    exit_status = 2


def os_error_message(stage: str, exc: OSError) -> str:
    """`<stage>: <what went wrong>: <path>` for a read-only folder, a full disk, a missing permission."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{stage}: {reason}" + (f": {' -> '.join(paths)}" if paths else "")


def run_stage(main: Callable[[], None], stage: str | None = None, tensorflow: bool = True,
              tidy: bool = True) -> None:
    """Run a stage's main(), TensorFlow imported first with its start-up lines quieted
    (newscat.core.quiet; `tensorflow=False` for a stage that does not use it); a PipelineError
    or an OSError (read-only folder, full disk, missing permission) becomes one clear line and
    exit status 1. Outputs written through newscat.core.staging.StagedOutputs were already discarded
    by then, so nothing is half-written. `tidy`: first finish or remove what killed stages left
    in tmp/ (a stage, run in the project root; not predict, which may run anywhere)."""
    from newscat.core import quiet
    from newscat.core.staging import remove_dead_staging, remove_superseded_checkpoints

    stage = stage or Path(sys.argv[0]).stem
    try:
        if tensorflow:
            quiet.import_tensorflow()
        if tidy:
            remove_dead_staging()  # a killed stage's outputs: all new if it was renaming them, else untouched
            remove_superseded_checkpoints()
        main()
        # Done: a Ctrl-C while the process exits (TensorFlow's shutdown) has nothing to stop.
        atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_status)
    except OSError as exc:
        print(f"error: {os_error_message(stage, exc)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C: outputs as before (StagedOutputs), one line, the shell's status
        print(f"error: {stage}: interrupted", file=sys.stderr)
        sys.exit(130)
