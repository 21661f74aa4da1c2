"""params.yaml is validated as a whole before any stage does work: every problem is reported
at once, each naming the key, the value and what would be valid."""
from __future__ import annotations

import copy
import re
import sys

import pytest
import yaml

from conftest import ROOT, run
from newscat.core.params import ParamsError, load_params, parse_params

VALID = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def with_changes(**changes) -> dict:
    """The project's params.yaml with `group__key=value` changes (value ... removes the key)."""
    raw = copy.deepcopy(VALID)
    for dotted, value in changes.items():
        group, key = dotted.split("__")
        if value is ...:
            raw[group].pop(key)
        else:
            raw.setdefault(group, {})[key] = value
    return raw


def problems_of(raw) -> str:
    with pytest.raises(ParamsError) as info:
        parse_params(raw, "params.yaml")
    return str(info.value)


def test_project_params_are_valid():
    params = parse_params(VALID)
    assert params.model.cell in ("lstm", "gru") and params.train.learning_rate > 0


@pytest.mark.parametrize("changes, key, suggestion", [
    ({"model__unit": 64}, "model.unit", "model.units"),
    ({"train__learning_rat": 0.01}, "train.learning_rat", "train.learning_rate"),
    ({"data__val_fractoin": 0.2}, "data.val_fractoin", "data.val_fraction"),
    ({"vectorize__seq_len": 10}, "vectorize.seq_len", None),
])
def test_unknown_key_is_named_with_suggestion_and_valid_keys(changes, key, suggestion):
    message = problems_of(with_changes(**changes))
    assert f"{key}: unknown key" in message
    if suggestion:
        assert f"did you mean '{suggestion}'" in message
    group = key.split(".")[0]
    valid_keys = [k for k in VALID[group]]
    assert all(k in message for k in valid_keys)  # lists what is valid


@pytest.mark.parametrize("group, suggestion", [("trian", "train"), ("modle", "model"), ("optimizer", None),
                                                ("extra", None)])
def test_unknown_group_is_named(group, suggestion):
    raw = {**copy.deepcopy(VALID), group: {"epochs": 3}}
    message = problems_of(raw)
    assert f"unknown group '{group}'" in message
    assert "valid groups: data, vectorize, wordclouds, model, train, baseline" in message
    if suggestion:
        assert f"did you mean '{suggestion}'" in message


@pytest.mark.parametrize("key, value, expected", [
    ("train__learning_rate", "1e-3", "is invalid (quoted in YAML: write the number without quotes)"),
    ("train__epochs", True, "is invalid: Input should be a valid integer (>= 1)"),
    ("train__batch_size", 32.0, "is invalid: Input should be a valid integer (>= 1, <= 65536)"),
    ("model__units", "64", "is invalid (quoted in YAML"),
    ("model__units", "lots", "is invalid: Input should be a valid integer (>= 1, <= 4096)"),  # no hint about quotes
    ("model__dropout", [0.1], "is invalid: Input should be a valid number (>= 0, < 1)"),
    ("model__cell", 1, "is invalid: Input should be 'lstm' or 'gru'"),
    ("data__seed", None, "is invalid: Input should be a valid integer (>= 0, <= 4294967295)"),
    ("baseline__C", False, "is invalid: Input should be a valid number (> 0)"),
])
def test_wrong_type_names_key_value_and_expected_type(key, value, expected):
    message = problems_of(with_changes(**{key: value}))
    dotted = key.replace("__", ".")
    shown = {None: "null", True: "true", False: "false"}[value] if value is None or isinstance(value, bool) else repr(value)
    assert f"{dotted} = {shown} {expected}" in message


@pytest.mark.parametrize("written, value", [("1e-3", 0.001), ("1e-05", 1e-05), ("1.0e-3", 0.001),
                                             ("5e+2", 500.0), ("0.005", 0.005)])
def test_learning_rate_in_yaml_1_2_float_syntax_is_a_number(tmp_path, written, value):
    """DVC (`dvc exp run -S train.learning_rate=0.00001`) writes small floats as `1e-05`, which
    PyYAML alone (YAML 1.1) would read as text: params.yaml is read with YAML 1.2's floats."""
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    text = re.sub(r"learning_rate: [^\s#]+", f"learning_rate: {written}", text)
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    assert load_params(tmp_path / "params.yaml").train.learning_rate == value


