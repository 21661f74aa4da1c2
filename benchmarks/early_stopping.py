"""Early stopping at full size: `dvc repro train_<cell>` with the default params on a full-size
synthetic corpus hard enough to overfit (benchmarks/synth.py with word mixing and label noise).

    .venv/bin/python benchmarks/early_stopping.py [--cell gru] [--mix 0.5] [--label-noise 0.1]
                                                  [--workdir DIR]

The benchmark corpus (benchmark.py) draws every word from its own class, so it is nearly
separable: its validation loss keeps creeping down and patience is never used up. Here half the
words come from a random class and a tenth of the labels are wrong, so a model that keeps
training starts to fit the noise and its validation loss turns up. Prints the training log's
per-epoch validation loss, the epoch it stopped at and the epoch it kept, the EMA momentum the
horizon in epochs gave at this size, and the wall time; the project stays in --workdir.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from benchmark import make_project, run_measured  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", default="gru", choices=("lstm", "gru"))
    ap.add_argument("--mix", type=float, default=0.5, help="share of words drawn from a random class")
    ap.add_argument("--label-noise", type=float, default=0.1, help="share of rows with a wrong label")
    ap.add_argument("--real-dir", type=Path, default=HERE.parent / "data" / "sample")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="newscat-early-stopping-"))
    corpus = work / "corpus"
    synth.write_corpus(args.real_dir, corpus, synth.SIZES["full"], mix=args.mix, label_noise=args.label_noise)
    project = make_project(work / "project", corpus, {})
    log = work / f"train_{args.cell}.log"
    usage = run_measured([sys.executable, "-m", "dvc", "repro", f"train_{args.cell}"], project, log)
    text = log.read_text()
    print(f"corpus: {synth.SIZES['full']} rows, mix {args.mix}, label noise {args.label_noise}; project {project}")
    for line in text.splitlines():
        if re.search(r"EMA momentum|kept epoch|early stop|Epoch \d+/|val_loss", line) and "step" not in line[:12]:
            print(line.strip()[:200])
    print(f"dvc repro train_{args.cell}: {usage}")
    # The saved model is the kept epoch's: its validation accuracy is that epoch's, to the digit.
    subprocess.run([sys.executable, "-c", KEPT_CHECK, args.cell], cwd=project, check=True)


KEPT_CHECK = """
import json, sys
sys.path.insert(0, ".")
import keras, newscat.core.model
from newscat.core.io import load_vectorized
from newscat.core.inference import predict_by_length
from newscat.core.registry import keras_model_path, live_dir
x, y = load_vectorized("val")
accuracy = (predict_by_length(keras.models.load_model(keras_model_path(sys.argv[1])), x).argmax(1) == y).mean()
summary = json.loads((live_dir(sys.argv[1]) / "metrics.json").read_text())
print(f"saved model: validation accuracy {accuracy:.4f}; DVCLive summary: epoch {summary['best_epoch']} of "
      f"{summary['epochs_run']}, val_accuracy {summary['val_accuracy']:.4f}")
"""


if __name__ == "__main__":
    main()
