"""Time to first answer of `newscat predict`, per model: the whole command, start-up included.

    .venv/bin/python benchmarks/predict_startup.py [--project .] [--repeat 3]

Runs `newscat predict --project P --model M "<headline>"` for every model and the ensemble,
--repeat times each, and prints the best and the median wall time with the machine's load
average (quote figures from an idle machine). Target: <= 8 s for every model on 2 idle cores.
Needs a project whose pipeline ran (models/).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

NEWSCAT = Path(sys.executable).parent / "newscat"
HEADLINE = "Striker scores twice as United win the cup final"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", type=Path, default=Path("."), help="a project whose pipeline ran")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    for model in ("lstm", "gru", "baseline", "ensemble"):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = subprocess.run([str(NEWSCAT), "predict", "--project", str(args.project), "--model", model,
                                     HEADLINE], capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if result.returncode != 0:
                sys.exit(f"newscat predict --model {model} failed:\n{result.stderr}")
        print(f"{model:9s} best {min(times):5.2f} s  median {statistics.median(times):5.2f} s  "
              f"answer: {result.stdout.strip()[:60]}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
