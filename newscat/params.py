"""params.yaml, typed and validated as a whole before any stage does work.

One frozen dataclass per stage group; every field carries the check it must pass and a
human description of what is valid. `load_params()` reports *every* problem at once
(unknown keys such as a typo `model.unit`, wrong types, out-of-range values), each naming
the key, the value and what would be valid.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from newscat.errors import PipelineError
from newscat.registry import RNN_CELLS

PARAMS_FILE = Path("params.yaml")


MAX_SEED = 2**32 - 1  # NumPy's seeds (np.random.seed, keras.utils.set_random_seed) stop here
SEED_VALID = f"an integer in [0, {MAX_SEED}] (NumPy's seed range)"


def _seed_ok(value: int) -> bool:
    return 0 <= value <= MAX_SEED


def _p(default, valid: str, check: Callable[[Any], bool] = lambda v: True):
    """A dataclass field with its validity check and a description of what is valid."""
    return field(default=default, metadata={"valid": valid, "check": check})


def _inside_project_or_absolute(path: str | None) -> bool:
    """Relative paths are read from the project root (the folder holding dvc.yaml), which is a
    temporary copy for a queued `dvc exp run`: a relative path must stay inside the project."""
    return path is None or os.path.isabs(path) or not os.path.normpath(path).startswith("..")


PATH_RULE = ("relative to the project root and inside it (a queued experiment runs in a copy of "
             "the project), or absolute")


@dataclass(frozen=True)
class DataParams:
    source: str = _p("tfds", "one of 'tfds', 'csv'", lambda v: v in ("tfds", "csv"))
    # Never null: dvc.yaml tracks the files in this folder as a dependency of download.
    csv_dir: str = _p("data/sample", "a folder with train.csv[.gz] and test.csv[.gz], " + PATH_RULE,
                      _inside_project_or_absolute)
    manual_dir: str | None = _p(None, "a folder holding ag_news_csv.tar.gz, " + PATH_RULE + "; or null",
                                _inside_project_or_absolute)
    on_bad_rows: str = _p("error", "one of 'error', 'skip'", lambda v: v in ("error", "skip"))
    val_fraction: float = _p(0.1, "a number in (0, 0.5]", lambda v: 0 < v <= 0.5)
    seed: int = _p(42, SEED_VALID, _seed_ok)
    # Train rows whose cleaned text is also a test text are dropped (counted in the data report):
    # the test split stays whole, and no score rewards remembering a test text seen in training.
    drop_test_overlap: bool = _p(True, "true or false")


@dataclass(frozen=True)
class VectorizeParams:
    max_tokens: int = _p(20000, "an integer >= 3 (padding + OOV + 1 word)", lambda v: v >= 3)
    sequence_length: int = _p(48, "an integer in [1, 1024]", lambda v: 1 <= v <= 1024)
    min_freq: int = _p(1, "an integer >= 1 (train occurrences a word needs to enter the vocabulary)",
                       lambda v: v >= 1)


@dataclass(frozen=True)
class WordcloudsParams:
    max_words: int = _p(100, "an integer >= 1", lambda v: v >= 1)
    seed: int = _p(42, SEED_VALID, _seed_ok)


@dataclass(frozen=True)
class ModelParams:
    cell: str = _p("lstm", f"one of {', '.join(map(repr, RNN_CELLS))}", lambda v: v in RNN_CELLS)
    embedding_dim: int = _p(64, "an integer >= 1", lambda v: v >= 1)
    units: int = _p(64, "an integer >= 1", lambda v: v >= 1)
    dropout: float = _p(0.3, "a number in [0, 1)", lambda v: 0 <= v < 1)
    spatial_dropout: float = _p(0.0, "a number in [0, 1) (0: off)", lambda v: 0 <= v < 1)
    attention_projections: bool = _p(False, "true or false")


MAX_THREADS = 1024
THREADS_VALID = f"'auto' or an integer in [0, {MAX_THREADS}] (0: TensorFlow's default)"


def _threads_ok(v) -> bool:
    return v == "auto" if isinstance(v, str) else 0 <= v <= MAX_THREADS


@dataclass(frozen=True)
class TrainParams:
    learning_rate: float = _p(0.005, "a number > 0", lambda v: v > 0)
    batch_size: int = _p(512, "an integer >= 1", lambda v: v >= 1)
    epochs: int = _p(10, "an integer >= 1", lambda v: v >= 1)
    patience: int = _p(2, "an integer >= 0", lambda v: v >= 0)
    seed: int = _p(42, SEED_VALID, _seed_ok)
    use_ema: bool = _p(False, "true or false")
    ema_momentum: float = _p(0.99, "a number in [0, 1)", lambda v: 0 <= v < 1)
    label_smoothing: float = _p(0.0, "a number in [0, 1) (0: off)", lambda v: 0 <= v < 1)
    weight_decay: float = _p(0.0, "a number >= 0 (0: Adam, > 0: AdamW)", lambda v: v >= 0)
    lr_schedule: str = _p("none", "one of 'none', 'cosine'", lambda v: v in ("none", "cosine"))
    # CPU thread pools: auto (newscat.training.resolve_threads: 1 and 2 on <= 2 cores, so the two
    # directions of the bidirectional RNN run side by side; TensorFlow's default on more), 0
    # (TensorFlow's default: as many as the machine has cores) or a number of threads.
    intra_op_threads: int | str = _p("auto", THREADS_VALID, _threads_ok)
    inter_op_threads: int | str = _p("auto", THREADS_VALID, _threads_ok)
    distribute: str = _p(
        "none", "one of 'none', 'mirrored', 'multi_worker'",
        lambda v: v in ("none", "mirrored", "multi_worker"),
    )


@dataclass(frozen=True)
class BaselineParams:
    max_features: int = _p(100000, "an integer >= 1", lambda v: v >= 1)
    ngram_max: int = _p(2, "an integer in [1, 3]", lambda v: 1 <= v <= 3)
    C: float = _p(10.0, "a number > 0", lambda v: v > 0)


@dataclass(frozen=True)
class Params:
    data: DataParams
    vectorize: VectorizeParams
    wordclouds: WordcloudsParams
    model: ModelParams
    train: TrainParams
    baseline: BaselineParams


_GROUP_CLASSES = {
    "data": DataParams, "vectorize": VectorizeParams, "wordclouds": WordcloudsParams,
    "model": ModelParams, "train": TrainParams, "baseline": BaselineParams,
}


class ParamsError(PipelineError):
    """params.yaml is missing, unreadable or invalid; lists every problem."""


def _type_problem(value: Any, annotation: str) -> str | None:
    """None if `value` fits the annotation, else what is wrong with its type."""
    bases = [b.strip() for b in annotation.split("|")]
    if value is None:
        return None if "None" in bases else "is null"
    bases = [b for b in bases if b != "None"]
    fits = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        "bool": isinstance(value, bool),
    }
    if any(fits[b] for b in bases):
        return None
    base = " or ".join(bases)
    if base == "float" and isinstance(value, float):
        return "is not a finite number"
    hint = ""
    if base in ("int", "float") and isinstance(value, str):
        hint = " (YAML read it as text: write the number without quotes)"
    return f"is a {type(value).__name__}, expected a {base}{hint}"


def parse_params(raw: Any, source: str = str(PARAMS_FILE)) -> Params:
    """Validate a params mapping; raise ParamsError listing every problem."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of groups {sorted(_GROUP_CLASSES)}")
    problems: list[str] = []
    groups = {}
    for name in raw:
        if name not in _GROUP_CLASSES:
            near = difflib.get_close_matches(str(name), _GROUP_CLASSES, n=1)
            problems.append(f"unknown group '{name}'" + (f" (did you mean '{near[0]}'?)" if near else "")
                            + f"; valid groups: {', '.join(_GROUP_CLASSES)}")
    for name, cls in _GROUP_CLASSES.items():
        values = raw.get(name) or {}
        if not isinstance(values, dict):
            problems.append(f"{name}: expected a mapping of keys, got {values!r}")
            continue
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key in values:
            if key not in fields:
                near = difflib.get_close_matches(str(key), fields, n=1)
                problems.append(f"{name}.{key}: unknown key" + (f" (did you mean '{name}.{near[0]}'?)" if near else "")
                                + f"; valid keys: {', '.join(fields)}")
        kwargs = {}
        for key, f in fields.items():
            if key not in values:
                continue
            value = values[key]
            wrong_type = _type_problem(value, f.type)
            if wrong_type:
                problems.append(f"{name}.{key} = {value!r} {wrong_type}; valid: {f.metadata['valid']}")
            elif value is not None and not f.metadata["check"](value):
                problems.append(f"{name}.{key} = {value!r} is out of range; valid: {f.metadata['valid']}")
            else:
                kwargs[key] = float(value) if f.type == "float" else value
        groups[name] = kwargs
    if problems:
        raise ParamsError(f"{source}: {len(problems)} invalid parameter(s):\n  - " + "\n  - ".join(problems))
    return Params(**{n: cls(**groups[n]) for n, cls in _GROUP_CLASSES.items()})


class Yaml12FloatLoader(yaml.SafeLoader):
    """PyYAML's safe loader (YAML 1.1) plus YAML 1.2's float syntax: `1e-05` and `1e+30` are
    numbers, as for DVC (ruamel.yaml), which writes small `-S` values that way."""


Yaml12FloatLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def read_yaml(text: str):
    return yaml.load(text, Loader=Yaml12FloatLoader)


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml (every stage calls this before doing any work)."""
    path = Path(path)
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found; run the stage from the project root") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    return parse_params(raw, str(path))
