"""Checks for the exercises of notebook 03."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, close, exercise


def _ref_convolve2d_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Reference true convolution ('valid'), from SciPy, for the notebook 03 checks."""
    import scipy.signal

    return scipy.signal.convolve2d(x, w, mode="valid")


@exercise(
    "03.1",
    "Convolution with the flip",
    hint="The true convolution is a cross-correlation with the kernel rotated by 180 degrees: w[::-1, ::-1].",
    wrong=[
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w)[::-1, ::-1]),  # cross-correlation
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w)[::-1, :]),  # flips rows only
        lambda x, w: _ref_convolve2d_valid(np.asarray(x), np.asarray(w).T),  # transposes instead of flipping
    ],
)
def _check_03_1(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    for shape, kshape in [((6, 7), (3, 3)), ((9, 8), (2, 3)), ((5, 5), (5, 1))]:
        x, w = rng.normal(size=shape), rng.normal(size=kshape)
        got = np.asarray(call(answer, x.copy(), w.copy()), dtype=float)
        expected = _ref_convolve2d_valid(x, w)
        if got.shape != expected.shape:
            return f"for x of shape {shape} and w of shape {kshape} the output shape should be (n-k+1, m-l+1), got {got.shape}."
        if not close(got, expected, 1e-5):
            if close(got, _ref_convolve2d_valid(x, w[::-1, ::-1]), 1e-5):
                return "this is the cross-correlation (what Keras computes), not the convolution."
            return f"wrong values for x of shape {shape} and a {kshape[0]}x{kshape[1]} kernel."
    return None


@exercise(
    "03.2",
    "Output size of a convolution",
    hint="Count the positions of the kernel in the padded input (n + 2P pixels), one every `stride` pixels.",
    wrong=[
        lambda n, k, s, p: (n + 2 * p - k) / s + 1,  # no floor
        lambda n, k, s, p: (n + p - k) // s + 1,  # padding on one side only
        lambda n, k, s, p: (n - k) // s + 1,  # ignores padding
        lambda n, k, s, p: (n + 2 * p - k + 1) // s,  # off by one
    ],
)
def _check_03_2(answer: Any) -> str | None:
    cases = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 5, 2, 0), (28, 5, 2, 2), (32, 7, 3, 1), (10, 2, 2, 0), (7, 3, 2, 1)]
    for n, k, s, p in cases:
        got = call(answer, n, k, s, p)
        expected = (n + 2 * p - k) // s + 1
        if not isinstance(got, (int, np.integer)):
            return f"return an int (a number of positions), got {type(got).__name__} for n={n}, k={k}, stride={s}, padding={p}."
        if got != expected:
            return f"wrong size for n={n}, k={k}, stride={s}, padding={p}."
    return None


@exercise(
    "03.3",
    "Parameters of a convolution layer",
    hint="One k x k x c_in kernel per output channel, plus one bias per output channel.",
    wrong=[
        lambda k, c_in, c_out: k * k * c_in * c_out,  # forgets the biases
        lambda k, c_in, c_out: (k * k + 1) * c_out,  # forgets the input channels
        lambda k, c_in, c_out: k * k * c_in * c_out + c_in,  # one bias per input channel
    ],
)
def _check_03_3(answer: Any) -> str | None:
    for k, c_in, c_out in [(3, 1, 8), (5, 1, 8), (3, 8, 16), (1, 3, 4), (7, 3, 64)]:
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer)) or got != (k * k * c_in + 1) * c_out:
            return f"wrong count for a {k}x{k} kernel, {c_in} input and {c_out} output channels."
    return None


def _ref_receptive_field(layers: list[tuple[int, int]]) -> int:
    """Reference receptive field of a stack of (kernel, stride) layers."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


@exercise(
    "03.4",
    "Receptive field of a stack of layers",
    hint="r grows by (k - 1) times the jump of the layer below; the jump multiplies by each stride.",
    wrong=[
        lambda layers: 1 + sum(k - 1 for k, s in layers),  # ignores strides
        lambda layers: int(np.prod([k for k, s in layers])),  # multiplies kernel sizes
        lambda layers: sum(k for k, s in layers),  # adds kernel sizes
    ],
)
def _check_03_4(answer: Any) -> str | None:
    stacks = [
        [(3, 1)],
        [(3, 1), (3, 1)],
        [(5, 1), (2, 2), (3, 1), (2, 2)],
        [(7, 2), (3, 2), (3, 1), (3, 1)],
        [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)],
    ]
    for layers in stacks:
        got = call(answer, [tuple(layer) for layer in layers])
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return f"return the receptive field as a number of pixels, got {type(got).__name__}."
        if got != _ref_receptive_field(layers):  # 7.0 is as right as 7: a float of the right value is accepted
            return f"wrong receptive field for the layers {layers}."
    return None
