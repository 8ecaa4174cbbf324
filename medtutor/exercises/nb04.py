"""Checks for the exercises of notebook 04."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _ref_lstm_step(x_t, h_prev, c_prev, K, R, b, order="ifgo"):
    """Reference LSTM step in Keras' layout (gate order i, f, g, o); ``order`` lets tests build wrong answers."""
    u = h_prev.shape[-1]
    z = x_t @ K + h_prev @ R + b
    gates = dict(zip(order, (z[:, :u], z[:, u : 2 * u], z[:, 2 * u : 3 * u], z[:, 3 * u :])))
    i, f, g, o = _sigmoid(gates["i"]), _sigmoid(gates["f"]), np.tanh(gates["g"]), _sigmoid(gates["o"])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


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
    "04.1",
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


@exercise(
    "04.2",
    "One step of an LSTM",
    hint="Split the 4*units pre-activations in Keras' order i, f, g, o; c = f*c_prev + i*g; h = o*tanh(c).",
    wrong=[
        lambda x, h, c, K, R, b: _ref_lstm_step(x, h, c, K, R, b, order="ifog"),  # gate order i, f, o, g
        lambda x, h, c, K, R, b: _ref_lstm_step(x, h, c, K, R, b, order="figo"),  # forget and input swapped
        lambda x, h, c, K, R, b: (lambda hc: (hc[0], hc[1] * 0))(_ref_lstm_step(x, h, c, K, R, b)),  # c dropped
    ],
)
def _check_04_2(answer: Any) -> str | None:
    for seed, n_in, units in [(2, 1, 3), (3, 2, 4)]:
        x, h, c, K, R, b = _rnn_case(seed, n_in, units, gates=4)
        got = call(answer, x.copy(), h.copy(), c.copy(), K.copy(), R.copy(), b.copy())
        if not isinstance(got, tuple) or len(got) != 2:
            return "return the pair (h, c): the new hidden state and the new cell state."
        h_exp, c_exp = _ref_lstm_step(x, h, c, K, R, b)
        if not close(got[1], c_exp, 1e-6):
            return f"the cell state c is wrong ({n_in} input(s), {units} units)."
        if not close(got[0], h_exp, 1e-6):
            return f"the cell state is right but the hidden state h is wrong ({n_in} input(s), {units} units)."
    return None


@exercise(
    "04.3",
    "Counting recurrent parameters",
    hint="Each gate (or candidate) has its own kernel (n_in x units), recurrent kernel (units x units) and bias; "
    "Keras' default GRU has two biases per gate.",
    wrong=[
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind] * (n_in * units + units * units + units),
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind] * (n_in * units + units),
        lambda kind, n_in, units: {"simple_rnn": 1, "lstm": 3, "gru": 2}[kind] * (n_in + units + 2) * units,
    ],
)
def _check_04_3(answer: Any) -> str | None:
    gates = {"simple_rnn": (1, 1), "lstm": (4, 1), "gru": (3, 2)}  # (blocks, biases per block)
    for kind, (blocks, biases) in gates.items():
        for n_in, units in [(1, 8), (3, 16), (10, 1)]:
            got = call(answer, kind, n_in, units)
            expected = blocks * (n_in * units + units * units + biases * units)
            if not isinstance(got, (int, np.integer)) or got != expected:
                return f"wrong count for {kind!r} with {n_in} input(s) and {units} units."
    return None
