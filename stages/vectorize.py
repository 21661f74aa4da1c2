"""Stage vectorize: cleaned text -> integer sequences (vocabulary adapted on train only).

Writes data/vectorized/{x,y}_{train,val,test}.npy, models/vocab.txt and metrics/data.json
(which gathers the reports of download and clean, plus the vocabulary size).
"""

import numpy as np

from newscat.core.errors import run_stage
from newscat.core.io import load_clean, read_json, write_json
from newscat.core.params import load_params
from newscat.core.registry import (CLEAN_REPORT, DATA_METRICS, RAW_REPORT, VECTORIZED_DIR, VOCAB_FILE,
                                   vectorized_paths)
from newscat.core.staging import StagedOutputs
from newscat.core.vocab import save_vocabulary, vocabulary_size
from newscat.data.features import encode, fit_vocabulary, make_encoder

SPLITS = ("train", "val", "test")


def main() -> None:
    params = load_params().vectorize
    data = {split: load_clean(split) for split in SPLITS}
    vocabulary = fit_vocabulary(data["train"][1], params.max_tokens, params.min_freq)
    encoder = make_encoder(vocabulary, params.sequence_length)
    with StagedOutputs() as out:
        out_dir = out.path(VECTORIZED_DIR)
        out_dir.mkdir()
        for split, (labels, texts) in data.items():
            x_path, y_path = vectorized_paths(split, out_dir)
            np.save(x_path, encode(encoder, texts))
            np.save(y_path, labels)
        save_vocabulary(out.path(VOCAB_FILE), vocabulary)
        metrics = {"download": read_json(RAW_REPORT), "clean": read_json(CLEAN_REPORT),
                   "vocabulary_size": vocabulary_size(vocabulary),  # words + padding and [UNK]
                   "sequence_length": params.sequence_length}
        write_json(out.path(DATA_METRICS), metrics)
    print(f"vectorize: vocabulary {len(vocabulary):,} words ({vocabulary_size(vocabulary):,} ids with padding and "
          f"[UNK]), sequence length {params.sequence_length}")


if __name__ == "__main__":
    run_stage(main)
