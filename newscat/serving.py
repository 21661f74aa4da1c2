"""A trained classifier as a TensorFlow SavedModel that reads raw text.

The exported graph does everything newscat.predict does in Python, so TF Serving (or any
TensorFlow runtime) needs none of our code:

    raw strings -> clean_tokens (newscat.text, replayed with TF string ops)
                -> token ids (newscat.features: the same TextVectorization and vocabulary,
                   the same "a row with no token gets one [UNK]" rule)
                -> the Keras model -> {"probabilities": float32 [batch, 4]}

Load it with `tf.saved_model.load(path).serve(tf.constant([...]))`, or call the
"serving_default" signature (input "texts", output "probabilities").
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import tensorflow as tf

from newscat.features import make_encoder, unk_for_empty_rows
from newscat.registry import RNN_CELLS, serving_path
from newscat.text import ARTIFACTS

# The RE2 twin of newscat.text.NON_LETTERS (`[\W\d_]+`). Python's `\w` is "alphanumeric or _",
# so besides letters (\p{L}) it keeps the numeric characters that are not decimal digits:
# letter numbers (\p{Nl}: Roman numerals Ⅻ) and other numbers (\p{No}: ², ½). `[^\p{L}]+`
# alone would split "m²" or "2½" differently from training; with \p{Nl}\p{No} the two agree
# on every code point both Unicode tables know (checked over all of them; see tests).
NON_LETTERS_RE2 = r"[^\p{L}\p{Nl}\p{No}]+"
PATH_OF = {cell: serving_path(cell) for cell in RNN_CELLS}


def stopword_table(stopwords: frozenset[str]) -> tf.lookup.StaticHashTable:
    """word -> 1 for every stopword, 0 for anything else."""
    keys = tf.constant(sorted(stopwords), dtype=tf.string)
    init = tf.lookup.KeyValueTensorInitializer(keys, tf.ones_like(keys, dtype=tf.int64))
    return tf.lookup.StaticHashTable(init, default_value=0)


def clean_tokens(texts: tf.Tensor, stopwords: tf.lookup.StaticHashTable) -> tf.RaggedTensor:
    """1-D tf.string batch -> ragged [batch, (tokens)]: newscat.text.clean_text, in the graph."""
    texts = tf.strings.lower(texts, encoding="utf-8")
    for pattern, replacement in ARTIFACTS:  # same list, same order as the Python cleaning
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    texts = tf.strings.regex_replace(texts, NON_LETTERS_RE2, " ")
    tokens = tf.strings.split(texts)  # on whitespace, empty pieces dropped (like the Python filter)
    return tf.ragged.boolean_mask(tokens, tf.equal(stopwords.lookup(tokens), 0))


def token_ids(tokens: tf.RaggedTensor, encoder) -> tf.Tensor:
    """Ragged tokens -> int32 [batch, sequence_length] exactly as newscat.features.encode."""
    return unk_for_empty_rows(encoder(tf.strings.reduce_join(tokens, axis=-1, separator=" ")))


class RawTextPipeline(tf.Module):
    """Cleaning + vocabulary + model; __call__ maps raw strings to class probabilities."""

    def __init__(self, model, vocabulary: Sequence[str], sequence_length: int,
                 stopwords: frozenset[str] | None = None):
        super().__init__(name="raw_text_pipeline")
        if stopwords is None:
            from newscat.text import english_stopwords

            stopwords = english_stopwords()
        self.model = model
        self.encoder = make_encoder(vocabulary, sequence_length)
        self.stopwords = stopword_table(stopwords)

    def tokens(self, texts) -> tf.RaggedTensor:
        return clean_tokens(tf.convert_to_tensor(texts, tf.string), self.stopwords)

    def ids(self, texts) -> tf.Tensor:
        return token_ids(self.tokens(texts), self.encoder)

    def __call__(self, texts) -> dict[str, tf.Tensor]:
        return {"probabilities": self.model(self.ids(texts), training=False)}


def export_serving(model, vocabulary: Sequence[str], sequence_length: int, path: str | Path,
                   stopwords: frozenset[str] | None = None) -> None:
    """Write a SavedModel at `path` whose "serve" endpoint (also "serving_default") takes a
    1-D tf.string batch of raw texts and returns {"probabilities": float32 [batch, 4]}."""
    import keras

    pipeline = RawTextPipeline(model, vocabulary, sequence_length, stopwords)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(pipeline)  # a tf.Module holding the vocabulary and stopword lookup tables
    archive.add_endpoint("serve", tf.function(pipeline.__call__),
                         input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    # ExportArchive lists the endpoint's variables in the order the traced function captured
    # them, which for the RNN loop varies between processes; sorted by name, the same model
    # writes the same bytes (so DVC sees an unchanged output). Keras 3.15 internals, checked
    # by tests/test_serving.py.
    collect = archive._filter_and_track_resources

    def collect_sorted():
        collect()
        archive._tf_trackable._all_variables = sorted(archive._tf_trackable._all_variables, key=lambda v: v.name)

    archive._filter_and_track_resources = collect_sorted
    archive.write_out(str(path), verbose=False)
    _content_derived_uuid(Path(path) / "fingerprint.pb")


def _content_derived_uuid(fingerprint_file: Path) -> None:
    """TensorFlow stamps a random uuid into fingerprint.pb; derive it from the fingerprint's
    content hashes instead, so that an unchanged model gives an unchanged SavedModel."""
    import hashlib

    from tensorflow.core.protobuf import fingerprint_pb2

    fingerprint = fingerprint_pb2.FingerprintDef.FromString(fingerprint_file.read_bytes())
    fingerprint.ClearField("uuid")
    digest = hashlib.sha256(fingerprint.SerializeToString(deterministic=True)).digest()
    fingerprint.uuid = str(int.from_bytes(digest[:16], "big"))  # TF's format: a 128-bit decimal
    fingerprint_file.write_bytes(fingerprint.SerializeToString(deterministic=True))
