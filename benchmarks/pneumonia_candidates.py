"""Score candidate PneumoniaMNIST recipes on the VALIDATION split only (never the test split).

How recipe v4 of ``medtutor.models.RECIPE`` was chosen (issue 11). The selection rule was fixed before any run:

- eligible: a single network with the course CNN's interface (later notebooks load one model, transplant its
  layers by name and explain ``last_conv``), trained in at most 1.15 x the seconds of the current recipe;
- score: the mean over the seeds of the validation AUC of the recipe's prediction (test-time shifts of
  ``tta_shift_pixels``);
- ties: candidates within 0.0005 of the best score are tied; among them the lowest mean validation log-loss wins.

Each training run also scores, for free, weight averaging over the last 3 epochs (``+swa3``, one network) and a
snapshot ensemble of the last 3 epochs' predictions (``+snap3``, three networks: reported, not eligible).
Measured 2026-11-30 (results in ``pneumonia_candidates_results.jsonl``): chosen ``intensity+swa3`` = recipe v4.
Usage: ``python benchmarks/pneumonia_candidates.py --out results.jsonl [NAME ...]`` (one JSON line per run; a
finished (name, seed) pair in the file is skipped, so an interrupted run resumes). ``--summary`` prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import medtutor

V3: dict[str, Any] = {}  # filled at start: models.RECIPE with every lever off (recipe v3)
LEVERS_OFF: dict[str, Any] = {
    "contrast_factor": 0.0,
    "brightness_delta": 0.0,
    "gamma_log_range": 0.0,
    "standardize": False,
    "weight_decay": 0.0,
    "average_last_epochs": 0,
}
CANDIDATES: dict[str, dict[str, Any]] = {
    "base": {},
    "intensity": {"contrast_factor": 0.3, "brightness_delta": 0.1},
    "gamma": {"gamma_log_range": 0.35},
    "standardize": {"standardize": True},
    "adamw": {"weight_decay": 0.05},
}
SEEDS = (42, 7)
TIE = 0.0005


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary cross-entropy of probabilities ``p`` for labels ``y`` (clipped like Keras)."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _scores(y: np.ndarray, p_one: np.ndarray, p_tta: np.ndarray) -> dict[str, float]:
    """Validation AUC of one pass and of the test-time-shifted prediction, and the latter's log-loss."""
    from sklearn.metrics import roc_auc_score

    return {
        "val_auc_one": float(roc_auc_score(y, p_one)),
        "val_auc": float(roc_auc_score(y, p_tta)),
        "val_logloss": _log_loss(y, p_tta),
    }


def _reestimate_bn(model: Any, x: np.ndarray, batch: int) -> None:
    """Refresh the batch-norm running statistics for averaged weights (SWA): one pass in training mode."""
    for i in range(0, len(x), batch):
        model(x[i : i + batch], training=True)


def run(name: str, seed: int) -> dict[str, Any]:
    """Train one candidate with one seed exactly as ``models.train_pneumonia_model`` does; score validation."""
    import keras

    from medtutor import data, models
    from medtutor.preprocess import make_dataset, to_float01

    models.RECIPE.clear()
    models.RECIPE.update({**V3, **CANDIDATES[name], "seed": seed})
    ds = data.load("pneumoniamnist")
    x_train, x_val = to_float01(ds.x_train), to_float01(ds.x_val)
    y_val = ds.y_val.astype(np.float32)
    snapshots: list[list[np.ndarray]] = []
    keep = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    # the same steps as train_pneumonia_model, plus the snapshot callback
    keras.utils.set_random_seed(seed)
    r = models.RECIPE
    steps = r["epochs"] * int(np.ceil(len(x_train) / r["batch_size"]))
    model = models.compile_pneumonia_model(models.pneumonia_cnn(batch_norm=True), decay_steps=steps)
    train_ds = make_dataset(
        x_train,
        ds.y_train.astype(np.float32),
        r["batch_size"],
        shuffle=True,
        seed=seed,
        augment=models.pneumonia_augmentation(),
    )
    val_ds = make_dataset(x_val, y_val, 256)
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=4, restore_best_weights=True)
    t0 = time.perf_counter()
    hist = model.fit(
        train_ds, validation_data=val_ds, epochs=r["epochs"], callbacks=[stop, keep], shuffle=False, verbose=0
    ).history
    seconds = time.perf_counter() - t0

    def both(net: Any) -> tuple[np.ndarray, np.ndarray]:
        return models.predict_pneumonia(net, x_val, 0), models.predict_pneumonia(net, x_val)

    out: dict[str, Any] = {
        "name": name,
        "seed": seed,
        "seconds": seconds,
        "epochs_run": len(hist["loss"]),
        "best_epoch": int(np.argmax(hist["val_auc"])) + 1,
    }
    out["variants"] = {name: _scores(y_val, *both(model))}
    last = snapshots[-3:]
    preds = []
    for w in last:
        model.set_weights(w)
        preds.append(both(model))
    out["variants"][name + "+snap3"] = _scores(
        y_val, np.mean([p[0] for p in preds], 0), np.mean([p[1] for p in preds], 0)
    )
    model.set_weights([np.mean(ws, axis=0) for ws in zip(*last)])
    _reestimate_bn(model, x_train, r["batch_size"])
    out["variants"][name + "+swa3"] = _scores(y_val, *both(model))
    return out