def test_number_written_as_text_gets_a_hint(tmp_path):
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    text = re.sub(r"learning_rate: [^\s#]+", "learning_rate: '0.001'", text)
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path / "params.yaml")
    assert "train.learning_rate = '0.001' is invalid (quoted in YAML" in str(info.value)


@pytest.mark.parametrize("key, value, valid", [
    ("data__val_fraction", 0, "greater than 0 (> 0, <= 0.5)"),  # the whole range, not only the bound broken
    ("data__val_fraction", 0.6, "less than or equal to 0.5 (> 0, <= 0.5)"),
    ("data__val_fraction", -0.1, "greater than 0"),
    ("model__cell", "rnn", "'lstm' or 'gru'"),
    ("data__source", "web", "'tfds' or 'csv'"),
    ("data__on_bad_rows", "ignore", "'error' or 'skip'"),
    ("model__dropout", 1.0, "less than 1 (>= 0, < 1)"),
    ("train__epochs", 0, "greater than or equal to 1"),
    ("train__learning_rate", 0.0, "greater than 0"),
    ("vectorize__max_tokens", 2, "greater than or equal to 3"),
    ("vectorize__sequence_length", 5000, "less than or equal to 1024"),
    ("baseline__ngram_max", 4, "less than or equal to 3"),
    ("train__distribute", "tpu", "'none', 'mirrored' or 'multi_worker'"),
])
def test_out_of_range_names_key_value_and_what_is_valid(key, value, valid):
    message = problems_of(with_changes(**{key: value}))
    assert f"{key.replace('__', '.')} = {value!r} is invalid: Input should be {valid}" in message


def test_every_problem_is_reported_at_once():
    raw = with_changes(model__unit=64, model__cell="rnn", train__learning_rate="1e-3",
                       data__val_fraction=0.6, train__epochs=True)
    raw["trian"] = {}
    message = problems_of(raw)
    assert "6 invalid parameter(s)" in message
    for part in ("model.unit", "model.cell = 'rnn'", "train.learning_rate = '1e-3'",
                 "data.val_fraction = 0.6", "train.epochs = true", "unknown group 'trian'"):
        assert part in message


def test_csv_dir_is_never_null():  # dvc.yaml tracks its files as a dependency of download
    message = problems_of(with_changes(data__source="csv", data__csv_dir=None))
    assert "data.csv_dir = null is invalid: Input should be a valid string" in message


@pytest.mark.parametrize("key", ["csv_dir", "manual_dir"])
@pytest.mark.parametrize("path", ["../elsewhere/ag_news_dev", "data/../../elsewhere"])
def test_relative_path_leaving_the_project_is_refused(key, path):
    message = problems_of(with_changes(**{f"data__{key}": path}))
    assert f"data.{key} = {path!r} is invalid: a relative path must stay inside the project" in message
    assert "or absolute" in message


@pytest.mark.parametrize("path", ["data/sample", "./data/sample", "/srv/ag_news_csv", "..foo", "data/..x"])
def test_path_inside_the_project_or_absolute_is_accepted(path):
    assert parse_params(with_changes(data__csv_dir=path)).data.csv_dir == path


@pytest.mark.parametrize("raw", [None, [], "text", 3])
def test_file_that_is_not_a_mapping(raw):
    assert "expected a mapping of groups" in problems_of(raw)


def test_group_that_is_not_a_mapping():
    raw = copy.deepcopy(VALID)
    raw["train"] = [1, 2]
    assert "train: expected a mapping of keys, got [1, 2]" in problems_of(raw)


def test_invalid_yaml_and_missing_file(tmp_path):
    (tmp_path / "params.yaml").write_text("data:\n  seed: 1\ntrain: {epochs: [1\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"params\.yaml:4: not valid YAML \(expected ',' or '\]', but got"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("data:\n  seed: 1\n  seed: 2\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r'params\.yaml:3: not valid YAML \(found duplicate key "seed"'):
        load_params(tmp_path / "params.yaml")
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "missing.yaml")


