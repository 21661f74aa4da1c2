"""A trained classifier as a TensorFlow SavedModel that reads raw text.

The exported graph does everything newscat.serve.predict does in Python, so TF Serving (or any
TensorFlow runtime) needs none of our code:

    raw strings -> clean_tokens (newscat.data.text: its ARTIFACTS table, stopword list and character
                   classes replayed with TF string ops and lookup tables)
                -> token ids (newscat.data.features: the same TextVectorization and vocabulary,
                   the same "a row with no token gets one [UNK]" rule)
                -> the Keras model -> {"probabilities": float32 [batch, 4]}

Load it with `tf.saved_model.load(path).serve(tf.constant([...]))`, or call the
"serving_default" signature (input "texts", output "probabilities").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import tensorflow as tf

from newscat.data.features import make_encoder, unk_for_empty_rows
from newscat.data.text import ARTIFACTS, NON_LETTERS

# Both implementations split on exactly the same characters and lowercase exactly alike, on
# every code point: the in-graph tables are generated from the Python cleaning's own (Python's
# Unicode tables), not hand-kept. Generating them takes ~3 s, once per process.
MAX_CODE_POINT = 0x10FFFF


def _is_surrogate(code_point: int) -> bool:
    return 0xD800 <= code_point <= 0xDFFF  # not encodable in UTF-8: no text holds one


def _re2_class(code_points: Sequence[int]) -> str:
    """The body of an RE2 character class matching exactly these (sorted) code points."""
    ranges, start = [], None
    for i, c in enumerate(code_points):
        start = c if start is None else start
        if i + 1 == len(code_points) or code_points[i + 1] != c + 1:
            ranges.append(f"\\x{{{start:X}}}" + (f"-\\x{{{c:X}}}" if c != start else ""))
            start = None
    return "".join(ranges)


@lru_cache(maxsize=1)
def non_letters_re2() -> str:
    """The RE2 twin of newscat.data.text.NON_LETTERS: one or more code points that the Python
    cleaning does not keep as letters (the complement of every code point it keeps)."""
    non_letters = re.compile(NON_LETTERS)
    letters = [c for c in range(MAX_CODE_POINT + 1) if not _is_surrogate(c) and not non_letters.fullmatch(chr(c))]
    return f"[^{_re2_class(letters)}]+"


@lru_cache(maxsize=1)
def lowercase_fixes() -> dict[int, int]:
    """{code point: its lowercase} for the capitals that Python's str.lower lowercases and
    tf.strings.lower leaves alone (TensorFlow's ICU tables are older than Python's: e.g. the
    letters new in Unicode 14). Found by lowercasing, both ways, every code point that Python
    changes (tests/test_serving.py checks that TensorFlow changes no other)."""
    chars = [chr(c) for c in range(MAX_CODE_POINT + 1) if not _is_surrogate(c) and chr(c).lower() != chr(c)]
    lowered = tf.strings.lower(chars, encoding="utf-8").numpy()
    fixes = {}
    for char, graph in zip(chars, lowered):
        python, graph = char.lower(), graph.decode("utf-8")
        if python != graph:
            if graph != char or len(python) != 1:
                raise RuntimeError(f"U+{ord(char):04X}: Python lowercases to {python!r}, TensorFlow to "
                                   f"{graph!r}; newscat.serve.serving.lowercase cannot reconcile them")
            fixes[ord(char)] = ord(python)
    return fixes


class Lowercase(tf.Module):
    """tf.strings.lower plus a code point table for lowercase_fixes(): newscat.data.text's
    str.lower, in the graph."""

    def __init__(self):
        super().__init__(name="lowercase")
        fixes = lowercase_fixes()
        self.needs_fix = f"(?s).*[{_re2_class(sorted(fixes))}].*" if fixes else None
        if fixes:
            init = tf.lookup.KeyValueTensorInitializer(tf.constant(list(fixes), tf.int64),
                                                       tf.constant(list(fixes.values()), tf.int64))
            self.table = tf.lookup.StaticHashTable(init, default_value=-1)

    def __call__(self, texts: tf.Tensor) -> tf.Tensor:
        if self.needs_fix is not None:
            texts = tf.where(tf.strings.regex_full_match(texts, self.needs_fix), self._fix(texts), texts)
        return tf.strings.lower(texts, encoding="utf-8")

    def _fix(self, texts: tf.Tensor) -> tf.Tensor:
        code_points = tf.cast(tf.strings.unicode_decode(texts, "UTF-8"), tf.int64)
        fixed = tf.ragged.map_flat_values(
            lambda c: tf.where(self.table.lookup(c) >= 0, self.table.lookup(c), c), code_points)
        return tf.strings.unicode_encode(tf.cast(fixed, tf.int32), "UTF-8")


def stopword_table(stopwords: frozenset[str]) -> tf.lookup.StaticHashTable:
    """word -> 1 for every stopword, 0 for anything else."""
    keys = tf.constant(sorted(stopwords), dtype=tf.string)
    init = tf.lookup.KeyValueTensorInitializer(keys, tf.ones_like(keys, dtype=tf.int64))
    return tf.lookup.StaticHashTable(init, default_value=0)


def clean_tokens(texts: tf.Tensor, stopwords: tf.lookup.StaticHashTable, lowercase: Lowercase) -> tf.RaggedTensor:
    """1-D tf.string batch -> ragged [batch, (tokens)]: newscat.data.text.clean_text, in the graph."""
    texts = lowercase(texts)
    for pattern, replacement in ARTIFACTS:  # same list, same order as the Python cleaning
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    texts = tf.strings.regex_replace(texts, non_letters_re2(), " ")
    tokens = tf.strings.split(texts)  # on whitespace, empty pieces dropped (like the Python filter)
    return tf.ragged.boolean_mask(tokens, tf.equal(stopwords.lookup(tokens), 0))


def token_ids(tokens: tf.RaggedTensor, encoder) -> tf.Tensor:
    """Ragged tokens -> int32 [batch, sequence_length] exactly as newscat.data.features.encode."""
    return unk_for_empty_rows(encoder(tf.strings.reduce_join(tokens, axis=-1, separator=" ")))


class RawTextPipeline(tf.Module):
    """Cleaning + vocabulary + model; __call__ maps raw strings to class probabilities."""

    def __init__(self, model, vocabulary: Sequence[str], sequence_length: int,
                 stopwords: frozenset[str] | None = None):
        super().__init__(name="raw_text_pipeline")
        if stopwords is None:
            from newscat.data.text import english_stopwords

            stopwords = english_stopwords()
        self.model = model
        self.encoder = make_encoder(vocabulary, sequence_length)
        self.stopwords = stopword_table(stopwords)
        self.lowercase = Lowercase()

    def tokens(self, texts) -> tf.RaggedTensor:
        return clean_tokens(tf.convert_to_tensor(texts, tf.string), self.stopwords, self.lowercase)

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