def summary(path: Path) -> None:
    """Print every variant's mean (and per-seed) validation numbers and the rule's choice."""
    rows: dict[str, list[dict[str, float]]] = {}
    secs: dict[str, list[float]] = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        secs.setdefault(rec["name"], []).append(rec["seconds"])
        for var, sc in rec["variants"].items():
            rows.setdefault(var, []).append({**sc, "seed": rec["seed"], "best_epoch": rec["best_epoch"]})
    base_secs = np.mean(secs.get("base", [np.inf]))
    table = []
    for var, rs in rows.items():
        cand = var.split("+")[0]
        mean = {k: float(np.mean([r[k] for r in rs])) for k in ("val_auc", "val_auc_one", "val_logloss")}
        eligible = "+snap" not in var and np.mean(secs[cand]) <= 1.15 * base_secs
        table.append((var, mean, rs, np.mean(secs[cand]), eligible))
        per_seed = " ".join(f"s{r['seed']}:{r['val_auc']:.4f}/e{r['best_epoch']}" for r in rs)
        print(
            f"{var:22s} val AUC (shifts) {mean['val_auc']:.4f} one pass {mean['val_auc_one']:.4f} "
            f"log-loss {mean['val_logloss']:.4f} | {np.mean(secs[cand]):.0f} s | n={len(rs)} {per_seed}"
            f"{'' if eligible else ' (not eligible)'}"
        )
    ok = [t for t in table if t[4] and len(t[2]) == len(SEEDS)]
    if ok:
        top = max(t[1]["val_auc"] for t in ok)
        tied = [t for t in ok if t[1]["val_auc"] >= top - TIE]
        pick = min(tied, key=lambda t: t[1]["val_logloss"])
        print(f"tied within {TIE}: {[t[0] for t in tied]} -> chosen: {pick[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"candidates (default: all of {list(CANDIDATES)})")
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file of results (appended)")
    parser.add_argument("--summary", action="store_true", help="only print the table of the results file")
    parser.add_argument("--extra", default="", help='a JSON dict: add a candidate, e.g. {"combo": {...}}')
    args = parser.parse_args()
    if args.extra:
        CANDIDATES.update(json.loads(args.extra))
    if args.summary:
        summary(args.out)
        return
    medtutor.setup(seed=42, keras=True)
    from medtutor import models

    V3.update({**models.RECIPE, **LEVERS_OFF})
    done = set()
    if args.out.exists():
        done = {(r["name"], r["seed"]) for r in map(json.loads, args.out.read_text().splitlines())}
    for name in args.names or list(CANDIDATES):
        if name not in CANDIDATES:
            raise SystemExit(f"unknown candidate {name!r}: choose from {list(CANDIDATES)} or add it with --extra.")
        for seed in SEEDS:
            if (name, seed) in done:
                continue
            rec = run(name, seed)
            with args.out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