def test_problems_in_the_file_name_their_line(tmp_path):
    """Read from a file, each problem names the line its key is written on (a missing key: its group's)."""
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    units, dropout = (next(i for i, line in enumerate(lines, 1) if line.startswith(f"  {key}:"))
                      for key in ("units", "dropout"))
    path = tmp_path / "params.yaml"
    path.write_text(text.replace("\n  units: ", "\n  units: abc #"), encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(path))}:{units}: model\.units = 'abc' is invalid"):
        load_params(path)
    path.write_text(text.replace("\n  units: ", "\n  units: abc #").replace("\n  dropout: ", "\n  dropout: 1.5 #"))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert f"line {units}: model.units = 'abc' is invalid" in str(info.value)
    assert f"line {dropout}: model.dropout = 1.5 is invalid: Input should be less than 1" in str(info.value)


def test_int_accepted_for_float_and_stored_as_float():
    params = parse_params(with_changes(baseline__C=10, model__dropout=0))
    assert params.baseline.C == 10.0 and isinstance(params.baseline.C, float)
    assert isinstance(params.model.dropout, float)


@pytest.mark.parametrize("stage", ["download", "clean", "train_baseline"])
def test_stage_with_invalid_params_exits_cleanly_before_writing(project, stage):
    """Exit status 1, the problems on stderr, no traceback, and nothing written."""
    text = (project / "params.yaml").read_text(encoding="utf-8")
    (project / "params.yaml").write_text(text.replace("units:", "unit:") + "trian: {}\n", encoding="utf-8")
    def files():
        return sorted(p for p in project.rglob("*") if not {".git", "__pycache__"} & set(p.parts))
    before = files()
    result = run([sys.executable, "-m", f"stages.{stage}"], project, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: params.yaml: 3 invalid parameter(s)" in result.stderr
    assert "model.units: missing" in result.stderr
    assert "model.unit: unknown key (did you mean 'model.units'?)" in result.stderr
    assert "unknown group 'trian'" in result.stderr
    assert files() == before and not (project / "data" / "raw").exists()


KEYS = [(group, key) for group, values in VALID.items() for key in values]


@pytest.mark.parametrize("group, key", KEYS, ids=[f"{g}.{k}" for g, k in KEYS])
def test_every_key_is_required_and_a_missing_one_is_named_in_one_line(group, key):
    """params.yaml is the only place a default lives: deleting any key is an error naming it."""
    message = problems_of(with_changes(**{f"{group}__{key}": ...}))
    assert len(message.splitlines()) == 1
    assert message.startswith(f"params.yaml: {group}.{key}: missing; add it to params.yaml (every key is required")


def test_a_missing_group_is_named_with_its_keys():
    raw = copy.deepcopy(VALID)
    del raw["baseline"]
    assert "baseline: missing; add the group with its keys max_features, ngram_max, C" in problems_of(raw)


@pytest.mark.parametrize("key, value, valid", [
    ("data__csv_dir", "", "at least 1 character"),
    ("train__batch_size", 10**12, "less than or equal to 65536"),
    ("model__units", 10**12, "less than or equal to 4096"),
    ("model__embedding_dim", 5000, "less than or equal to 4096"),
    ("data__val_fraction", 10**400, "a valid number"),
    ("train__learning_rate", 10**400, "a valid number"),
])
def test_values_that_would_break_a_stage_later_are_refused(key, value, valid):
    message = problems_of(with_changes(**{key: value}))
    assert f"{key.replace('__', '.')} = " in message and valid in message


@pytest.mark.parametrize("text, expected", [
    (b"train:\n  epochs: \xff\n", r"not UTF-8 text \(byte 17"),
    (b"train:\n  epochs: " + b"9" * 5000 + b"\n", "cannot read as a number"),
])
def test_unreadable_params_file_is_one_clear_error(tmp_path, text, expected):
    (tmp_path / "params.yaml").write_bytes(text)
    with pytest.raises(ParamsError, match=expected):
        load_params(tmp_path / "params.yaml")


def test_missing_csv_dir_is_named_by_the_first_stage(project):
    """data.source: csv with a folder that does not exist stops check_params, naming the key,
    before DVC would fail on download's missing dependency with its own words."""
    text = (project / "params.yaml").read_text(encoding="utf-8")
    text = re.sub(r"csv_dir: [^\s#]+", "csv_dir: data/nonexistent", text)
    (project / "params.yaml").write_text(text.replace("source: tfds", "source: csv"), encoding="utf-8")
    result = run([sys.executable, "-m", "stages.check_params"], project, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "error: data.csv_dir: folder data/nonexistent does not exist" in result.stderr
    assert not (project / "data" / "params.ok").exists()
