"""Checks for the exercises of notebook 05."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _rnn_case(seed: int, n_in: int, units: int, gates: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(3, n_in)),
        rng.normal(size=(3, units)),
        rng.normal(size=(3, units)),
        rng.normal(0, 0.5, size=(n_in, gates * units)),
        rng.normal(0, 0.5, size=(units, gates * units)),
        rng.normal(0, 0.5, size=gates * units),
    )


@exercise(
    "05.1",
    "One step of a simple RNN",
    hint="Keras' SimpleRNN: tanh of (input times kernel) + (previous state times recurrent kernel) + bias.",
    wrong=[
        lambda x, h, K, R, b: _sigmoid(x @ K + h @ R + b),  # wrong activation
        lambda x, h, K, R, b: np.tanh(x @ K + b),  # forgets the memory
        lambda x, h, K, R, b: np.tanh(x @ K + h @ R.T + b),  # transposed recurrent kernel
    ],
)
def _check_04_1(answer: Any) -> str | None:
    for seed, n_in, units in [(0, 1, 4), (1, 3, 5)]:
        x, h, _, K, R, b = _rnn_case(seed, n_in, units)
        got = np.asarray(call(answer, x.copy(), h.copy(), K.copy(), R.copy(), b.copy()), dtype=float)
        expected = np.tanh(x @ K + h @ R + b)
        if got.shape != expected.shape:
            return f"the new state should have shape (N, units) = {expected.shape}, got {got.shape}."
        if not close(got, expected, 1e-6):
            return f"wrong values with {n_in} input(s) and {units} units."
    return None


def _non_normal(seed: int, rho: float, shear: float, units: int = 4) -> np.ndarray:
    """A matrix whose eigenvalues all have modulus ``rho`` but whose largest singular value is much larger."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(units, units)))
    upper = np.triu(rng.normal(0, shear, (units, units)), 1) + rho * np.eye(units)
    return q @ upper @ q.T


def _gradient_cases() -> list[tuple[np.ndarray, bool]]:
    cases = []
    for seed in range(3):
        cases.append((_non_normal(seed, 0.8, 2.0), True))  # spectral radius 0.8 < 1, largest singular value > 1
        cases.append((_non_normal(10 + seed, 0.5, 0.0), False))  # symmetric-like: both 0.5
        sym = np.random.default_rng(20 + seed).normal(size=(5, 5))
        sym = (sym + sym.T) / 2
        cases.append((1.2 * sym / np.max(np.abs(np.linalg.eigvalsh(sym))), True))  # both 1.2
    cases.append((np.diag([0.99, 0.3, 0.1]), False))
    return cases


@exercise(
    "05.2",
    "Which recurrent matrices can make gradients explode?",
    hint="Each backward step multiplies by diag(tanh') R^T, and tanh' <= 1. Which property of R bounds how much a "
    "matrix can stretch ANY vector in one step? Eigenvalues only describe a few special directions.",
    wrong=[
        lambda R: bool(np.max(np.abs(np.linalg.eigvals(R))) > 1),  # spectral radius
        lambda R: bool(np.abs(np.asarray(R)).max() > 1),  # largest entry
        lambda R: bool(np.linalg.norm(R) > 1),  # Frobenius norm: too pessimistic
    ],
)
def _check_04_2(answer: Any) -> str | None:
    for R, expected in _gradient_cases():
        got = call(answer, R.copy())
        if not isinstance(got, (bool, np.bool_)):
            return "return True or False."
        if bool(got) != expected:
            rho = np.max(np.abs(np.linalg.eigvals(R)))
            return (
                f"wrong verdict for a {R.shape[0]}x{R.shape[0]} matrix with spectral radius {rho:.2f}: "
                "is the spectral radius the quantity that bounds the growth of every vector?"
            )
    return None


