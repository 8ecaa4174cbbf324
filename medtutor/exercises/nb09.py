"""Checks for the exercises of notebook 09."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, exercise


@exercise(
    "09.1",
    "Parameters of a 3D convolution",
    hint="Each output channel has one weight per voxel of the k x k x k cube per input channel, plus one bias.",
    wrong=[
        lambda k, c_in, c_out: (k**2 * c_in + 1) * c_out,  # the 2D formula
        lambda k, c_in, c_out: k**3 * c_in * c_out,  # bias forgotten
        lambda k, c_in, c_out: (k**3 + 1) * c_out,  # input channels forgotten
    ],
)
def _check_09_1(answer: Any) -> str | None:
    cases = [(3, 1, 8), (3, 8, 16), (5, 2, 4), (1, 16, 32), (3, 16, 32)]
    for k, c_in, c_out in cases:
        got = call(answer, k, c_in, c_out)
        if not isinstance(got, (int, np.integer, float)) or isinstance(got, bool):
            return f"return one number, got {type(got).__name__}."
        if got != (k**3 * c_in + 1) * c_out:
            return f"wrong count for k={k}, c_in={c_in}, c_out={c_out}."
    return None


@exercise(
    "09.2",
    "Planes through any point",
    hint="axial = volume[k, :, :], coronal = volume[:, j, :], sagittal = volume[:, :, i]; stack them on a new last axis.",
    wrong=[
        lambda v, k, j, i: np.stack([v[k], v[:, j], v[:, :, i]], axis=0),  # channels first
        lambda v, k, j, i: np.stack([v[14], v[:, 14], v[:, :, 14]], axis=-1),  # always the centre
        lambda v, k, j, i: np.stack([v[:, :, i], v[:, j], v[k]], axis=-1),  # planes in the wrong order
    ],
)
def _check_09_2(answer: Any) -> str | None:
    rng = np.random.default_rng(92)
    for size, point in ((28, (3, 20, 9)), (7, (1, 5, 2))):
        vol = rng.integers(0, 255, (size, size, size)).astype(np.uint8)
        got = np.asarray(call(answer, vol.copy(), *point))
        k, j, i = point
        expected = np.stack([vol[k, :, :], vol[:, j, :], vol[:, :, i]], axis=-1)
        if got.shape != expected.shape:
            return f"expected shape {expected.shape} for a {size}^3 volume, got {got.shape}."
        for c, plane in enumerate(("axial", "coronal", "sagittal")):
            if not np.array_equal(got[..., c], expected[..., c]):
                return f"channel {c} is not the {plane} slice through {point} of a {size}^3 volume."
    return None
