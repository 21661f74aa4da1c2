"""A trained classifier as a TensorFlow SavedModel that reads raw text (the keras-io pattern):

    raw strings -> standardize (the clean stage's function) -> token ids -> model -> {"probabilities"}

TF Serving needs none of our code: `tf.saved_model.load(path).serve(tf.constant([...]))`, or
the "serving_default" signature (input "texts", output "probabilities").
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Sequence

import tensorflow as tf

from newscat.data.features import make_encoder, unk_for_empty_rows
from newscat.data.text import english_stopwords, standardize


class RawTextPipeline(tf.Module):
    """Cleaning + vocabulary + model; __call__ maps raw strings to class probabilities."""

    def __init__(self, model, vocabulary: Sequence[str], sequence_length: int,
                 stopwords: frozenset[str] | None = None):
        super().__init__(name="raw_text_pipeline")
        stopwords = english_stopwords() if stopwords is None else stopwords
        self.model = model
        self.encoder = make_encoder(vocabulary, sequence_length, partial(standardize, stopwords=stopwords))

    def ids(self, texts) -> tf.Tensor:
        return unk_for_empty_rows(self.encoder(tf.convert_to_tensor(texts, tf.string)))

    def __call__(self, texts) -> dict[str, tf.Tensor]:
        return {"probabilities": self.model(self.ids(texts), training=False)}


def export_serving(model, vocabulary: Sequence[str], sequence_length: int, path: str | Path,
                   stopwords: frozenset[str] | None = None) -> None:
    """Write a SavedModel at `path`: raw tf.string texts [batch] -> {"probabilities": [batch, 4]}."""
    pipeline = RawTextPipeline(model, vocabulary, sequence_length, stopwords)
    pipeline.serve = tf.function(pipeline.__call__, input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    tf.saved_model.save(pipeline, str(path), signatures={"serving_default": pipeline.serve})
    _content_derived_uuid(Path(path) / "fingerprint.pb")


def _content_derived_uuid(fingerprint_file: Path) -> None:
    """fingerprint.pb's random uuid, derived from its content hashes: same model, same bytes."""
    import hashlib

    from tensorflow.core.protobuf import fingerprint_pb2

    fingerprint = fingerprint_pb2.FingerprintDef.FromString(fingerprint_file.read_bytes())
    fingerprint.ClearField("uuid")
    digest = hashlib.sha256(fingerprint.SerializeToString(deterministic=True)).digest()
    fingerprint.uuid = str(int.from_bytes(digest[:16], "big"))  # TF's format: a 128-bit decimal
    fingerprint_file.write_bytes(fingerprint.SerializeToString(deterministic=True))
