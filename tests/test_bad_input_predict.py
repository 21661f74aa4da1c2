"""Issue 10's inputs that meet trained models: predict with no input, texts with no known word,
and a models/vocab.txt that is not the one a model was trained with (predict, evaluate and
export refuse it, naming both files). Tiny untrained models are built in-process."""
from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, run_stage_module
from newscat.core.errors import PipelineError

VOCAB = ["election", "minister", "coach", "league", "shares", "profit", "chip", "software"]
UNKNOWN, KNOWN = "zyxwv qwerty plugh", "election minister league"
TRAINED_LENGTH = 6  # the token ids' width the tiny project's models record as trained on


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A folder with params.yaml, models/vocab.txt, an LSTM with its vocabulary hash, a baseline."""
    import joblib

    from newscat.core.io import make_keras_archive_reproducible
    from newscat.core.model import build_model
    from newscat.core.registry import keras_model_path
    from newscat.core.vocab import SEQUENCE_LENGTH_KEY, VOCAB_KEY, vocabulary_sha256
    from newscat.train.baseline import build_baseline

    root = tmp_path_factory.mktemp("tiny")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copytree(ROOT / "data/nltk_data", root / "data/nltk_data")  # the project's stopword list
    (root / "models").mkdir()
    (root / "models/vocab.txt").write_text("".join(f"{w}\n" for w in VOCAB), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for cell in ("lstm", "gru"):  # evaluate and export check both before loading
            build_model(cell, len(VOCAB) + 2, 4, 4, 0.0).save(keras_model_path(cell))
            make_keras_archive_reproducible(keras_model_path(cell), {VOCAB_KEY: vocabulary_sha256(),
                                                                     SEQUENCE_LENGTH_KEY: TRAINED_LENGTH})
        baseline = build_baseline(100, 1, 1.0).fit([" ".join(VOCAB[i::4]) for i in range(4)], [0, 1, 2, 3])
        joblib.dump(baseline, "models/baseline.joblib")
        yield root
    finally:
        os.chdir(cwd)


def predict(*argv, stdin=subprocess.DEVNULL, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "newscat.serve.predict", *argv], cwd=cwd, env=env, stdin=stdin,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("argv, source", [
    ((), "stdin is empty"),
    (("--file", "empty.txt"), "empty.txt is empty"),
    (("--file", "blank.txt"), "blank.txt holds only blank text"),  # nothing to classify either
    (("", "  "), "the command line holds only blank text"),
])
def test_no_input_is_one_message_and_exit_status_2(tiny, argv, source):
    (tiny / "empty.txt").write_text("")
    (tiny / "blank.txt").write_text("\n  \n")
    result = predict(*argv, cwd=tiny)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {source}: no text given") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_texts_and_a_file_together_are_refused(tiny):
    """Both would be ambiguous (the file was once silently ignored): one message, exit status 2."""
    (tiny / "one.txt").write_text("election minister league\n")
    result = predict("--file", "one.txt", "a text too", cwd=tiny)
    assert (result.returncode, result.stdout) == (2, "")
    assert "texts given as arguments and --file one.txt: give one or the other" in result.stderr


@pytest.mark.parametrize("model", ["lstm", "baseline"])
def test_text_with_no_known_word_is_flagged_in_json(tiny, capsys, model):
    from newscat.serve.predict import main

    main(["--json", "--model", model, UNKNOWN, KNOWN, "the of"])
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["known_tokens"] for a in answers] == [0, 3, 0]


def test_text_with_no_known_word_is_flagged_in_plain_output(tiny, capsys):
    from newscat.serve.predict import main

    main(["--model", "lstm", UNKNOWN, KNOWN])
    unknown_line, known_line = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\S+ +[01]\.\d{3}  \[no known word: a guess\] (\[[^]]+\] )*" + UNKNOWN, unknown_line)
    assert "no known word" not in known_line


@pytest.mark.parametrize("top, known, read, replaced, words, expected", [
    (0.9, 3, 3, 0, 3, []),
    (0.9, 0, 3, 0, 3, ["no known word: a guess"]),
    (0.9, 0, 0, 0, 0, ["no word left after cleaning (stopwords, numbers, punctuation): a guess"]),
    (0.9, 1, 3, 0, 3, ["mostly unknown words: 1 of 3 known"]),
    (0.9, 2, 4, 0, 4, []),  # half is not "mostly"
    (0.49, 3, 3, 0, 3, ["unsure: top probability under 0.5"]),
    (0.5, 3, 3, 2, 3, ["2 undecodable byte(s) replaced"]),
    (0.9, 48, 48, 0, 400, ["long: the first 48 of 400 words read"]),
    (0.3, 0, 2, 0, 2, ["no known word: a guess", "unsure: top probability under 0.5"]),
])
def test_flags_say_why_an_answer_may_be_a_guess(top, known, read, replaced, words, expected):
    from newscat.serve.predict import flags

    assert flags(top, known, read, replaced, words) == expected


@pytest.mark.parametrize("model", ["lstm", "baseline"])
def test_a_text_longer_than_the_model_reads_is_flagged(tiny, capsys, model):
    """The RNN reads the first TRAINED_LENGTH words and says so; the baseline reads them all."""
    from newscat.serve.predict import main

    words = TRAINED_LENGTH + 3
    main(["--json", "--model", model, " ".join([KNOWN] * 3), "the of and"], root=tiny)
    long_text, nothing_left = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert long_text["tokens_read"] == (TRAINED_LENGTH if model == "lstm" else words)
    assert (f"long: the first {TRAINED_LENGTH} of {words} words read" in long_text["flags"]) == (model == "lstm")
    assert nothing_left["tokens_read"] == 0 and nothing_left["flags"][0].startswith("no word left after cleaning")


def test_mostly_unknown_text_is_flagged_with_its_counts(tiny, capsys):
    """A headline in another language: one word of four known (the class is near a guess)."""
    from newscat.serve.predict import main

    main(["--json", "--model", "baseline", "le ministre election annonce", KNOWN])
    foreign, known = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (foreign["known_tokens"], foreign["tokens_read"]) == (1, 4)
    assert "mostly unknown words: 1 of 4 known" in foreign["flags"]
    assert not any(flag.startswith(("mostly", "no known")) for flag in known["flags"])
    assert all(flag.startswith("unsure") == (answer["probability"] < 0.5)
               for answer in (foreign, known) for flag in answer["flags"] if "unknown" not in flag)


def refusal(stage: str, capsys) -> str:
    """What `stage` says when it refuses: predict's PipelineError, or a stage's error line
    (exit status 1)."""
    if stage == "predict":
        from newscat.serve.predict import main

        with pytest.raises(PipelineError) as info:
            main(["--model", "lstm", KNOWN])
        return str(info.value)
    with pytest.raises(SystemExit) as exit_info:
        run_stage_module(stage)
    assert exit_info.value.code == 1
    return capsys.readouterr().err


@pytest.mark.parametrize("stage", ["predict", "evaluate", "export"])
def test_other_vocabulary_is_refused_naming_both_files(tiny, capsys, stage):
    vocab = tiny / "models/vocab.txt"
    original = vocab.read_bytes()
    vocab.write_text("".join(f"{w}\n" for w in reversed(VOCAB)), encoding="utf-8")  # same words, other ids
    before = sorted(p.name for p in tiny.rglob("*"))
    try:
        message = refusal(stage, capsys)
    finally:
        vocab.write_bytes(original)
    assert "models/vocab.txt is not the vocabulary models/lstm_attention_model.keras was trained with" in message
    assert "the model records" in message
    assert sorted(p.name for p in tiny.rglob("*")) == before  # nothing written


@pytest.mark.parametrize("key, refusal", [
    ("newscat_vocab_sha256", r"the model records none...; .*run `dvc repro train_lstm`"),
    ("newscat_sequence_length", r"records no sequence length; retrain: run `dvc repro train_lstm`"),
])
def test_model_without_its_training_metadata_is_refused(tiny, key, refusal):
    from newscat.serve.predict import main

    sidecar = tiny / "models/lstm_attention_model.keras"  # a model saved without that key
    saved = sidecar.read_bytes()
    with zipfile.ZipFile(sidecar) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    metadata = json.loads(entries["metadata.json"])
    metadata.pop(key)
    entries["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(sidecar, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    try:
        with pytest.raises(PipelineError, match=refusal):
            main(["--model", "lstm", KNOWN])
    finally:
        sidecar.write_bytes(saved)


@pytest.fixture
def edited_params(tiny):
    """Edit the tiny project's params.yaml in a test; put back afterwards."""
    path = tiny / "params.yaml"
    saved = path.read_text()
    yield path
    path.write_text(saved)


