"""params.yaml, typed and validated as a whole (pydantic) before any stage does work.

params.yaml is the only place a default lives: every key is required here, so a deleted key is
an error naming it, never a silent fallback. One model per stage group states each key's type
and range; `load_params()` reports *every* problem at once, one line each: the key, the value and
pydantic's own words for what would be valid, and "did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML, YAMLError

from newscat.core.errors import PipelineError
from newscat.core.registry import PARAMS_FILE, RNN_CELLS


class ParamsError(PipelineError):
    """params.yaml is missing, unreadable or invalid; lists every problem."""


def _inside_project(path: str) -> str:
    """A relative path is read from the project root, which is a temporary copy of the project
    for a queued `dvc exp run`: it must not climb out of it."""
    if not os.path.isabs(path) and Path(os.path.normpath(path)).parts[:1] == ("..",):
        raise ValueError(f"a relative path must stay inside the project; valid: {PATH}")
    return path


PATH = "a folder path, relative to the project root and inside it (a queued experiment runs in a copy), or absolute"
ProjectPath = Annotated[str, Field(min_length=1), AfterValidator(_inside_project)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]  # NumPy's seed range
Rate = Annotated[float, Field(ge=0, lt=1)]
Positive = Annotated[int, Field(ge=1)]
Threads = Union[Literal["auto"], Annotated[int, Field(ge=0, le=1024)]]
Cell = Literal[RNN_CELLS]  # type: ignore[valid-type]
# Upper bounds that keep a typo from exhausting memory or overflowing TensorFlow's int32 shapes.
MAX_WIDTH = 4096  # embedding_dim and units
MAX_BATCH = 65536


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class DataParams(Group):
    source: Literal["tfds", "csv"]
    csv_dir: ProjectPath  # never null: dvc.yaml tracks its files as a dependency of download
    manual_dir: ProjectPath | None
    on_bad_rows: Literal["error", "skip"]
    val_fraction: Annotated[float, Field(gt=0, le=0.5)]
    seed: Seed
    drop_test_overlap: bool


class VectorizeParams(Group):
    max_tokens: Annotated[int, Field(ge=3)]  # padding + [UNK] + at least one word
    sequence_length: Annotated[int, Field(ge=1, le=1024)]
    min_freq: Positive


class WordcloudsParams(Group):
    max_words: Positive
    seed: Seed


class ModelParams(Group):
    cell: Cell
    embedding_dim: Annotated[int, Field(ge=1, le=MAX_WIDTH)]
    units: Annotated[int, Field(ge=1, le=MAX_WIDTH)]
    dropout: Rate
    spatial_dropout: Rate
    attention_projections: bool


class TrainParams(Group):
    learning_rate: Annotated[float, Field(gt=0)]
    batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH)]
    epochs: Positive
    patience: Annotated[int, Field(ge=0)]
    seed: Seed
    use_ema: bool
    ema_epochs: Annotated[float, Field(gt=0, le=100)]
    label_smoothing: Rate
    weight_decay: Annotated[float, Field(ge=0)]
    lr_schedule: Literal["none", "cosine"]
    intra_op_threads: Threads
    inter_op_threads: Threads
    distribute: Literal["none", "mirrored", "multi_worker"]


class BaselineParams(Group):
    max_features: Positive
    ngram_max: Annotated[int, Field(ge=1, le=3)]
    C: Annotated[float, Field(gt=0)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    data: DataParams
    vectorize: VectorizeParams
    wordclouds: WordcloudsParams
    model: ModelParams
    train: TrainParams
    baseline: BaselineParams


GROUPS: dict[str, type[Group]] = {name: f.annotation for name, f in Params.model_fields.items()}


def _show(value: Any) -> str:
    """The value as YAML spells it (true, null, 'text', 3), cut to 60 characters."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _near(name: str, choices, prefix: str = "") -> str:
    near = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.7)
    return f" (did you mean '{prefix}{near[0]}'?)" if near else ""


