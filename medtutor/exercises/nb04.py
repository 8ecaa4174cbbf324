"""Checks for the exercises of notebook 04."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, exercise

# The network of exercise 04.1 (the notebook shows the same stack): (kind, kernel/pool size, stride, padding, filters).
STACK_03_1 = [
    ("conv", 5, 1, "valid", 6),
    ("maxpool", 3, 2, "valid", None),
    ("conv", 3, 2, "same", 12),
    ("maxpool", 2, 2, "valid", None),
]
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)


def _stack_shape(stack: list[tuple], n: int = 28, pool_stride_is_size: bool = False, same_ignores_stride: bool = False):
    """Output (height, width, channels) of a square input through ``stack``; the flags reproduce two common slips."""
    channels = 1
    for kind, k, s, padding, filters in stack:
        if kind == "maxpool" and pool_stride_is_size:
            s = k
        if padding == "same":
            n = n if same_ignores_stride else -(-n // s)
        else:
            n = (n - k) // s + 1
        channels = filters or channels
    return (n, n, channels)


def _as_int_tuple(answer: Any) -> tuple[int, ...] | None:
    try:
        values = tuple(answer)
    except TypeError:
        return None
    if not all(isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()) for v in values):
        return None
    return tuple(int(v) for v in values)


@exercise(
    "04.1",
    "Predict the output shape, then verify",
    hint="Apply floor((n + 2P - k) / S) + 1 layer by layer; a pooling layer has its own stride, and 'same' "
    "gives ceil(n / S), not n, when S > 1.",
    wrong=[
        _stack_shape(STACK_03_1, pool_stride_is_size=True),  # pooling stride taken as the window size
        _stack_shape(STACK_03_1, same_ignores_stride=True),  # 'same' assumed to keep the size whatever the stride
        _stack_shape(STACK_03_1)[:2] + (1,),  # channels lost
        _stack_shape(STACK_03_1)[:2],  # no channel axis
    ],
)
def _check_03_1(answer: Any) -> str | None:
    got = _as_int_tuple(answer)
    expected = _stack_shape(STACK_03_1)
    if got is None or len(got) != 3:
        return "give the shape as a tuple of three whole numbers: (height, width, channels)."
    if got[2] != expected[2]:
        return "the number of channels is wrong: which layer sets it last?"
    if got == _stack_shape(STACK_03_1, pool_stride_is_size=True):
        return "this is the shape if the pooling stride were the window size; look at `strides` again."
    if got == _stack_shape(STACK_03_1, same_ignores_stride=True):
        return "'same' padding keeps the size only when the stride is 1."
    if got != expected:
        return "the spatial size is wrong: recompute the four layers one at a time."
    return None


@exercise(
    "04.2",
    "Dilation: predict and measure the receptive field",
    hint="A k x k kernel with dilation d spans d(k-1)+1 pixels; measure with the gradient probe of section 9.",
    wrong=[(10, 10), (9, 9), (18, 18), 14],
)
def _check_03_2(answer: Any) -> str | None:
    got = _as_int_tuple(answer) if not isinstance(answer, (int, np.integer)) else None
    effective = 2 * (5 - 1) + 1  # conv1: 5x5 kernel, dilation 2
    rf, jump = 1, 1
    for k, s in [(effective, 1), (2, 2), (3, 1)]:
        rf, jump = rf + (k - 1) * jump, jump * s
    if got is None or len(got) != 2:
        return "give the measured span as a tuple (rows, columns) of whole numbers."
    if got == (10, 10):
        return "that is the receptive field without dilation: did you add dilation_rate=2 to the first layer?"
    if got != (rf, rf):
        return (
            "the span does not match the probe with a dilated first layer: count the rows and columns with "
            "non-zero gradient."
        )
    return None


def _sign_on_step(kernel: np.ndarray, flip: bool) -> str:
    """Sign of the response to a dark-to-bright (left-to-right) vertical edge."""
    x = np.zeros((5, 6))
    x[:, 3:] = 1.0
    w = kernel[::-1, ::-1] if flip else kernel
    from numpy.lib.stride_tricks import sliding_window_view

    y = np.einsum("ijpq,pq->ij", sliding_window_view(x, w.shape), w)
    peak = y[np.unravel_index(np.argmax(np.abs(y)), y.shape)]
    return "positive" if peak > 0 else "negative"


@exercise(
    "04.3",
    "Which sign does the edge get?",
    hint="Keras slides the kernel as it is; the true convolution rotates it by 180 degrees first. "
    "Which column of sobel_x lands on the bright side?",
    wrong=[
        {"keras": "positive", "convolution": "positive"},
        {"keras": "negative", "convolution": "negative"},
        {"keras": "positive", "convolution": "negative"},
    ],
)
def _check_03_3(answer: Any) -> str | None:
    if not isinstance(answer, dict) or set(answer) != {"keras", "convolution"}:
        return 'answer with a dict {"keras": ..., "convolution": ...}, each "positive" or "negative".'
    values = {k: str(v).strip().lower() for k, v in answer.items()}
    if not set(values.values()) <= {"positive", "negative"}:
        return 'each value must be "positive" or "negative".'
    expected = {"keras": _sign_on_step(SOBEL_X, flip=False), "convolution": _sign_on_step(SOBEL_X, flip=True)}
    if values["keras"] == values["convolution"]:
        return "the two operations differ by a 180-degree rotation of this kernel, which changes its sign."
    if values != expected:
        return "the signs are swapped: which operation flips the kernel?"
    return None


def _ref_receptive_field(layers: list[tuple[int, int]]) -> int:
    """Reference receptive field of a stack of (kernel, stride) layers."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


@exercise(
    "04.4",
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
