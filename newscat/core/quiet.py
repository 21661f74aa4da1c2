"""Quiet TensorFlow start-up: stage logs show the project's lines, not TensorFlow's boot chatter.

Since TensorFlow 2.21, `import tensorflow` logs through absl *before* absl's logging is set up,
so TF_CPP_MIN_LOG_LEVEL does not reach those lines: "WARNING: All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on ...", "Could not find cuda
drivers ...", "This TensorFlow binary is optimized to use available CPU instructions ...", and,
when TensorFlow first lists devices, "E0000 ... failed call to cuInit" on a machine without a GPU;
later, at the first masked RNN step, "E0000 ... oneDNN supports DT_BOOL only on platforms with
AVX-512" (a note: the op falls back to TensorFlow's own kernel).

`import_tensorflow()` (called by the stage runner and the `newscat` command, never on import)
imports TensorFlow, lists its devices and triggers the oneDNN note, all with file descriptor 2
sent to a temporary file; then stderr is restored and every captured line that is not start-up noise (see
`is_start_up_noise`) is written to it again. Nothing after that window is captured. Python
errors raised by the import propagate as usual. The cuInit error is kept where an NVIDIA
driver is installed (/proc/driver/nvidia/version exists): there it explains a missing GPU.
TF_CPP_MIN_LOG_LEVEL defaults to 2, so later C++ INFO/WARNING lines (XLA service, device
creation) are hidden and C++ ERROR lines are still shown. GPUs are untouched: TensorFlow still
finds and uses them.
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
    """True for TensorFlow start-up lines: absl's preamble, C++ INFO/WARNING lines, the CPU
    instructions note, oneDNN's boolean-type note, and the cuInit error where no NVIDIA driver
    is installed."""
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
    """Within: file descriptor 2 goes to a temporary file. After: stderr is restored and the
    captured lines that are not start-up noise are written to it."""
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
    """Makes TensorFlow print, inside the window, a note it logs once per process at the first
    graph with a boolean tensor (every masked RNN has one): "E... oneDNN supports DT_BOOL only on
    platforms with AVX-512 ...". A one-op graph in a CPU-only TF1 session: the eager runtime
    stays uninitialised (thread pools can still be sized) and no GPU is touched."""
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
