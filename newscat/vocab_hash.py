"""Which vocabulary each trained RNN was fitted with, so a different models/vocab.txt is refused.

The train stage writes models/<cell>_attention.vocab.sha256 (the SHA-256 of models/vocab.txt
it trained with, in `sha256sum` format) next to the model; evaluate, predict and export call
check_vocabulary before using the model with the vocabulary file. Token ids are positions in
that file: another vocabulary would silently feed the model the wrong words.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from newscat.errors import PipelineError
from newscat.features import VOCAB_FILE
from newscat.io import require_file
from newscat.registry import STAGE_OF, keras_model_path


def vocab_hash_path(cell: str) -> Path:
    return Path(f"models/{cell}_attention.vocab.sha256")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_vocab_hash(path: Path, vocab_file: Path = VOCAB_FILE) -> None:
    """The sidecar: '<sha256>  models/vocab.txt' (checkable with `sha256sum -c`)."""
    path.write_text(f"{file_sha256(require_file(vocab_file))}  {vocab_file}\n", encoding="utf-8")


def check_vocabulary(cell: str, vocab_file: Path = VOCAB_FILE) -> None:
    """Refuse a vocabulary file other than the one the cell's model was trained with."""
    hint = f"run `dvc repro {STAGE_OF[cell]}`"
    sidecar = require_file(vocab_hash_path(cell), hint + " (models trained before the hash was kept have none)")
    expected = sidecar.read_text(encoding="utf-8").split()[:1]
    actual = file_sha256(require_file(vocab_file, "run `dvc repro vectorize`"))
    if expected != [actual]:
        raise PipelineError(
            f"{vocab_file} is not the vocabulary {keras_model_path(cell)} was trained with: its SHA-256 is "
            f"{actual[:12]}..., {sidecar} records {(expected or ['nothing'])[0][:12]}...; valid: the {vocab_file} "
            f"written with the model (`dvc checkout`), or retrain: {hint}")
