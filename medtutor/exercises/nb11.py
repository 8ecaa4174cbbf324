"""Checks for the exercises of notebook 11."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _macc_ref(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


@exercise(
    "11.1",
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


@exercise(
    "11.2",
    "From window probabilities to recording probabilities",
    hint="For recording r, average p_win over the windows whose group is r (np.bincount can sum by group).",
    wrong=[
        lambda p, g, n: np.array([np.max(np.asarray(p)[np.asarray(g) == r]) for r in range(n)]),  # max, not mean
        lambda p, g, n: np.full(n, np.mean(p)),  # one global mean
        lambda p, g, n: np.bincount(g, p, minlength=n),  # sum, not mean
    ],
)
def _check_11_2(answer: Any) -> str | None:
    rng = np.random.default_rng(12)
    for n in (3, 17):
        group = np.concatenate([np.arange(n), rng.integers(0, n, 4 * n)])
        rng.shuffle(group)
        p = rng.random(len(group))
        expected = np.array([p[group == r].mean() for r in range(n)])
        got = np.asarray(call(answer, p.copy(), group.copy(), n), dtype=float)
        if got.shape != (n,):
            return f"return one probability per recording: shape ({n},), got {got.shape}."
        if not close(got, expected, 1e-9):
            return f"wrong values with {n} recordings and {len(group)} windows."
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


@exercise(
    "11.3",
    "Heart rate from the autocorrelation",
    hint="Autocorrelate the mean-subtracted envelope (np.correlate, mode='full', keep lags >= 0), take the argmax "
    "between the two lag limits, and convert the lag in frames to beats per minute: 60 * frame_rate / lag.",
    wrong=[
        lambda e, fr: _hr_variant(e, fr, offset=False),  # argmax index used as the lag (forgets the 0.45 s start)
        lambda e, fr: _hr_variant(e, fr, per_minute=False),  # beats per second
        lambda e, fr: _hr_variant(e, fr, demean=False),  # mean not removed: the autocorrelation keeps decaying
    ],
)
def _check_11_3(answer: Any) -> str | None:
    for bpm, fr, seed in ((72.0, 50.0, 0), (110.0, 50.0, 1), (48.0, 40.0, 2)):
        env = _pulse_envelope(bpm, fr, 12.0, seed)
        expected = _hr_variant(env, fr)
        got = call(answer, env.copy(), fr)
        if not close(float(got), expected, 1e-6):
            return f"wrong heart rate for a {bpm:.0f} beats/min test envelope at {fr:.0f} frames/s."
    return None
