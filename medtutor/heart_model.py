"""Heart-sound models (PhysioNet/CinC 2016): train, predict, cache and evaluate across recording sites.

The features come from :mod:`medtutor.heart` (signal processing and window features) and the recordings from
:func:`medtutor.data.read_physionet_folder`; this module is the model half of the pipeline, reused by the
``medtutor heart train|evaluate`` command (its argparse code lives in :mod:`medtutor.cli`) and by notebooks
13 and 14:

1. :func:`build_model` / :func:`build_sequence_model` / :func:`train_model` - a small Keras MLP on window
   features, a Conv1D + GRU on the windows' log-mel frames, or the average of both (``kind="ensemble"``); a
   recording's probability is the mean over its windows (:func:`predict_recordings`).
2. :func:`fit_site_robust` - the site-robust linear model (``kind="robust"``, what ``medtutor heart train``
   trains by default) with its threshold from :func:`cross_site_threshold`; :func:`loso_table` scores any kind
   leave-one-site-out.
3. :func:`macc_scores` / :func:`macc_ci` - the Challenge score and its bootstrap interval;
   :func:`evaluate_folder` scores a model on a PhysioNet-format folder.
4. :func:`save_model` / :func:`load_model` / :func:`load_or_train_model` - atomic saving and the keyed cache.

Keras is imported inside functions only, so ``import medtutor.heart_model`` stays light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from medtutor import _modelcache, _validate
from medtutor.heart import (
    FEATURE_NAMES,
    FS,
    HOP_S,
    N_MELS,
    WINDOW_FEATURE_NAMES,
    WINDOW_S,
    recording_features,
    recording_table,
    window_arrays,
)

__all__ = [
    "KINDS",
    "build_model",
    "build_sequence_model",
    "cache_key",
    "consistent_features",
    "THRESHOLD_RULES",
    "cross_site_threshold",
    "evaluate_folder",
    "fit_site_robust",
    "load_model",
    "load_or_train_model",
    "loso_table",
    "robust_groups",
    "robust_selection",
    "macc_ci",
    "macc_scores",
    "predict_recordings",
    "save_model",
    "train_model",
    "window_probabilities",
]

KINDS = ("robust", "ensemble", "mlp")  # model kinds of train_model; the first is the command line's default


# --------------------------------------------------------------------------- model


def macc_scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Challenge score: ``{"se", "sp", "macc"}`` with MAcc = (sensitivity + specificity) / 2."""
    y, p = _validate.check_labels(y_true, "y_true"), _validate.check_labels(y_pred, "y_pred")
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y.shape} and {p.shape}.")
    if y.min() == y.max():
        raise ValueError("y_true holds one class only: sensitivity and specificity both need both classes.")
    se = float(((p == 1) & (y == 1)).sum() / (y == 1).sum())
    sp = float(((p == 0) & (y == 0)).sum() / (y == 0).sum())
    return {"se": se, "sp": sp, "macc": (se + sp) / 2}


