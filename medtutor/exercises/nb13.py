"""Checks for the exercises of notebook 13."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _macc_ref(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


@exercise(
    "13.1",
    "The Challenge score MAcc",
    hint="Sensitivity looks only at the abnormal recordings, specificity only at the normal ones; average the two.",
    wrong=[
        lambda y, p: float(np.mean(np.asarray(y) == np.asarray(p))),  # plain accuracy
        lambda y, p: float(np.mean(np.asarray(p)[np.asarray(y) == 1] == 1)),  # sensitivity only
        lambda y, p: float(  # (sensitivity + precision) / 2
            (np.mean(np.asarray(p)[np.asarray(y) == 1] == 1) + np.mean(np.asarray(y)[np.asarray(p) == 1] == 1)) / 2
        ),
    ],
)
def _check_11_1(answer: Any) -> str | None:
    rng = np.random.default_rng(11)
    cases = [(np.array([1, 1, 1, 0]), np.array([1, 0, 1, 1]))]
    for n, prev in ((40, 0.2), (101, 0.7)):
        y = (rng.random(n) < prev).astype(int)
        y[:2] = [0, 1]
        cases.append((y, (rng.random(n) < 0.5).astype(int)))
    for y, p in cases:
        got = call(answer, y.copy(), p.copy())
        if not np.isscalar(got) and np.asarray(got).shape != ():
            return "return one number (a float), not an array."
        if not close(float(got), _macc_ref(y, p), 1e-9):
            return f"wrong value on {len(y)} recordings with {int(y.sum())} abnormal."
    return None


def _split_ref(group: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    recs = rng.permutation(np.unique(group))
    test_recs = recs[: int(round(test_fraction * len(recs)))]
    test = np.isin(group, test_recs)
    return np.flatnonzero(~test), np.flatnonzero(test)


def _window_split(group, test_fraction, seed):  # the leak: windows of one recording on both sides
    idx = np.random.default_rng(seed).permutation(len(group))
    k = int(round(test_fraction * len(group)))
    return np.sort(idx[k:]), np.sort(idx[:k])


@exercise(
    "13.2",
    "Find the leak: split by recording",
    hint="Draw the test set among the recording ids (np.unique(group)), not among the windows; then every window "
    "follows its recording. Use the seed you are given.",
    wrong=[
        _window_split,
        lambda g, f, seed: _split_ref(g, f, 0),  # ignores the seed
        lambda g, f, seed: _split_ref(g, 1 - f, seed),  # the fractions swapped
    ],
)
def _check_11_2(answer: Any) -> str | None:
    splits = []
    for seed, (n_rec, frac) in enumerate([(20, 0.25), (37, 0.3), (20, 0.25)]):
        rng = np.random.default_rng(1100 + seed % 2)
        group = np.sort(np.concatenate([np.arange(n_rec), rng.integers(0, n_rec, 5 * n_rec)]))
        got = call(answer, group.copy(), frac, seed)
        if not isinstance(got, tuple) or len(got) != 2:
            return "return a pair (train_windows, test_windows) of window index arrays."
        tr, te = (np.asarray(a, dtype=int) for a in got)
        if sorted(np.concatenate([tr, te]).tolist()) != list(range(len(group))):
            return "every window must be in exactly one of the two index arrays."
        if set(group[tr]) & set(group[te]):
            return f"{len(set(group[tr]) & set(group[te]))} recordings have windows on both sides: that is the leak."
        if abs(len(set(group[te])) - frac * n_rec) > 1:
            return f"the test set should hold about {frac:.0%} of the recordings (not of the windows)."
        splits.append(tuple(sorted(set(group[te]))))
    if splits[0] == splits[2]:
        return "seeds 0 and 2 gave the same split on the same data: use the seed argument to draw the split."
    again = call(answer, group.copy(), 0.25, 2)
    if tuple(sorted(set(group[np.asarray(again[1], dtype=int)]))) != splits[2]:
        return "the same seed must give the same split (draw it with np.random.default_rng(seed))."
    return None


def _pulse_envelope(bpm: float, frame_rate: float, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * frame_rate)) / frame_rate
    phase = (t * bpm / 60.0) % 1.0
    env = np.exp(-(((phase - 0.1) / 0.03) ** 2)) + 0.6 * np.exp(-(((phase - 0.45) / 0.03) ** 2))
    return 2.0 + env + 0.05 * rng.normal(size=len(t))  # an offset, as a log-energy envelope has


def _hr_variant(env, fr, offset: bool = True, demean: bool = True, per_minute: bool = True) -> float:
    """Reference (and, with other arguments, known-wrong) heart rate from an envelope's autocorrelation."""
    e = np.asarray(env, dtype=float) - (np.mean(env) if demean else 0.0)
    r = np.correlate(e, e, mode="full")[len(e) - 1 :]
    lo, hi = int(0.45 * fr), int(2 * fr)
    lag = (lo if offset else 0) + int(np.argmax(r[lo:hi]))
    return (60.0 if per_minute else 1.0) * fr / max(lag, 1)