def _problem(error: dict, raw: dict) -> str:
    """One line per problem, from pydantic's own error: the key, the value, what is valid."""
    group, kind = str(error["loc"][0]), error["type"]
    if group not in GROUPS:
        return f"unknown group '{group}'{_near(group, GROUPS)}; valid groups: {', '.join(GROUPS)}"
    keys = GROUPS[group].model_fields
    if len(error["loc"]) == 1:
        if kind == "missing":
            return f"{group}: missing; add the group with its keys {', '.join(keys)}"
        return f"{group}: expected a mapping of keys, got {_show(raw[group])}"
    key = f"{group}.{error['loc'][1]}"
    if kind == "extra_forbidden":
        return f"{key}: unknown key{_near(str(error['loc'][1]), keys, group + '.')}; valid keys: {', '.join(keys)}"
    if kind == "missing":
        return f"{key}: missing; add it to params.yaml (every key is required; `git diff params.yaml` shows what changed)"
    value = error["input"]
    quoted = isinstance(value, str) and kind in ("int_type", "float_type") and re.fullmatch(
        r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value.strip())
    hint = " (quoted in YAML: write the number without quotes)" if quoted else ""
    bounds = _range(GROUPS[group].model_fields[str(error["loc"][1])])  # the whole range, not the bound broken
    return f"{key} = {_show(value)} is invalid{hint}: {error['msg'].removeprefix('Value error, ')}{bounds}"


def _range(field) -> str:
    """The range a number's Field allows, for an error that states only its type or one bound: ' (>= 0, < 1)'."""
    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    bounds = [f"{sign} {getattr(m, name)}" for m in field.metadata for name, sign in signs.items() if hasattr(m, name)]
    return f" ({', '.join(bounds)})" if bounds else ""


def parse_params(raw: Any, source: str = str(PARAMS_FILE), lines: dict[tuple, int] | None = None) -> Params:
    """Validate a params mapping; raise ParamsError listing every problem, one line each (with
    its line in the file when `lines` maps (group,) and (group, key) to where they are written)."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of groups {', '.join(GROUPS)}, got {_show(raw)}")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        problems: dict[tuple, str] = {}
        for error in exc.errors():
            where = error["loc"][:2]
            if where in problems:  # a union (train.*_op_threads): one error per alternative
                problems[where] += " or " + error["msg"].removeprefix("Input should be ")
            else:
                problems[where] = _problem(error, raw)
    lines = lines or {}
    found = [(lines.get(where) or lines.get(where[:1]), text) for where, text in problems.items()]
    if len(found) == 1:
        line, text = found[0]
        raise ParamsError(f"{source}{f':{line}' if line else ''}: {text}")
    listed = "\n  - ".join(f"line {line}: {text}" if line else text for line, text in found)
    raise ParamsError(f"{source}: {len(found)} invalid parameter(s):\n  - {listed}")


def key_lines(text: str) -> dict[tuple, int]:
    """The line (from 1) where each group and each group's key is written."""
    document, lines = YAML(typ="rt", pure=True).load(text), {}
    for group, keys in (document.items() if isinstance(document, dict) else ()):
        lines[(group,)] = document.lc.key(group)[0] + 1
        for key in (keys if isinstance(keys, dict) else ()):
            lines[(group, key)] = keys.lc.key(key)[0] + 1
    return lines


def read_yaml(text: str):
    """YAML 1.2, read as DVC reads params.yaml (ruamel.yaml): `1e-05`, as `-S` writes it, is a number."""
    return YAML(typ="safe", pure=True).load(text)


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml (every stage calls this before doing any work)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = read_yaml(text)
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found; run from the project root (the folder holding dvc.yaml), "
                          f"or restore it: git checkout {path}") from None
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); "
                          "save it as UTF-8") from None
    except YAMLError as exc:  # ruamel's problem and where it found it, without its own framing
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ParamsError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ParamsError(f"{path}: a value YAML cannot read as a number ({exc})") from None
    return parse_params(raw, str(path), key_lines(text))
