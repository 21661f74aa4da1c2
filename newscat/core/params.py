"""params.yaml, typed and validated as a whole (pydantic) before any stage does work.

params.yaml is the only place a default lives: every key is required here, so a deleted key is
an error naming it, never a silent fallback. One model per stage group states each key's type
and range; `load_params()` reports *every* problem at once, one line each: the key, the value,
what would be valid (derived from the type), and "did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import annotated_types
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from newscat.core.errors import PipelineError
from newscat.core.registry import PARAMS_FILE, RNN_CELLS


class ParamsError(PipelineError):
    """params.yaml is missing, unreadable or invalid; lists every problem."""


def _inside_project(path: str) -> str:
    """A relative path is read from the project root, which is a temporary copy of the project
    for a queued `dvc exp run`: it must not climb out of it."""
    if not os.path.isabs(path) and Path(os.path.normpath(path)).parts[:1] == ("..",):
        raise ValueError("leaves the project")
    return path


PATH = "a folder path, relative to the project root and inside it (a queued experiment runs in a copy), or absolute"
ProjectPath = Annotated[str, Field(min_length=1, description=PATH), AfterValidator(_inside_project)]
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


# ---------------------------------------------------------------- messages

def _show(value: Any) -> str:
    """The value as YAML spells it (true, null, 'text', 3)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit for str()
        return f"<an integer of more than {4300} digits>"
    return text if len(text) <= 60 else text[:57] + "..."


def _bounds(metadata: list) -> str:
    low = next((f"{'(' if isinstance(m, annotated_types.Gt) else '['}{m.gt if isinstance(m, annotated_types.Gt) else m.ge}"
                for m in metadata if isinstance(m, (annotated_types.Gt, annotated_types.Ge))), None)
    high = next((f"{m.lt if isinstance(m, annotated_types.Lt) else m.le}{')' if isinstance(m, annotated_types.Lt) else ']'}"
                 for m in metadata if isinstance(m, (annotated_types.Lt, annotated_types.Le))), None)
    if low and high:
        return f" in {low}, {high}"
    if low:
        return f" {'>' if low[0] == '(' else '>='} {low[1:]}"
    return f" {'<' if high[-1] == ')' else '<='} {high[:-1]}" if high else ""


def _accepts(annotation) -> tuple[list[str], set[type]]:
    """(what is valid, in words; the Python types a value may have) of a field's annotation."""
    if typing.get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        words, types = [], set()
        for arg in typing.get_args(annotation):
            w, t = _accepts(arg)
            words += w
            types |= t
        return words, types
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        described = next((m.description for m in metadata if getattr(m, "description", None)), None)
        flat = [c for m in metadata for c in getattr(m, "metadata", [m])]
        words, types = _accepts(base)
        return [described or words[0] + _bounds(flat)], types
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        return [("one of " if len(values) > 1 else "") + ", ".join(map(repr, values))], {type(v) for v in values}
    return {bool: (["true or false"], {bool}), int: (["an integer"], {int}), float: (["a number"], {int, float}),
            str: (["a text"], {str}), type(None): (["null"], {type(None)})}[annotation]


def _valid(group: str, key: str) -> tuple[str, set[type]]:
    field = GROUPS[group].model_fields[key]  # pydantic keeps a plain field's constraints apart
    words, types = _accepts(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)
    return field.description or " or ".join(words), types


def _near(name: str, choices) -> str:
    near = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


def _problem(group: str, key: str, value: Any) -> str:
    fields = GROUPS[group].model_fields
    if key not in fields:
        near = difflib.get_close_matches(key, list(fields), n=1)
        return (f"{group}.{key}: unknown key" + (f" (did you mean '{group}.{near[0]}'?)" if near else "")
                + f"; valid keys: {', '.join(fields)}")
    valid, types = _valid(group, key)
    if value is _MISSING:
        return f"{group}.{key}: missing; add it to params.yaml (valid: {valid})"
    if type(value) in types or (value is None and type(None) in types):
        what = "not a valid choice" if valid.startswith("one of") else "out of range"
        return f"{group}.{key} = {_show(value)} is {what}; valid: {valid}"
    if isinstance(value, float) and int in types and float not in types:
        return f"{group}.{key} = {_show(value)} is not an integer; valid: {valid}"
    kind = "null" if value is None else {bool: "a boolean", str: "text", int: "an integer", float: "a number"}.get(
        type(value), f"a {type(value).__name__}")
    hint = ""
    if isinstance(value, str) and types & {int, float} and _is_number(value):
        hint = " (quoted in YAML: write the number without quotes)"
    return f"{group}.{key} = {_show(value)} is {kind}{hint}; valid: {valid}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_MISSING = object()


def parse_params(raw: Any, source: str = str(PARAMS_FILE)) -> Params:
    """Validate a params mapping; raise ParamsError listing every problem, one line each."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of groups {', '.join(GROUPS)}, got {_show(raw)}")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
    problems: list[str] = []
    for error in errors:
        loc = error["loc"]
        group = str(loc[0])
        if group not in GROUPS:
            problems.append(f"unknown group '{group}'{_near(group, GROUPS)}; valid groups: {', '.join(GROUPS)}")
        elif len(loc) == 1 and error["type"] == "missing":
            problems.append(f"{group}: missing; add the group with its keys {', '.join(GROUPS[group].model_fields)}")
        elif len(loc) == 1:
            problems.append(f"{group}: expected a mapping of keys, got {_show(raw[group])}")
        else:
            values = raw[group]
            problem = _problem(group, str(loc[1]), values.get(loc[1], _MISSING))
            if problem not in problems:  # a union reports one error per alternative
                problems.append(problem)
    if len(problems) == 1:
        raise ParamsError(f"{source}: {problems[0]}")
    raise ParamsError(f"{source}: {len(problems)} invalid parameter(s):\n  - " + "\n  - ".join(problems))


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
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); "
                          "save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ParamsError(f"{path}: a value YAML cannot read as a number ({exc})") from None
    return parse_params(raw, str(path))
