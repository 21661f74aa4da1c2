"""The `newscat` command (installed by `pip install -e .`): `newscat predict "some headline" ...`.

Works from any directory: the trained models, vocabulary and params.yaml are read from the
project given by `--project PATH` (default: the current directory). Every other option is
`python -m newscat.serve.predict`'s, which this command runs inside that project.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscat.core.errors import PipelineError, run_stage

PROJECT_FILES = ("dvc.yaml", "params.yaml")  # what makes a folder a newscat project


def project_root(path: str | Path) -> Path:
    """The project folder as an absolute path; a PipelineError naming it if it is not one."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise PipelineError(f"--project {path}: no such directory ({root})")
    missing = [name for name in PROJECT_FILES if not (root / name).is_file()]
    if missing:
        raise PipelineError(
            f"{root} is not a newscat project: no {' or '.join(missing)} there; run the command in the "
            "project folder (a clone of the repository, with models trained by `dvc repro`) or pass "
            "--project PATH")
    return root


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscat", description="AG News categorization (see the README).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    predict = commands.add_parser(
        "predict", add_help=False,
        help="classify texts with a trained model (options: newscat predict --help)",
        description="Other options are those of `python -m newscat.serve.predict`.")
    predict.add_argument("--project", default=".",
                         help="the project folder holding params.yaml and models/ (default: current directory)")
    return parser


def predict_in(root: Path, argv: list[str]) -> int:
    """Run newscat.serve.predict's main with argv on the project at root (the working directory
    is left alone: a relative --file is the caller's); errors name the project."""
    from newscat.serve import predict

    try:
        return predict.main(argv, root=root) or 0
    except PipelineError as exc:
        exc.args = (f"{exc} (project: {root})",)  # same type, so UsageError keeps exit status 2
        raise


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if {"-h", "--help"} & set(rest):  # help needs no project
        from newscat.serve import predict

        return predict.main(rest, project_option=True) or 0
    # The stage runner's handling: TensorFlow imported quietly; a PipelineError, an OSError or
    # Ctrl-C is one line and its exit status.
    run_stage(lambda: predict_in(project_root(args.project), rest), stage="predict", tidy=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