def test_texts_are_cut_where_the_model_was_trained_not_where_params_say_now(tiny, edited_params, capsys):
    """vectorize.sequence_length edited after training (vectorize not rerun): the model still
    reads as many tokens as in training (its metadata), not the new value."""
    from newscat.serve.predict import main

    edited_params.write_text(edited_params.read_text().replace("sequence_length: 48", "sequence_length: 2"))
    main(["--json", "--model", "lstm", " ".join(VOCAB)])
    answer = json.loads(capsys.readouterr().out)
    assert (answer["tokens_read"], answer["known_tokens"]) == (TRAINED_LENGTH, TRAINED_LENGTH)


def test_invalid_params_block_only_the_default_model(tiny, edited_params, capsys):
    """params.yaml mid-edit (a misspelt key): --model needs nothing from it; the default model
    (model.cell) does, and the error names the key."""
    from newscat.core.params import ParamsError
    from newscat.serve.predict import main

    edited_params.write_text(edited_params.read_text().replace("  units:", "  unit:"))
    main(["--json", "--model", "baseline", KNOWN])
    assert json.loads(capsys.readouterr().out)["class"]
    with pytest.raises(ParamsError, match=r"model\.unit: unknown key \(did you mean 'model\.units'\?\)"):
        main([KNOWN])


