"""Realistic image shifts (MedMNIST-C-like corruptions) to test a model on "a new device".

A model trained on one hospital's X-ray machine meets other detectors, doses and post-processing. These
functions imitate four such changes on 28 x 28 grey images, each at severities 1 (mild) to 5 (strong):

- ``gaussian_noise``: a lower dose or a noisier detector (additive Gaussian noise);
- ``gaussian_blur``: a wider focal spot, patient motion or heavier smoothing in post-processing;
- ``contrast``: a different exposure or look-up table (intensities squeezed towards each image's mean);
- ``resolution``: a coarser detector (down-sampled with anti-aliasing, then interpolated back to 28 x 28).

Noise std and contrast factor cover the ranges of MedMNIST-C's PneumoniaMNIST entry (Di Salvo et al.,
2024: std 0.04-0.08, factor 0.9-0.4, on 224-pixel images) and go beyond them at the top severities; blur
and resolution are rescaled for 28-pixel images. Severities are comparable in spirit, not number for number.

Images in, images out: uint8 stays uint8 (0-255); float images must lie in [0, 1] and stay float32.
Only NumPy and SciPy are imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SEVERITIES",
    "SHIFTS",
    "apply_shift",
    "contrast",
    "gaussian_blur",
    "gaussian_noise",
    "resolution",
]

#: Parameter of each shift at severities 1..5 (noise: std on the [0, 1] scale; blur: Gaussian sigma in
#: pixels; contrast: factor applied around the image mean; resolution: fraction of the side length kept).
SEVERITIES: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.12, 0.16),
    "gaussian_blur": (0.5, 0.75, 1.0, 1.5, 2.0),
    "contrast": (0.9, 0.8, 0.6, 0.4, 0.25),
    "resolution": (0.8, 0.7, 0.6, 0.5, 0.4),
}


# --------------------------------------------------------------------------- input checks


def _to_float(images: Any) -> tuple[np.ndarray, bool]:
    """Images as float32 in [0, 1] with shape (..., H, W), and whether the input was uint8."""
    x = np.asarray(images)
    if x.dtype == object or x.dtype.kind not in "uif":
        raise TypeError(
            f"images must be a numeric array (uint8 0-255 or float in [0, 1]), got dtype {x.dtype}. "
            "Fix: pass e.g. ds.x_test as loaded."
        )
    if x.ndim == 4 and x.shape[-1] == 1:
        raise ValueError(
            f"images have a channel axis {x.shape}; pass (N, H, W) or (H, W): use x[..., 0], "
            "shift the images, then add the channel back (medtutor.preprocess.to_float01 does it)."
        )
    if x.ndim not in (2, 3) or x.shape[-1] < 4 or x.shape[-2] < 4:
        raise ValueError(
            f"images must be one grey image (H, W) or a batch (N, H, W) with H, W >= 4, got shape {x.shape}."
        )
    if x.size == 0:
        raise ValueError("images is empty; pass at least one image.")
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0), True
    if x.dtype.kind in "iu":
        raise TypeError(
            f"integer images must be uint8 (0-255), got {x.dtype}; convert with x.astype(np.uint8) if the "
            "values are 0-255, or scale to float in [0, 1]."
        )
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or inf; fix or drop those images first (np.isfinite(x).all()).")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(
            f"float images must lie in [0, 1], found [{x.min():.3g}, {x.max():.3g}]; "
            "divide 0-255 pixels by 255 or pass the uint8 images."
        )
    return x, False


def _back(x: np.ndarray, was_uint8: bool) -> np.ndarray:
    """Clip to [0, 1] and return in the input's representation (uint8 rounded, or float32)."""
    x = np.clip(x, 0.0, 1.0)
    if was_uint8:
        return np.round(x * 255.0).astype(np.uint8)
    return x.astype(np.float32)


