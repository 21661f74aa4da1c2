"""The `newscat` command (installed with the package): `newscat predict [--project PATH] "some headline" ...`.

Works from any directory: the models, vocabulary and params.yaml are read from the project given
by --project (default: the current directory); the options are newscat.serve.predict's.
"""

from __future__ import annotations

import argparse
import sys

from newscat.core.errors import run_stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newscat", description="AG News categorization (see the README).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("predict", add_help=False, help="classify texts with a trained model (options: newscat predict --help)")
    _, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)

    def predict_main() -> None:
        from newscat.serve import predict  # inside the runner: a Ctrl-C while importing is one line too

        predict.main(rest, check_project=True)  # checks it runs in a project (default: here), after --help

    # The stage runner's handling: an error is one line and its exit status.
    run_stage(predict_main, stage="predict", tensorflow=False, tidy=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