def _hr_no_window(env, fr, lo: int) -> float:
    """Known-wrong: the highest autocorrelation at any lag >= lo, with no upper limit."""
    e = np.asarray(env, dtype=float) - np.mean(env)
    r = np.correlate(e, e, mode="full")[len(e) - 1 :]
    lo = max(lo, 1)
    dips = np.flatnonzero(np.diff(r[lo:]) > 0)  # skip the slope down from lag 0 before searching
    start = lo + (int(dips[0]) if len(dips) else 0)
    return 60.0 * fr / (start + int(np.argmax(r[start : len(e) // 2])))


@exercise(
    "13.3",
    "Heart rate from the autocorrelation",
    hint="Follow the exercise text step by step: which lags may hold one heart cycle, and how does a lag counted in "
    "frames become seconds, then beats per minute?",
    wrong=[
        lambda e, fr: _hr_variant(e, fr, offset=False),  # argmax index used as the lag (forgets the 0.45 s start)
        lambda e, fr: _hr_variant(e, fr, per_minute=False),  # beats per second
        lambda e, fr: _hr_variant(e, fr, demean=False),  # mean not removed: the autocorrelation keeps decaying
        lambda e, fr: _hr_no_window(e, fr, 1),  # searches every lag above the first, ignoring the window
        lambda e, fr: _hr_no_window(e, fr, int(0.45 * fr)),  # ignores the upper limit of 2 s
    ],
)
def _check_11_3(answer: Any) -> str | None:
    # 150 and 26 beats/min lie outside 30-133: the window decides the answer (a multiple of the true cycle)
    cases = ((72.0, 50.0, 0), (110.0, 50.0, 1), (48.0, 40.0, 2), (150.0, 50.0, 3), (26.0, 50.0, 4))
    for bpm, fr, seed in cases:
        env = _pulse_envelope(bpm, fr, 12.0, seed)
        expected = _hr_variant(env, fr)
        got = call(answer, env.copy(), fr)
        if not close(float(got), expected, 1e-6):
            return (
                f"wrong heart rate for a {bpm:.0f} beats/min test envelope at {fr:.0f} frames/s (the answer "
                f"follows the lag window of the text)."
            )
    return None


def _tachy_envelope(seed: int = 0) -> np.ndarray:
    return _pulse_envelope(150.0, 50.0, 12.0, seed)


@exercise(
    "13.4",
    "Predict, then verify: a fast heart",
    hint="The search only looks at lags from 0.45 s to 2 s. Where is the first autocorrelation peak of a "
    "150 beats/min heart, and which later peak falls inside the window? Then run heart.heart_cycle to verify.",
    wrong=[lambda: 150.0, lambda: 133.0, lambda: 30.0, lambda: 300.0],
)
def _check_11_4(answer: Any) -> str | None:
    got = call(answer)
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        return "return one number: the heart rate in beats per minute the cycle search reports."
    fr = 50.0
    e = _tachy_envelope() - _tachy_envelope().mean()
    r = np.correlate(e, e, mode="full")[len(e) - 1 :]
    lo, hi = int(0.45 * fr), int(2 * fr)
    reported = 60 * fr / (lo + int(np.argmax(r[lo:hi])))
    if abs(float(got) - reported) > 4:
        return "that is not what the search reports for a 150 beats/min heart; run it and compare."
    return None
