"""train.intra_op_threads / train.inter_op_threads: `auto` (the default) resolves per machine;
numbers are checked against a bound before any stage runs."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import ROOT
from newscat.core.params import ParamsError, parse_params
from newscat.train.training import resolve_threads

VALID = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def with_threads(intra, inter) -> dict:
    raw = copy.deepcopy(VALID)
    raw["train"].update(intra_op_threads=intra, inter_op_threads=inter)
    return raw


def test_default_is_auto():
    params = parse_params(VALID)
    assert (params.train.intra_op_threads, params.train.inter_op_threads) == ("auto", "auto")


@pytest.mark.parametrize("cores, expected", [
    (1, (1, 2)), (2, (1, 2)),        # one op per core, the two RNN directions side by side
    (3, (0, 0)), (16, (0, 0)), (128, (0, 0)),  # TensorFlow's default pools
])
def test_auto_follows_the_cores(cores, expected):
    assert resolve_threads("auto", "auto", cores=cores) == expected


@pytest.mark.parametrize("intra, inter, cores, expected", [
    (4, "auto", 16, (4, 0)), ("auto", 8, 2, (1, 8)), (0, 0, 2, (0, 0)), (3, 5, 64, (3, 5)),
])
def test_numbers_are_kept_and_auto_resolves_alone(intra, inter, cores, expected):
    assert resolve_threads(intra, inter, cores=cores) == expected


@pytest.mark.parametrize("intra, inter", [("auto", "auto"), (0, 0), (1, 2), (1024, 1)])
def test_valid_thread_settings(intra, inter):
    parse_params(with_threads(intra, inter))


@pytest.mark.parametrize("intra, inter, key, problem", [
    (-1, "auto", "train.intra_op_threads = -1", "'auto' or greater than or equal to 0"),
    ("auto", 1025, "train.inter_op_threads = 1025", "'auto' or less than or equal to 1024"),
    ("Auto", "auto", "train.intra_op_threads = 'Auto'", "'auto' or a valid integer"),
    ("auto", 2.0, "train.inter_op_threads = 2.0", "'auto' or a valid integer"),
    (True, "auto", "train.intra_op_threads = true", "'auto' or a valid integer"),
])
def test_invalid_thread_settings_name_key_and_what_is_valid(intra, inter, key, problem):
    with pytest.raises(ParamsError) as info:
        parse_params(with_threads(intra, inter))
    message = str(info.value)
    assert f"{key} is invalid: Input should be {problem}" in message
