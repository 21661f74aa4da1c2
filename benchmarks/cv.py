"""k-fold cross-validation on the TRAIN split only: the honest way to compare configurations.

    python benchmarks/cv.py [--model lstm|gru|baseline] [--set KEY=VALUE ...] [--seeds 42,43]
                            [--folds 5] [--csv-dir data/sample] [--name NAME]

The test split is never read (only evaluate scores it, once). The train split's rows
(csv-dir/train.csv[.gz]) are cleaned by the clean stage's function (newscat.data.text) and cut
into stratified, seeded folds (StratifiedKFold, seed data.seed). Each fold runs the pipeline's
own code: its training rows are split into train/validation by the clean stage's split
(newscat.data.splits.group_split: data.val_fraction, stratified, duplicates on one side), the
vocabulary and ids come from the vectorize stage's functions (newscat.data.features), the model
is trained by the train stage's function (newscat.train.fit.fit_arrays: same seeding, levers,
early stopping) and the held-out fold is scored once, by evaluate's inference entry
(newscat.core.inference.class_probabilities). The TF-IDF baseline (--model baseline) fits the
same inner train rows and scores the same folds through that entry too.

Configurations are params.yaml plus --set overrides with params.yaml keys, validated like
params.yaml (e.g. --set train.use_ema=true --set model.spatial_dropout=0.2). Each run writes
benchmarks/out/cv/<name>.json (per-fold accuracies, mean, std) and rewrites
benchmarks/out/cv/table.md with a row per JSON found there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from newscat.core.params import parse_params, read_yaml  # noqa: E402
from newscat.core.registry import PARAMS_FILE  # noqa: E402

OUT_DIR = ROOT / "benchmarks/out/cv"


def parse_value(text: str):
    """A --set value as YAML reads it (0.2 -> float, true -> bool, cosine -> str)."""
    return read_yaml(text)


def load_config(overrides: list[str]):
    """params.yaml with KEY=VALUE overrides, validated as a whole (ParamsError names bad keys)."""
    raw = read_yaml((ROOT / PARAMS_FILE).read_text(encoding="utf-8"))
    for item in overrides:
        key, sep, value = item.partition("=")
        group, dot, name = key.partition(".")
        if not sep or not dot:
            raise SystemExit(f"--set {item!r}: expected group.key=value, e.g. train.use_ema=true")
        raw.setdefault(group, {})[name] = parse_value(value)
    return parse_params(raw, f"{PARAMS_FILE} with --set {' '.join(overrides)}")


def load_train_rows(csv_dir: Path) -> tuple[np.ndarray, list[str]]:
    """(labels, cleaned texts) of csv_dir's train split, rows empty after cleaning dropped."""
    from newscat.data.raw import Problems, find_split_file, read_ag_news_csv
    from newscat.data.text import clean_texts, join_title_description

    problems = Problems()
    rows = read_ag_news_csv(find_split_file(csv_dir, "train"), problems)
    if problems.items:
        raise SystemExit(problems.summary())
    texts = clean_texts(join_title_description(t, d) for _, t, d in rows)
    keep = [i for i, t in enumerate(texts) if t]
    return np.array([rows[i][0] for i in keep], np.int64), [texts[i] for i in keep]


def inner_split(labels: np.ndarray, texts: list[str], rows: np.ndarray, val_fraction: float, seed: int):
    """A fold's training rows -> (inner train rows, inner validation rows): the clean stage's split."""
    from newscat.data.splits import group_split

    train, val = group_split([int(labels[i]) for i in rows], [texts[i] for i in rows], val_fraction, seed,
                             "a cross-validation fold's training rows")
    return rows[train], rows[val]


def fit_fold(name: str, params, texts: list[str], labels: np.ndarray, train_rows, val_rows,
             held_out_rows) -> dict:
    """The pipeline's vectorize + train (or train_baseline) on a fold; accuracy on held_out_rows."""
    import keras

    from newscat.core.inference import class_probabilities
    from newscat.core.vocab import vocabulary_size
    from newscat.data.features import encode, fit_vocabulary, make_encoder
    from newscat.train.baseline import build_baseline
    from newscat.train.fit import fit_arrays

    def rows_of(rows):
        return [texts[i] for i in rows]

    start, epochs = time.perf_counter(), {}
    if name == "baseline":
        bp = params.baseline
        model = build_baseline(bp.max_features, bp.ngram_max, bp.C)  # deterministic: no seed
        model.fit(rows_of(train_rows), labels[train_rows])
        probabilities = class_probabilities(name, model, cleaned=rows_of(held_out_rows))
    else:
        vp = params.vectorize
        vocabulary = fit_vocabulary(rows_of(train_rows), vp.max_tokens, vp.min_freq)
        encoder = make_encoder(vocabulary, vp.sequence_length)
        keras.backend.clear_session()
        run = fit_arrays(name, params, (encode(encoder, rows_of(train_rows)), labels[train_rows]),
                         (encode(encoder, rows_of(val_rows)), labels[val_rows]), vocabulary_size(vocabulary), verbose=0)
        probabilities = class_probabilities(name, run.model, ids=encode(encoder, rows_of(held_out_rows)))
        epochs = {"epochs_run": len(run.history), "best_epoch": run.best_epoch}
    return {"accuracy": float(np.mean(probabilities.argmax(1) == labels[held_out_rows])), **epochs,
            "seconds": round(time.perf_counter() - start, 1)}