def build_model(features: np.ndarray, seed: int = 0, hidden: int = 64, dropout: float = 0.3) -> Any:
    """A small MLP for window features; its first layer standardises with the training windows' statistics."""
    import keras

    f = np.asarray(features, dtype=np.float32)
    if f.ndim != 2 or f.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"features must be (n_windows, {len(FEATURE_NAMES)}) from recording_features(), got {f.shape}."
        )
    keras.utils.set_random_seed(seed)
    norm = keras.layers.Normalization(name="standardize")
    norm.adapt(f)
    inp = keras.Input((f.shape[1],), name="features")
    z = norm(inp)
    z = keras.layers.Dense(hidden, activation="relu")(z)
    z = keras.layers.Dropout(dropout)(z)
    z = keras.layers.Dense(hidden // 2, activation="relu")(z)
    out = keras.layers.Dense(1, activation="sigmoid", name="prob")(z)
    model = keras.Model(inp, out, name=f"pcg_window_mlp_{len(FEATURE_NAMES)}")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    return model


def _window_weights(y_win: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each recording weighs 1 in total (long ones do not dominate), each class half the total."""
    counts = np.bincount(group)
    w = 1.0 / counts[group]
    for c in (0, 1):
        m = y_win == c
        w[m] *= 0.5 / w[m].sum()
    return (w * len(w)).astype(np.float32)


def build_sequence_model(sequences: np.ndarray, seed: int = 0, units: int = 32) -> Any:
    """Conv1D + GRU on log-mel windows ``(n, steps, N_MELS)``: convolutions find local sound patterns and
    shorten the sequence 4 times, the GRU reads them in time order; the first layer standardises each band."""
    import keras

    q = np.asarray(sequences, dtype=np.float32)
    if q.ndim != 3 or q.shape[2] != N_MELS:
        raise ValueError(f"sequences must be (n_windows, steps, {N_MELS}) from recording_features(), got {q.shape}.")
    keras.utils.set_random_seed(seed)
    norm = keras.layers.Normalization(axis=-1, name="standardize_bands")
    norm.adapt(q.reshape(-1, N_MELS))
    inp = keras.Input(q.shape[1:], name="log_mel")
    z = norm(inp)
    z = keras.layers.Conv1D(units, 5, strides=2, padding="same", activation="relu")(z)
    z = keras.layers.Conv1D(units, 5, strides=2, padding="same", activation="relu")(z)
    z = keras.layers.GRU(units)(z)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="prob")(z), name="pcg_conv_gru")
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    return model


def train_model(
    signals: list[np.ndarray],
    labels: Any,
    fs: int = FS,
    epochs: int = 40,
    seed: int = 0,
    verbose: bool = False,
    features: tuple[np.ndarray, ...] | None = None,
    kind: str = "mlp",
    gru_epochs: int = 6,
    sites: Any = None,
) -> Any:
    """Train a window model on recordings (every window carries its recording's label); returns the model.

    ``kind="mlp"``: the feature MLP (input: window features). ``kind="ensemble"``: also a Conv1D + GRU on the
    windows' log-mel frames, and returns one two-input model ``[features, log_mel] -> mean of both
    probabilities`` (the average of two different models is usually steadier than either). ``features`` = a
    ``recording_features(signals[, sequences=True])`` result, to skip recomputing it. ``kind="robust"``: the
    site-robust linear model of :func:`fit_site_robust` on each recording's mean window features; it needs
    ``sites`` (the site of each recording) and is what ``medtutor heart train`` trains by default.
    """
    import keras

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    _check_epochs(epochs, "epochs")
    _check_epochs(gru_epochs, "gru_epochs")
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(signals):
        raise ValueError(f"labels must be 1-D with one label per recording ({len(signals)}), got shape {y.shape}.")
    y = _validate.check_labels(y, "labels")
    if y.min() == y.max():
        raise ValueError("labels must be 0 (normal) / 1 (abnormal) and contain both classes.")
    need_seq = kind == "ensemble"
    if features is None:
        features = recording_features(signals, fs, sequences=need_seq)
    if need_seq and len(features) != 3:
        raise ValueError("kind='ensemble' needs features=recording_features(signals, fs, sequences=True).")
    feats, group = features[0], features[1]
    if kind == "robust":
        if sites is None or len(sites) != len(y):
            raise ValueError("kind='robust' needs sites=<the site of each recording> (e.g. data.physionet_sites()).")
        return fit_site_robust(recording_table(feats, group, len(y)), y, sites)
    y_win = y[group].astype(np.float32)
    weights = _window_weights(y_win, group)
    mlp = build_model(feats, seed=seed)
    mlp.fit(feats, y_win, sample_weight=weights, epochs=epochs, batch_size=256, verbose=int(verbose))
    if not need_seq:
        return mlp
    gru = build_sequence_model(features[2], seed=seed)
    gru.fit(features[2], y_win, sample_weight=weights, epochs=gru_epochs, batch_size=64, verbose=int(verbose))
    f_in = keras.Input(mlp.input_shape[1:], name="features")
    q_in = keras.Input(gru.input_shape[1:], name="log_mel")
    out = keras.layers.Average(name="prob")([mlp(f_in), gru(q_in)])
    return keras.Model([f_in, q_in], out, name=f"pcg_ensemble_{len(FEATURE_NAMES)}")


def _check_epochs(value: Any, name: str) -> int:
    """Refuse 0, negative and non-integer epoch counts: zero epochs would save an untrained model."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1 (0 epochs leaves the model untrained), got {value!r}.")
    return int(value)


def _is_ensemble(model: Any) -> bool:
    return len(getattr(model, "inputs", []) or []) == 2


def _check_model(model: Any) -> None:
    shape = getattr(model, "input_shape", None)
    if _is_ensemble(model):
        ok = tuple(shape[0])[-1] == len(FEATURE_NAMES) and tuple(shape[1])[-1] == N_MELS
    else:
        ok = shape is not None and len(tuple(shape)) == 2 and tuple(shape)[-1] == len(FEATURE_NAMES)
    if not ok:
        raise ValueError(
            f"model expects input {shape}, but heart features have {len(FEATURE_NAMES)} values "
            f"(and log-mel frames {N_MELS} bands): retrain it with `medtutor heart train` (the feature set changed)."
        )


def _predict_windows(model: Any, features: tuple[np.ndarray, ...]) -> np.ndarray:
    if _is_ensemble(model):
        if len(features) != 3:
            raise ValueError("an ensemble model needs features=recording_features(signals, fs, sequences=True).")
        inputs: Any = [features[0], features[2]]
    else:
        inputs = features[0]
    return np.asarray(model.predict(inputs, batch_size=512, verbose=0)).reshape(-1)


def predict_recordings(
    model: Any, signals: list[np.ndarray], fs: int = FS, features: tuple[np.ndarray, ...] | None = None
) -> np.ndarray:
    """Probability of "abnormal" per recording = mean of its windows' probabilities."""
    _check_model(model)
    if features is None:
        features = recording_features(signals, fs, sequences=_is_ensemble(model))
    group = features[1]
    if _is_recording_level(model):  # one Dense layer: NumPy is exact and avoids a TensorFlow trace per model
        w, b = model.get_layer("prob").get_weights()
        z = recording_table(features[0], group, len(signals)).astype(np.float64) @ w[:, 0] + b[0]
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    p_win = _predict_windows(model, features)
    return (np.bincount(group, p_win, minlength=len(signals)) / np.bincount(group, minlength=len(signals))).astype(
        np.float32
    )


def window_probabilities(model: Any, x: np.ndarray, fs: int = FS) -> tuple[np.ndarray, np.ndarray]:
    """Time-wise view of one recording: ``(start_seconds, p_abnormal)`` of each window (which moments drive it)."""
    _check_model(model)
    feats, starts, seq = window_arrays(x, fs, WINDOW_S, HOP_S, _is_ensemble(model))
    return starts, _predict_windows(model, (feats, np.zeros(len(feats), np.int64), seq))


def save_model(model: Any, path: Path) -> Path:
    """Write ``model`` to ``path`` atomically (a half-written file is never seen); returns ``path``."""
    _modelcache.atomic_write(path, lambda tmp: model.save(tmp), ".keras")
    return path


def load_model(path: Path) -> Any:
    """Load a model written by :func:`save_model`; refuse a missing, unreadable or outdated file."""
    import keras

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: train one with `medtutor heart train --out {path}`.")
    try:
        model = keras.models.load_model(path)
    except Exception as err:
        raise ValueError(f"{path} is not a readable Keras model ({err}); retrain with `medtutor heart train`.") from err
    _check_model(model)
    return model


def cache_key(kind: str, sites: str, epochs: int, seed: int, source: str) -> dict[str, Any]:
    """What a cached heart model depends on: recipe, data source and package version (issue 12).

    The package's one cache rule (:mod:`medtutor._modelcache`): a cached file is reused only when every field
    matches, so a model trained on the synthetic stand-in, by an older recipe or by another medtutor version is
    never reused silently.
    """
    recipe = {
        "kind": kind,
        "sites": "".join(sorted(sites)),
        "epochs": int(epochs),
        "seed": int(seed),
        "n_features": len(FEATURE_NAMES),
        "robust_c": list(ROBUST_C),
        "threshold_rules": list(THRESHOLD_RULES),
    }
    return _modelcache.cache_key(recipe, source)


def load_or_train_model(
    sites: str = "abcd", epochs: int = 40, seed: int = 0, kind: str = "ensemble", verbose: bool = True
) -> Any:
    """The heart-sound model (see :func:`train_model`) trained on all recordings of ``sites``, cached in
    ``cache_dir()/models``.

    The cache is keyed on :func:`cache_key` (recipe, data source, package version), written next to the model
    as ``<model>.json``. A cached file whose key differs (or is missing or unreadable) is retrained, with the
    package's retrain banner saying why (:mod:`medtutor._modelcache`). Use it for demos; for an honest score,
    evaluate on recordings it never saw.
    """
    import hashlib
    import json

    from medtutor import data

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    _check_epochs(epochs, "epochs")
    ds = data.load("physionet2016", sites=sites)
    key = cache_key(kind, sites, epochs, seed, ds.source)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = data.cache_dir() / "models" / f"pcg_{kind}_{key['recipe']['sites']}_{digest}.keras"
    sidecar = path.with_suffix(".json")
    if path.is_file():
        try:
            stored = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
            problem = _modelcache.reuse_problem(stored if isinstance(stored, dict) else {}, key)
            if problem is None:
                model = load_model(path)
                if verbose:
                    print(f"loaded {path} ({ds.source} data, recipe {kind})")
                return model
        except (ValueError, OSError) as err:
            problem = f"it is unreadable ({err})"
        if verbose:
            print(_modelcache.retrain_banner(path, problem))
    model = train_model(ds.x_all, ds.y_all, ds.meta["fs"], epochs=epochs, seed=seed, kind=kind, sites=ds.meta["sites"])
    save_model(model, path)
    text = json.dumps({"cache_key": key}, sort_keys=True)
    _modelcache.atomic_write(sidecar, lambda tmp: Path(tmp).write_text(text), ".json")
    if verbose:
        print(f"trained on {len(ds.y_all)} recordings of sites {sites} ({ds.source} data); saved {path}")
    return model


def evaluate_folder(model: Any, folder: str | os.PathLike[str], threshold: float = 0.5) -> dict[str, Any]:
    """Se, Sp, MAcc of ``model`` on a PhysioNet-format folder (recording-level, probability >= threshold)."""
    from medtutor import data

    records, signals, labels, fs = data.read_physionet_folder(folder)
    prob = predict_recordings(model, signals, fs)
    scores = macc_scores(labels, (prob >= threshold).astype(np.int64))
    return {**scores, "n": len(records), "n_abnormal": int(labels.sum()), "prob": prob, "records": records}


# --------------------------------------------------------------------------- site-robust model


def consistent_features(x: np.ndarray, y: np.ndarray, sites: Any, min_site: int = 40) -> np.ndarray:
    """Indices of the features whose effect has the same sign at every site (per-site AUC all > or all < 0.5).

    Why: a feature that says "abnormal" at one site and "normal" at another is a site shortcut, not a
    sign of disease. Sites with fewer than ``min_site`` recordings (or one class only) do not vote: a per-site
    AUC from a few dozen recordings is too noisy to judge a direction.
    """
    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    voters = [s for s in np.unique(sites) if (sites == s).sum() >= min_site and len(np.unique(y[sites == s])) == 2]
    if not voters:
        raise ValueError(f"no site has >= {min_site} recordings of both classes: cannot judge features across sites.")
    auc = np.array([_column_auc(x[sites == s], y[sites == s]) for s in voters])
    keep = np.flatnonzero(np.all(auc > 0.5, axis=0) | np.all(auc < 0.5, axis=0))
    if len(keep) == 0:
        raise ValueError("no feature has the same direction at every site: add sites or relax min_site.")
    return keep


def _column_auc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ROC AUC of every column at once (Mann-Whitney U from ranks; ties count one half)."""
    from scipy.stats import rankdata

    r = rankdata(x, axis=0)
    n1, n0 = int((y == 1).sum()), int((y == 0).sum())
    return (r[y == 1].sum(0) - n1 * (n1 + 1) / 2) / (n1 * n0)


def _fit_linear(x: np.ndarray, y: np.ndarray, sites: np.ndarray, c: float, cols: Any = None) -> dict[str, Any]:
    """Sign-consistent features (among ``cols``), standardised, class-balanced, strongly regularised L2
    logistic regression."""
    from sklearn.linear_model import LogisticRegression

    cand = np.arange(x.shape[1]) if cols is None else np.asarray(cols)
    keep = cand[consistent_features(x[:, cand], y, sites)]
    mu, sd = x[:, keep].mean(0), x[:, keep].std(0) + 1e-6
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit((x[:, keep] - mu) / sd, y)
    return {"cols": keep, "mu": mu, "sd": sd, "coef": lr.coef_[0], "intercept": float(lr.intercept_[0])}


def _linear_prob(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    z = ((x[:, params["cols"]] - params["mu"]) / params["sd"]) @ params["coef"] + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def _scored_sites(y: np.ndarray, sites: np.ndarray) -> list[str]:
    """Sites large enough to score a held-out MAcc: >= 20 recordings and both classes."""
    return [s for s in np.unique(sites) if (sites == s).sum() >= 20 and len(np.unique(y[sites == s])) == 2]


THRESHOLD_RULES = ("worst", "mean")  # how cross_site_threshold scores a threshold; the first is the default


def cross_site_threshold(
    x: Any, y: Any, sites: Any, c: float = 0.01, cols: Any = None, rule: str = THRESHOLD_RULES[0]
) -> float:
    """Threshold chosen by leave-one-site-out cross-validation INSIDE the given (training) sites.

    Each training site in turn is predicted by a model fitted on the others (one other site is enough); the
    threshold maximises, over the held-out sites (>= 20 recordings of both classes), their lowest MAcc
    (``rule="worst"``, the default) or their mean MAcc (``rule="mean"``). Why: 0.5 is right only for the sites
    a model was fitted on; a threshold that worked at sites the model had not seen is the honest guess for a
    new one, and the worst site guards against one large site pulling the threshold to its own prevalence
    (a collapse at the others).
    """
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"rule must be one of {', '.join(THRESHOLD_RULES)}, got {rule!r}.")
    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    prob = np.full(len(y), np.nan)
    for s in np.unique(sites):
        m = sites == s
        if (~m).any():
            try:
                prob[m] = _linear_prob(_fit_linear(x[~m], y[~m], sites[~m], c, cols), x[m])
            except ValueError:  # the sites left cannot judge the features: this site cannot be held out
                continue
    scored = [s for s in _scored_sites(y, sites) if np.isfinite(prob[sites == s]).all()]
    if not scored:
        return 0.5
    pool = np.min if rule == "worst" else np.mean
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    score = [pool([_balanced(y[sites == s], prob[sites == s] >= t) for s in scored]) for t in grid]
    return float(grid[int(np.argmax(score))])


def _balanced(y: np.ndarray, pred: np.ndarray) -> float:
    return 0.5 * (float(np.mean(pred[y == 1])) + float(np.mean(~pred[y == 0])))


def robust_groups() -> dict[str, np.ndarray]:
    """Feature groups the site-robust recipe chooses from (column indices into FEATURE_NAMES).

    ``window``: the window features; ``hsmm``: the HSMM segmentation features; ``hsmm_contrasts``: only
    the within-recording state contrasts (device-invariant by construction); ``all``: both blocks. The
    per-state MFCC levels (``heart.STATE_MFCC_NAMES``) are in no group: absolute levels carry the stethoscope.
    """
    names = np.array(FEATURE_NAMES)
    is_window = np.isin(names, WINDOW_FEATURE_NAMES)
    is_hsmm = np.char.startswith(names, "hsmm_")
    contrast = is_hsmm & (np.char.find(names, "_minus_") >= 0)
    return {
        "window": np.flatnonzero(is_window),
        "hsmm": np.flatnonzero(is_hsmm),
        "hsmm_contrasts": np.flatnonzero(contrast),
        "all": np.flatnonzero(is_window | is_hsmm),
    }


ROBUST_C = (0.003, 0.01, 0.03)  # L2 strengths the recipe chooses from (inverse: smaller = stronger)


def robust_selection(x: Any, y: Any, sites: Any) -> tuple[str, float, str, dict[tuple[str, float, str], float]]:
    """Choose the feature group, C and threshold rule of the site-robust recipe INSIDE the given sites.

    Each candidate (group, C, rule) is scored as the mean MAcc over held-out training sites (>= 20 recordings,
    both classes) of the full recipe (features, model and the cross-site threshold of that rule) fitted on the
    other training sites. Returns ``(group, c, rule, {(group, c, rule): score})``; ties go to the earlier
    candidate. Why the rule is chosen here too: which pooling of the training sites (worst or mean) transfers
    to a new site is itself a decision, and only the training sites may make it. With fewer than three sites
    nothing can be held out honestly: the default ``("hsmm", 0.01, "worst")`` is returned.
    """
    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    groups = robust_groups()
    scores: dict[tuple[str, float, str], float] = {}
    held = [s for s in _scored_sites(y, sites) if len(np.unique(sites[sites != s])) >= 2]
    if len(np.unique(sites)) < 3 or not held:
        return "hsmm", 0.01, THRESHOLD_RULES[0], scores
    for g, cols in groups.items():
        for c in ROBUST_C:
            res: dict[str, list[float]] = {rule: [] for rule in THRESHOLD_RULES}
            for s in held:
                m = sites == s
                try:
                    prob = _linear_prob(_fit_linear(x[~m], y[~m], sites[~m], c, cols), x[m])
                    for rule in THRESHOLD_RULES:
                        thr = cross_site_threshold(x[~m], y[~m], sites[~m], c, cols, rule=rule)
                        res[rule].append(_balanced(y[m], prob >= thr))
                except ValueError:
                    for rule in THRESHOLD_RULES:
                        res[rule].append(0.0)
            for rule in THRESHOLD_RULES:
                scores[(g, c, rule)] = float(np.mean(res[rule]))
    order = list(scores)
    g, c, rule = max(order, key=lambda k: (scores[k], -order.index(k)))
    return g, c, rule, scores


def fit_site_robust(
    x: Any, y: Any, sites: Any, c: float | None = None, group: str | None = None, rule: str | None = None
) -> Any:
    """The site-robust heart-sound model, as a one-layer Keras model on a recording's mean window features.

    Recipe (every choice inside the training sites): choose the feature group and regularisation by
    leave-one-site-out among the training sites, together with the threshold rule (:func:`robust_selection`;
    or pass ``group``, ``c`` and ``rule``),
    keep the features of that group whose effect has the same sign at every training site
    (:func:`consistent_features`), standardise, fit a class-balanced logistic regression, and move the
    decision threshold to the one chosen by :func:`cross_site_threshold`; the threshold is folded into the
    bias, so ``probability >= 0.5`` is the decision. The model's name is ``pcg_site_robust``.
    """
    import keras

    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES) or len(y) != len(x) or len(sites) != len(x):
        raise ValueError(
            f"x must be (n_recordings, {len(FEATURE_NAMES)}) with one label and site per row, got {x.shape}."
        )
    groups = robust_groups()
    if group is None or c is None or rule is None:
        g_sel, c_sel, rule_sel, _ = robust_selection(x, y, sites)
        group, c, rule = group or g_sel, c or c_sel, rule or rule_sel
    if group not in groups:
        raise ValueError(f"group must be one of {', '.join(groups)}, got {group!r}.")
    params = _fit_linear(x, y, sites, c, groups[group])
    thr = cross_site_threshold(x, y, sites, c, groups[group], rule=rule)
    w = np.zeros(len(FEATURE_NAMES))
    w[params["cols"]] = params["coef"] / params["sd"]
    b = params["intercept"] - float(np.sum(params["coef"] * params["mu"] / params["sd"])) - np.log(thr / (1 - thr))
    inp = keras.Input((len(FEATURE_NAMES),), name="features")
    out = keras.layers.Dense(1, activation="sigmoid", name="prob")(inp)
    model = keras.Model(inp, out, name="pcg_site_robust")
    model.get_layer("prob").set_weights([w[:, None].astype(np.float32), np.array([b], np.float32)])
    return model


def _is_recording_level(model: Any) -> bool:
    return getattr(model, "name", "") == "pcg_site_robust"


def loso_table(
    features: tuple[np.ndarray, ...], labels: Any, sites: Any, kind: str = "robust", epochs: int = 40, seed: int = 0
) -> list[dict[str, Any]]:
    """Leave-one-site-out: for each site, train on the others (all choices inside them), score the site.

    Returns one row per site: ``site, n, n_abnormal, se, sp, macc, ci`` (95 % bootstrap interval of MAcc,
    recordings resampled within each class, 2000 draws, seed 0).
    """
    y, sites = np.asarray(labels), np.asarray(sites)
    feats, group = features[0], features[1]
    rows = []
    for s in sorted(set(sites.tolist())):
        tr, te = np.flatnonzero(sites != s), np.flatnonzero(sites == s)
        m_tr = np.isin(group, tr)
        sub = (feats[m_tr], np.searchsorted(tr, group[m_tr]))
        sub_te = (feats[~m_tr], np.searchsorted(te, group[~m_tr]))
        model = train_model([None] * len(tr), y[tr], epochs=epochs, seed=seed, features=sub, kind=kind, sites=sites[tr])
        pred = (predict_recordings(model, [None] * len(te), features=sub_te) >= 0.5).astype(np.int64)
        sc = macc_scores(y[te], pred)
        rows.append({"site": s, "n": len(te), "n_abnormal": int(y[te].sum()), **sc, "ci": macc_ci(y[te], pred)})
    return rows


def macc_ci(y_true: Any, y_pred: Any, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of MAcc, resampling recordings within each class (keeps both classes)."""
    y, p = np.asarray(y_true), np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    pos, neg = p[y == 1], p[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("MAcc needs both classes in y_true.")
    se = rng.choice(pos, (n_boot, len(pos))).mean(1)
    sp = 1 - rng.choice(neg, (n_boot, len(neg))).mean(1)
    lo, hi = np.percentile((se + sp) / 2, [2.5, 97.5])
    return float(lo), float(hi)
