"""Quiet TensorFlow start-up: stage logs show the project's lines, not TensorFlow's boot chatter.

Since TensorFlow 2.21 `import tensorflow` logs through absl before TF_CPP_MIN_LOG_LEVEL applies
(absl's preamble, oneDNN and CPU-instruction notes, "failed call to cuInit" without a GPU, and at
the first masked RNN step a oneDNN DT_BOOL note). `import_tensorflow()` (called by the stage
runner and the `newscat` command, never on import) runs all of that with file descriptor 2 sent
to a temporary file, then writes back every captured line that is not start-up noise.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
GLOG_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ ([\w.]+):\d+\] ")
CPU_FEATURES_CONTINUATION = "To enable the following instructions:"
CUINIT = "failed call to cuInit"
ONEDNN_BOOL = "oneDNN supports DT_BOOL only"
NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


def is_start_up_noise(line: str, nvidia_driver: bool = False) -> bool:
    """True for TensorFlow start-up lines; the cuInit error is kept where an NVIDIA driver is
    installed (there it explains a missing GPU)."""
    if line.strip() == ABSL_PREAMBLE or line.startswith(CPU_FEATURES_CONTINUATION):
        return True
    match = GLOG_LINE.match(line)
    if not match:
        return False
    severity = match.group(1)
    if severity == "E" and ONEDNN_BOOL in line:
        return True
    return severity in "IW" or (severity == "E" and CUINIT in line and not nvidia_driver)


@contextmanager
def start_up_lines_dropped():
    """Within: fd 2 goes to a temporary file; after: its lines that are not noise go to stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    captured = tempfile.TemporaryFile()
    os.dup2(captured.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        captured.seek(0)
        text = captured.read().decode("utf-8", errors="replace")
        captured.close()
        driver = NVIDIA_DRIVER.exists()
        kept = [line for line in text.splitlines() if not is_start_up_noise(line, driver)]
        if kept:
            sys.stderr.write("\n".join(kept) + "\n")
            sys.stderr.flush()


def _log_once_notes_now(tf) -> None:
    """TensorFlow's once-per-process oneDNN DT_BOOL note, now: a one-op boolean graph in a
    CPU-only TF1 session (the eager runtime stays uninitialised, so thread pools can be sized)."""
    graph = tf.Graph()
    with graph.as_default():
        mask = tf.compat.v1.placeholder(tf.bool, [None, None])
        transposed = tf.transpose(mask)
    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    with tf.compat.v1.Session(graph=graph, config=config) as session:
        session.run(transposed, {mask: [[True, False]]})


def import_tensorflow() -> None:
    """Import TensorFlow now, its start-up lines dropped (nothing to do once it is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    with start_up_lines_dropped():
        import tensorflow as tf

        tf.config.list_physical_devices()  # loads CUDA (or fails to) now, inside the window
        _log_once_notes_now(tf)