def _param(name: str, severity: int) -> float | None:
    """The parameter of shift ``name`` at ``severity`` (1..5), None for 0 (unchanged), else a clear error."""
    if isinstance(severity, bool) or not isinstance(severity, (int, np.integer)):
        raise TypeError(f"severity must be an integer 0-5 (0 = unchanged), got {severity!r}.")
    if not 0 <= severity <= len(SEVERITIES[name]):
        raise ValueError(f"severity must be 0 (unchanged) to {len(SEVERITIES[name])}, got {severity}.")
    return None if severity == 0 else SEVERITIES[name][int(severity) - 1]


# --------------------------------------------------------------------------- the shifts


def gaussian_noise(images: Any, severity: int, seed: int = 0) -> np.ndarray:
    """Add zero-mean Gaussian noise (std from ``SEVERITIES``, on the [0, 1] scale), then clip.

    Why: fewer photons (a lower dose) or a noisier detector. ``seed`` makes the noise reproducible.
    """
    x, was_uint8 = _to_float(images)
    sigma = _param("gaussian_noise", severity)
    if sigma is None:
        return _back(x, was_uint8)
    rng = np.random.default_rng(seed)
    return _back(x + rng.normal(0.0, sigma, size=x.shape).astype(np.float32), was_uint8)


def gaussian_blur(images: Any, severity: int) -> np.ndarray:
    """Blur each image with a Gaussian of ``SEVERITIES`` sigma (pixels); edges are reflected.

    Why: a larger focal spot, patient motion or stronger smoothing make fine texture disappear.
    """
    from scipy.ndimage import gaussian_filter

    x, was_uint8 = _to_float(images)
    s = _param("gaussian_blur", severity)
    if s is None:
        return _back(x, was_uint8)
    sigma = (0.0, s, s) if x.ndim == 3 else (s, s)  # never blur across the batch axis
    return _back(gaussian_filter(x, sigma=sigma, mode="reflect"), was_uint8)


def contrast(images: Any, severity: int) -> np.ndarray:
    """Reduce contrast: ``mean + c * (x - mean)`` per image, with factor ``c`` from ``SEVERITIES``.

    Why: a different exposure, detector response or look-up table; the image keeps its mean brightness.
    """
    x, was_uint8 = _to_float(images)
    c = _param("contrast", severity)
    if c is None:
        return _back(x, was_uint8)
    mean = x.mean(axis=(-2, -1), keepdims=True)
    return _back(mean + c * (x - mean), was_uint8)


def resolution(images: Any, severity: int) -> np.ndarray:
    """Lower the resolution: anti-aliased down-sampling to a fraction of the side, then back up.

    Why: a detector with larger pixels records less detail; interpolating the result back to the
    original size (bilinear, pixel areas aligned) keeps the model's input shape.
    """
    from scipy.ndimage import gaussian_filter, zoom

    x, was_uint8 = _to_float(images)
    f = _param("resolution", severity)
    if f is None:
        return _back(x, was_uint8)
    batch = x if x.ndim == 3 else x[None]
    h, w = batch.shape[1:]
    small_h, small_w = max(2, round(h * f)), max(2, round(w * f))
    aa = (1.0 / f - 1.0) / 2.0  # scikit-image's anti-aliasing sigma for this down-sampling factor
    smooth = gaussian_filter(batch, sigma=(0.0, aa, aa), mode="reflect")
    small = zoom(smooth, (1.0, small_h / h, small_w / w), order=1, mode="nearest", grid_mode=True)
    out = zoom(small, (1.0, h / small_h, w / small_w), order=1, mode="nearest", grid_mode=True)
    return _back(out if x.ndim == 3 else out[0], was_uint8)


#: Name -> function; every function takes ``(images, severity)`` (noise also ``seed``).
SHIFTS = {
    "gaussian_noise": gaussian_noise,
    "gaussian_blur": gaussian_blur,
    "contrast": contrast,
    "resolution": resolution,
}


def apply_shift(images: Any, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """Apply shift ``name`` (a key of ``SHIFTS``) at ``severity`` 0-5; 0 returns the images unchanged."""
    if name not in SHIFTS:
        raise ValueError(f"unknown shift {name!r}; choose one of {sorted(SHIFTS)}.")
    if name == "gaussian_noise":
        return gaussian_noise(images, severity, seed=seed)
    return SHIFTS[name](images, severity)