# ---------------------------------------------------------------- damaged files, odd bytes: one line, no traceback

@pytest.mark.parametrize("model, damage", [
    ("lstm", lambda data: data[:len(data) // 2]),  # a truncated .keras (an interrupted copy)
    ("baseline", lambda data: b""),                # an empty baseline.joblib
])
def test_damaged_model_file_is_one_line_naming_it_and_what_to_run(tiny, tmp_path, model, damage):
    from newscat.core.registry import BASELINE_FILE, keras_model_path

    project = tmp_path / "p"
    shutil.copytree(tiny, project)
    path = project / (BASELINE_FILE if model == "baseline" else keras_model_path(model))
    path.write_bytes(damage(path.read_bytes()))
    result = predict("--model", model, KNOWN, cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path.relative_to(project)}: cannot be loaded as a model") and "dvc repro" in line


def test_file_option_naming_a_directory_is_a_usage_error(tiny):
    result = predict("--file", "models", cwd=tiny)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == "error: models is a directory; --file takes a text file, one text per line"


def test_undecodable_bytes_on_stdin_are_replaced_and_counted(tiny):
    data = b"election minister \xff\xfe league\nplain text\n"
    result = subprocess.run([sys.executable, "-m", "newscat.serve.predict", "--json", "--model", "lstm"], cwd=tiny,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), LC_ALL="C.UTF-8"), input=data,
                            capture_output=True, timeout=180)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["undecodable_replaced"] for r in rows] == [2, 0]  # each invalid byte: one U+FFFD
    assert rows[0]["text"] == "election minister \ufffd\ufffd league" and rows[0]["known_tokens"] == 3


def test_any_text_prints_whatever_the_output_encoding(tiny):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="latin-1")
    result = subprocess.run([sys.executable, "-m", "newscat.serve.predict", "--model", "lstm", "Москва election 北京"],
                            cwd=tiny, env=env, capture_output=True, timeout=180)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    assert b"? election ??" in result.stdout.replace(b"??????", b"?")
