"""3D volumes (CT, MRI): orthogonal slices for viewing, 3D augmentation and 2.5D inputs.

Notebook 09 writes each of these out first; later lessons reuse them from here. Volumes are numpy
arrays indexed ``(z, y, x)``: ``volume[k]`` is an axial slice, ``volume[:, j]`` a coronal slice and
``volume[:, :, i]`` a sagittal slice (the MedMNIST 3D convention). A batch is ``(N, z, y, x)``.
No TensorFlow here: importing this module stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "PLANES",
    "augment_batch",
    "augment_volume",
    "check_volume",
    "orthogonal_slices",
    "show_orthogonal",
    "two_and_half_d",
]

PLANES = ("axial", "coronal", "sagittal")


def check_volume(volume: Any, name: str = "volume") -> np.ndarray:
    """Return ``volume`` as a 3D numpy array, or raise a clear error naming the fix."""
    if isinstance(volume, (list, tuple)):
        volume = np.asarray(volume)
    if not isinstance(volume, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (z, y, x), got {type(volume).__name__}.")
    if volume.ndim == 4 and volume.shape[-1] == 1:
        raise ValueError(f"{name} has shape {volume.shape}: drop the channel axis first, e.g. {name}[..., 0].")
    if volume.ndim != 3:
        raise ValueError(
            f"{name} must be 3D (z, y, x), got shape {volume.shape}; for a batch, pass one volume "
            f"({name}[i]) or use the batch functions."
        )
    if min(volume.shape) < 1:
        raise ValueError(f"{name} is empty: shape {volume.shape}.")
    if not (np.issubdtype(volume.dtype, np.number) or volume.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {volume.dtype}.")
    if np.issubdtype(volume.dtype, np.floating) and not np.all(np.isfinite(volume)):
        raise ValueError(f"{name} contains NaN or inf: clean it first (e.g. np.nan_to_num).")
    return volume


def _check_batch(volumes: Any, name: str = "volumes") -> np.ndarray:
    """Return ``volumes`` as an (N, z, y, x) array, or raise a clear error naming the fix."""
    if not isinstance(volumes, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (N, z, y, x), got {type(volumes).__name__}.")
    if volumes.ndim == 5 and volumes.shape[-1] == 1:
        raise ValueError(f"{name} has shape {volumes.shape}: drop the channel axis first ({name}[..., 0]).")
    if volumes.ndim != 4:
        raise ValueError(f"{name} must be a batch (N, z, y, x), got shape {volumes.shape}.")
    if np.issubdtype(volumes.dtype, np.floating) and not np.all(np.isfinite(volumes)):
        raise ValueError(f"{name} contains NaN or inf: clean it first (e.g. np.nan_to_num).")
    return volumes


def _index(volume: np.ndarray, index: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """The (z, y, x) point the three slices pass through; the centre by default."""
    if index is None:
        return tuple(s // 2 for s in volume.shape)  # type: ignore[return-value]
    if len(index) != 3:
        raise ValueError(f"index must be a (z, y, x) triple, got {index!r}.")
    out = []
    for axis, (i, size) in enumerate(zip(index, volume.shape)):
        if not isinstance(i, (int, np.integer)) or not 0 <= i < size:
            raise IndexError(f"index[{axis}] = {i!r} is outside 0..{size - 1} for a volume of shape {volume.shape}.")
        out.append(int(i))
    return tuple(out)  # type: ignore[return-value]


def orthogonal_slices(volume: Any, index: tuple[int, int, int] | None = None) -> dict[str, np.ndarray]:
    """The axial, coronal and sagittal slices through the point ``index`` = (z, y, x) (default: centre).

    Why: a radiologist reads a CT volume as three linked planes; a slider moves through one of them.
    """
    vol = check_volume(volume)
    k, j, i = _index(vol, index)
    return {"axial": vol[k, :, :], "coronal": vol[:, j, :], "sagittal": vol[:, :, i]}


def show_orthogonal(volume: Any, index: tuple[int, int, int] | None = None, axes: Any = None, title: str = ""):
    """Draw the three orthogonal slices through ``index`` with crosshairs; return the figure.

    ``axes``: three matplotlib axes to draw into (a new 1x3 figure when None).
    """
    import matplotlib.pyplot as plt

    vol = check_volume(volume)
    k, j, i = _index(vol, index)
    slices = orthogonal_slices(vol, (k, j, i))
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    else:
        if len(axes) != 3:
            raise ValueError(f"axes must be three matplotlib axes, got {len(axes)}.")
        fig = axes[0].figure
    lo, hi = float(vol.min()), float(vol.max())
    # crosshair positions in each slice: (column, row)
    cross = {"axial": (i, j), "coronal": (i, k), "sagittal": (j, k)}
    for ax, plane in zip(axes, PLANES):
        ax.imshow(slices[plane], cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
        col, row = cross[plane]
        ax.axvline(col, color="yellow", lw=0.6, alpha=0.7)
        ax.axhline(row, color="yellow", lw=0.6, alpha=0.7)
        ax.set_title(f"{plane}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or f"slices through (z, y, x) = ({k}, {j}, {i})", fontsize=10)
    return fig


def augment_volume(
    volume: Any, rng: np.random.Generator, flip: bool = True, rotate: bool = True, max_shift: int = 0
) -> np.ndarray:
    """A randomly flipped / axially rotated / shifted copy of one volume (labels unchanged).

    Why: a nodule is benign or malignant whatever its orientation, so flips along each axis and
    90-degree turns in the axial plane make new, still-correct training examples. Draw order (fixed,
    so results reproduce): three flip coins (z, y, x), one rotation count, then three shifts.
    ``max_shift`` > 0 moves the volume by up to that many voxels per axis, padding with the edge value.
    """
    vol = check_volume(volume)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator: rng = np.random.default_rng(seed).")
    if not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}.")
    out = vol
    if flip:
        for axis in range(3):
            if rng.random() < 0.5:
                out = np.flip(out, axis=axis)
    if rotate:
        if out.shape[1] != out.shape[2]:
            raise ValueError(
                f"axial rotation needs square axial slices (y == x), got shape {out.shape}; use rotate=False."
            )
        out = np.rot90(out, k=int(rng.integers(4)), axes=(1, 2))
    if max_shift:
        shifts = rng.integers(-max_shift, max_shift + 1, size=3)
        pad = [(max_shift, max_shift)] * 3
        padded = np.pad(out, pad, mode="edge")
        sl = tuple(slice(max_shift - s, max_shift - s + n) for s, n in zip(shifts, out.shape))
        out = padded[sl]
    return np.ascontiguousarray(out)


def augment_batch(volumes: Any, seed: int | np.random.Generator, **kwargs: Any) -> np.ndarray:
    """:func:`augment_volume` applied to every volume of an (N, z, y, x) batch, reproducibly from ``seed``."""
    batch = _check_batch(volumes)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return np.stack([augment_volume(v, rng, **kwargs) for v in batch])


def two_and_half_d(volumes: Any, index: tuple[int, int, int] | None = None) -> np.ndarray:
    """The 2.5D input of a batch: axial, coronal and sagittal slices through ``index`` as 3 channels.

    ``(N, s, s, s)`` -> ``(N, s, s, 3)`` (same dtype). Why: a 2D CNN on three orthogonal planes sees
    much of a nodule's 3D shape at a fraction of a 3D CNN's cost (Setio et al., 2016). Needs cubic
    volumes, since the three planes become channels of one image.
    """
    batch = _check_batch(volumes)
    n, d, h, w = batch.shape
    if not d == h == w:
        raise ValueError(
            f"2.5D stacking needs cubic volumes (z == y == x), got {batch.shape[1:]}; crop or resize first."
        )
    k, j, i = _index(batch[0], index)
    return np.stack([batch[:, k, :, :], batch[:, :, j, :], batch[:, :, :, i]], axis=-1)