def _best_cost_threshold(y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    """Reference: the candidate threshold (a probability in p, or 1.0 + tiny for 'flag nothing') of lowest cost."""
    cands = np.unique(np.concatenate([p, [1.0 + 1e-9]]))
    costs = [cost_fn * np.sum((p < t) & (y == 1)) + cost_fp * np.sum((p >= t) & (y == 0)) for t in cands]
    return float(cands[int(np.argmin(costs))])


def _cost_of(y: np.ndarray, p: np.ndarray, t: float, cost_fn: float, cost_fp: float) -> float:
    return float(cost_fn * np.sum((p < t) & (y == 1)) + cost_fp * np.sum((p >= t) & (y == 0)))


@exercise(
    "05.3",
    "A threshold for stated costs",
    hint="Write the total cost of a threshold as (cost of a miss) x (missed abnormal beats) + (cost of a false "
    "alarm) x (normal beats flagged), and try every threshold that changes a decision.",
    wrong=[
        lambda y, p, cfn, cfp: 0.5,  # the default threshold ignores the costs
        lambda y, p, cfn, cfp: _best_cost_threshold(np.asarray(y), np.asarray(p), cfp, cfn),  # costs swapped
        lambda y, p, cfn, cfp: _best_cost_threshold(np.asarray(y), np.asarray(p), 1.0, 1.0),  # plain accuracy
    ],
)
def _check_04_3(answer: Any) -> str | None:
    rng = np.random.default_rng(43)
    for n, cost_fn, cost_fp in ((200, 5.0, 1.0), (150, 1.0, 4.0), (300, 10.0, 1.0)):
        y = (rng.random(n) < 0.4).astype(int)
        p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
        got = float(call(answer, y.copy(), p.copy(), cost_fn, cost_fp))
        best = _cost_of(y, p, _best_cost_threshold(y, p, cost_fn, cost_fp), cost_fn, cost_fp)
        mine = _cost_of(y, p, got, cost_fn, cost_fp)
        if mine > best + 1e-9:
            return f"with a miss costing {cost_fn:g} and a false alarm {cost_fp:g}, a lower total cost is possible."
    return None


def _forward_ref(x: np.ndarray, K: np.ndarray, R: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = np.zeros((x.shape[0], R.shape[0]))
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ K + h @ R + b)
        out.append(h)
    return np.stack(out, axis=1)


def _forward_no_memory(x, K, R, b):  # the bug of the exercise: the state is never carried over
    h0 = np.zeros((x.shape[0], R.shape[0]))
    return np.stack([np.tanh(x[:, t] @ K + h0 @ R + b) for t in range(x.shape[1])], axis=1)


def _forward_last_only(x, K, R, b):  # keeps the memory but returns the last state in every slot
    hs = _forward_ref(x, K, R, b)
    return np.repeat(hs[:, -1:], hs.shape[1], axis=1)


@exercise(
    "05.4",
    "Find the bug in an RNN forward pass",
    hint=(
        "Compare, line by line, what the loop feeds into step t with the recurrence h_t = tanh(x_t K + h_{t-1} R + b)."
    ),
    wrong=[
        _forward_no_memory,
        _forward_last_only,
        lambda x, K, R, b: _forward_ref(x[:, ::-1], K, R, b),  # reads the sequence backwards
    ],
)
def _check_04_4(answer: Any) -> str | None:
    for seed, (n, steps, n_in, units) in enumerate([(2, 6, 1, 3), (3, 9, 2, 5)]):
        rng = np.random.default_rng(400 + seed)
        x = rng.normal(size=(n, steps, n_in))
        K, R, b = rng.normal(0, 0.7, (n_in, units)), rng.normal(0, 0.7, (units, units)), rng.normal(0, 0.3, units)
        got = np.asarray(call(answer, x.copy(), K.copy(), R.copy(), b.copy()), dtype=float)
        expected = _forward_ref(x, K, R, b)
        if got.shape != expected.shape:
            return f"return every hidden state, shape (N, T, units) = {expected.shape}; got {got.shape}."
        if not close(got[:, 0], expected[:, 0], 1e-6):
            return "the first state is already wrong: check the input term and the bias."
        if not close(got, expected, 1e-6):
            return "the first state is right but later ones are not: what carries information from step to step?"
    return None
