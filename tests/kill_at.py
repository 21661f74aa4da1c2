"""Run a stage module as `python -m` would, in this process, and SIGKILL the process at a point
a test names. The point is observed from outside the package, by watching the process's
renames (os.rename / os.replace): the package itself has no fault hook.

    python tests/kill_at.py staged N stages.vectorize    # just before the Nth rename out of tmp/staging
        # (or of its commit plan into place):
        # N=1: every output written, its commit plan not (the previous outputs stay);
        # N=2: the plan written, no output in place; N=3: the first output in place, the rest not
    python tests/kill_at.py checkpoint N stages.train lstm  # just after the Nth epoch checkpoint is in place
"""
import os
import runpy
import signal
import sys
from pathlib import Path

mode, n, module, *args = sys.argv[1:]
n, seen = int(n), 0


def kill() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def watched(rename):
    def call(src, dst, *a, **k):
        global seen
        into_place = "tmp/staging/" not in os.path.abspath(dst) or str(dst).endswith("commit.json")
        if mode == "staged" and "tmp/staging/" in os.path.abspath(src) and into_place:
            seen += 1
            if seen == n:
                kill()
        result = rename(src, dst, *a, **k)
        if mode == "checkpoint" and Path(dst).name.startswith("worker-") and Path(dst).suffixes == [".keras"]:
            seen += 1
            if seen == n:
                kill()
        return result
    return call


os.rename, os.replace = watched(os.rename), watched(os.replace)
sys.argv = [module, *args]
sys.path.insert(0, os.getcwd())  # as `python -m` does
runpy.run_module(module, run_name="__main__", alter_sys=True)
