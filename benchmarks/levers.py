"""A/B of training-speed levers, back to back in one process (threads: one process per setting).

    .venv/bin/python benchmarks/levers.py [--docs 12800] [--variants b128,b512,b512_bucket16 ...]

Each variant trains a fresh model for 2 passes over --docs documents tiled from
--data/x_train.npy (default: this project's vectorized train split, so a real length
distribution) and reports the second pass (the first one includes tracing): s/epoch, samples/s, ms/step, and
the extrapolation to a 108,000-document epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Accuracy levers (README, Tuning) that may cost speed: model.* go to build_model, train.* to compile_model.
TUNED = {"spatial_dropout": 0.2, "use_ema": True, "ema_epochs": 1.1111111, "label_smoothing": 0.1}

VARIANTS = {
    # name: (cell, batch, bucket_batches, steps_per_execution, jit, emb, units[, levers])
    "b128": ("lstm", 128, 0, 1, False, 64, 64),
    "b256": ("lstm", 256, 0, 1, False, 64, 64),
    "b512": ("lstm", 512, 0, 1, False, 64, 64),
    "b128_bucket16": ("lstm", 128, 16, 1, False, 64, 64),
    "b256_bucket16": ("lstm", 256, 16, 1, False, 64, 64),
    "b512_bucket16": ("lstm", 512, 16, 1, False, 64, 64),
    "b512_bucket64": ("lstm", 512, 64, 1, False, 64, 64),
    "b512_bucket16_spe8": ("lstm", 512, 16, 8, False, 64, 64),
    "b512_bucket16_jit": ("lstm", 512, 16, 1, True, 64, 64),
    "b256_bucket16_jit": ("lstm", 256, 16, 1, True, 64, 64),
    "b512_bucket16_u32": ("lstm", 512, 16, 1, False, 64, 32),
    "gru_b128": ("gru", 128, 0, 1, False, 64, 64),
    "gru_b512_bucket16": ("gru", 512, 16, 1, False, 64, 64),
    "gru_b512_bucket16_jit": ("gru", 512, 16, 1, True, 64, 64),
    "b512_bucket16_tuned": ("lstm", 512, 16, 1, False, 64, 64, TUNED),
    "b512_bucket16_projections": ("lstm", 512, 16, 1, False, 64, 64, {"attention_projections": True}),
    "gru_b512_bucket16_tuned": ("gru", 512, 16, 1, False, 64, 64, TUNED),
}


def threads(text: str) -> int | str:
    return text if text == "auto" else int(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=16384)
    ap.add_argument("--data", type=Path, default=ROOT / "data/vectorized",
                    help="a vectorize output folder (e.g. a benchmark project's data/vectorized)")
    ap.add_argument("--variants", default="b128,b512,b512_bucket16")
    ap.add_argument("--intra", type=threads, default=0, help="intra-op threads: auto or a number (0: TF's default)")
    ap.add_argument("--inter", type=threads, default=0, help="inter-op threads: auto or a number (0: TF's default)")
    ap.add_argument("--no-determinism", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import keras
    import numpy as np

    from newscat.core.model import build_model
    from newscat.train.training import (compile_model, lever_callbacks, make_deterministic, train_batches,
                                        use_threads)

    intra, inter = use_threads(args.intra, args.inter)  # before any op runs
    print(f"threads: intra-op {intra}, inter-op {inter} (0: TensorFlow's default)", flush=True)

    x0 = np.load(args.data / "x_train.npy")
    y0 = np.load(args.data / "y_train.npy")
    reps = -(-args.docs // len(x0))
    x, y = np.tile(x0, (reps, 1))[:args.docs], np.tile(y0, reps)[:args.docs]
    results = {}
    for name in args.variants.split(","):
        cell, batch, bucket, spe, jit, emb, units, *levers = VARIANTS[name]
        levers = SimpleNamespace(**(levers[0] if levers else {}))
        if args.no_determinism:
            keras.utils.set_random_seed(42)
        else:
            make_deterministic(42)
        model = build_model(cell, 20000, emb, units, 0.3, seed=42,
                            spatial_dropout=getattr(levers, "spatial_dropout", 0.0),
                            attention_projections=getattr(levers, "attention_projections", False))
        steps = -(-len(x) // batch)
        if vars(levers):
            compile_model(model, 1e-3, levers, steps_per_epoch=steps)
        else:
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"], steps_per_execution=spe, jit_compile=jit)
        times, ran = [], []

        class T(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t, self.it = time.perf_counter(), int(self.model.optimizer.iterations.numpy())

            def on_epoch_end(self, epoch, logs=None):
                done = int(self.model.optimizer.iterations.numpy()) - self.it
                times.append((time.perf_counter() - self.t) * steps / max(done, 1))  # per full pass
                ran.append(done)

        model.fit(train_batches(x, y, batch, 42, 0, 2, bucket_batches=bucket), steps_per_epoch=steps,
                  epochs=2, verbose=0, callbacks=[*lever_callbacks(levers), T()])
        sec = times[-1]
        results[name] = {"first_pass_s": round(times[0], 2), "s_per_pass": round(sec, 2),
                         "samples_per_s": round(len(x) / sec), "ms_per_step": round(1000 * sec / steps, 1),
                         "s_per_108k_epoch": round(108000 / (len(x) / sec), 1),
                         "steps_run": ran}
        print(f"{name:24s} " + "  ".join(f"{k} {v}" for k, v in results[name].items()), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