def cross_validate(model_name: str, params, labels, texts, folds: int, seeds: list[int]) -> list[dict]:
    """One result per (seed, fold); folds depend on data.seed only, so every config sees the same folds."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=params.data.seed)
    results = []
    for seed in seeds:
        seeded = params.model_copy(update={"train": params.train.model_copy(update={"seed": seed})})
        for fold, (train_all, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
            train_rows, val_rows = inner_split(labels, texts, train_all, params.data.val_fraction, params.data.seed)
            r = fit_fold(model_name, seeded, texts, labels, train_rows, val_rows, held_out)
            results.append({"seed": seed, "fold": fold, **r})
            print(f"  seed {seed} fold {fold}: " + "  ".join(f"{k} {v}" for k, v in r.items()), flush=True)
    return results


def summarize(results: list[dict]) -> dict:
    acc = np.array([r["accuracy"] for r in results])
    per_seed = {}
    for r in results:
        per_seed.setdefault(r["seed"], []).append(r["accuracy"])
    return {"mean": round(float(acc.mean()), 4), "std": round(float(acc.std(ddof=1)), 4) if len(acc) > 1 else 0.0,
            "runs": len(acc), "per_seed_mean": {str(s): round(float(np.mean(a)), 4) for s, a in per_seed.items()},
            "seconds_per_fold": round(float(np.mean([r["seconds"] for r in results])), 1)}


def write_table(out_dir: Path) -> str:
    """table.md: one row per <name>.json in out_dir, best mean first."""
    rows = []
    for path in sorted(out_dir.glob("*.json")):
        run = json.loads(path.read_text())
        s = run["summary"]
        rows.append((s["mean"], f"| {run['name']} | {run['model']} | {' '.join(run['set']) or '(defaults)'} | "
                                f"{s['mean']:.4f} ± {s['std']:.4f} | {s['runs']} | {s['seconds_per_fold']} |"))
    table = ("| name | model | --set | CV accuracy (mean ± std) | runs | s/fold |\n|---|---|---|---|---|---|\n"
             + "\n".join(row for _, row in sorted(rows, key=lambda r: -r[0])) + "\n")
    (out_dir / "table.md").write_text(table)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="lstm, gru or baseline (default: model.cell)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a params.yaml key, e.g. train.use_ema=true (repeatable)")
    ap.add_argument("--seeds", default=None, help="comma-separated train seeds (default: train.seed)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--csv-dir", type=Path, default=ROOT / "data/sample",
                    help="folder with train.csv[.gz] in the ag_news_csv layout (its test file is not read)")
    ap.add_argument("--name", default=None, help="output name (default: model and --set values)")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args()

    params = load_config(args.set)
    model_name = args.model or params.model.cell
    if model_name not in ("lstm", "gru", "baseline"):
        raise SystemExit(f"--model {model_name!r}: expected lstm, gru or baseline")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [params.train.seed]
    name = args.name or "_".join([model_name, *(s.replace("=", "-") for s in args.set)] +
                                 ([f"seeds-{args.seeds.replace(',', '-')}"] if args.seeds else []))
    if model_name != "baseline":
        from newscat.train.training import use_threads

        use_threads(params.train.intra_op_threads, params.train.inter_op_threads)
    labels, texts = load_train_rows(args.csv_dir)
    print(f"cv {name}: {len(labels)} train rows, {args.folds} folds, seeds {seeds}", flush=True)
    start = time.perf_counter()
    results = cross_validate(model_name, params, labels, texts, args.folds, seeds)
    summary = summarize(results)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{name}.json").write_text(json.dumps({
        "name": name, "model": model_name, "set": args.set, "seeds": seeds, "folds": args.folds,
        "rows": len(labels), "summary": summary, "results": results,
        "params": {g: getattr(params, g).model_dump() for g in ("vectorize", "model", "train", "baseline")},
        "seconds": round(time.perf_counter() - start, 1)}, indent=1, sort_keys=True) + "\n")
    print(f"RESULT {name}: accuracy {summary['mean']:.4f} ± {summary['std']:.4f} over {summary['runs']} runs "
          f"(per seed {summary['per_seed_mean']}), {summary['seconds_per_fold']} s per fold", flush=True)
    print(write_table(args.out_dir))


if __name__ == "__main__":
    main()
