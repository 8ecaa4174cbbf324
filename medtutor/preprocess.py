"""Image preprocessing for the CNN lessons: scaling, resize / crop / shift / rotate, tf.data pipelines.

Notebook 06 writes each step out by hand first (and shows why a popular textbook snippet gets resize,
crop and shift wrong); notebook 07 and later lessons reuse them from here. Everything works on NumPy
arrays; only :func:`make_dataset` needs TensorFlow, and it imports it inside the function so that
``import medtutor.preprocess`` stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "to_float01",
    "minmax_scale",
    "zscore",
    "resize",
    "center_crop",
    "shift",
    "rotate",
    "make_dataset",
]


# --------------------------------------------------------------------------- input checks


def _check_image(img: Any, name: str = "img") -> np.ndarray:
    """Return one image as a finite float array of shape (H, W) or (H, W, C), or raise a clear error."""
    arr = np.asarray(img)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be ONE image of shape (H, W) or (H, W, C), got shape {arr.shape}. "
            "Fix: for a batch, loop over the images (or index one, e.g. x[0])."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    return _validate.check_numbers(arr, name, "clean or clip the image before preprocessing.")


def _check_size(size: Any, name: str = "size") -> tuple[int, int]:
    """Accept an int or an (height, width) pair of positive integers."""
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    try:
        h, w = (int(s) for s in size)
        if (h, w) != tuple(size):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a (height, width) pair of ints, got {size!r}.") from None
    if h <= 0 or w <= 0:
        raise ValueError(f"{name} must be positive, got {(h, w)}.")
    return h, w


# --------------------------------------------------------------------------- intensity


def to_float01(x_uint8: Any) -> np.ndarray:
    """Scale a uint8 image batch (N, H, W) or (N, H, W, 1) to float32 in [0, 1] with shape (N, H, W, 1).

    Why: a CNN trains best on small inputs of a fixed dtype, and Keras Conv2D wants a channel axis.
    Dividing by 255 (not by the batch maximum) keeps the scale identical for train, val, test and a
    single new image.
    """
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        hint = (
            " It already looks scaled: use it as is."
            if np.issubdtype(x.dtype, np.floating) and x.size and x.max() <= 1
            else ""
        )
        raise TypeError(
            f"to_float01 expects raw uint8 pixels (0-255), got dtype {x.dtype}.{hint} "
            "Fix: pass the dataset's images as loaded (e.g. ds.x_train), or x.astype(np.uint8) if they are 0-255 "
            "integers."
        )
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise ValueError(
            f"to_float01 expects a batch of grey images (N, H, W) or (N, H, W, 1), got shape {x.shape}. "
            "Fix: for one image use x[None], for colour images convert to grey first."
        )
    if x.shape[0] == 0:
        raise ValueError("to_float01 got an empty batch (N = 0).")
    return (x.astype(np.float32) / np.float32(255.0))[..., None]


def minmax_scale(img: Any) -> np.ndarray:
    """Rescale one image to [0, 1] by its own minimum and maximum (float32).

    Why: it makes images with different brightness ranges comparable, but one hot pixel changes the
    whole image's scale; a constant image has no range and is returned as zeros.
    """
    arr = _check_image(img).astype(np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    if hi == lo:
        return np.zeros_like(arr)
    return (arr - lo) / np.float32(hi - lo)


def zscore(img: Any, mean: float | None = None, std: float | None = None) -> np.ndarray:
    """Standardise one image to zero mean and unit standard deviation (float32).

    Pass ``mean`` / ``std`` computed on the TRAINING set to apply the same transform to every split;
    by default the image's own statistics are used. A constant image has std 0 and gives zeros.
    """
    arr = _check_image(img).astype(np.float32)
    if (mean is None) != (std is None):
        raise ValueError("pass both mean and std (from the training set), or neither.")
    if mean is None:
        mean, std = float(arr.mean()), float(arr.std())
        if std == 0:
            return np.zeros_like(arr)
    if not np.isfinite(mean) or not np.isfinite(std) or std <= 0:
        raise ValueError(f"std must be a positive finite number and mean finite, got mean={mean}, std={std}.")
    return (arr - np.float32(mean)) / np.float32(std)


# --------------------------------------------------------------------------- geometry


def resize(img: Any, size: int | tuple[int, int], order: int = 1) -> np.ndarray:
    """Resize one image to ``size`` (int or (height, width)) with anti-aliasing, keeping its value range.

    Why scikit-image: ``preserve_range=True`` keeps HU or 0-255 values instead of silently rescaling
    them to [0, 1], and anti-aliasing avoids moire patterns when shrinking. Returns float32.
    """
    from skimage.transform import resize as _resize

    arr = _check_image(img)
    h, w = _check_size(size)
    out_shape = (h, w) + arr.shape[2:]
    shrinking = h < arr.shape[0] or w < arr.shape[1]
    out = _resize(arr.astype(np.float32), out_shape, order=order, preserve_range=True, anti_aliasing=shrinking)
    return out.astype(np.float32)


def center_crop(img: Any, size: int | tuple[int, int]) -> np.ndarray:
    """Cut the central ``size`` (int or (height, width)) window out of one image.

    Unlike hard-coded slices such as ``image[70:240, 70:240]`` (which NumPy silently shortens when
    they run past the edge), this raises an error when the crop is larger than the image.
    """
    arr = _check_image(img)
    h, w = _check_size(size)
    H, W = arr.shape[:2]
    if h > H or w > W:
        raise ValueError(
            f"cannot crop {(h, w)} out of an image of {(H, W)}: the crop must fit inside the image. "
            "Fix: resize to at least the crop size first, or crop less."
        )
    top, left = (H - h) // 2, (W - w) // 2
    return arr[top : top + h, left : left + w].copy()


def shift(img: Any, dy: float, dx: float, fill: float = 0.0) -> np.ndarray:
    """Translate one image by ``dy`` rows (down) and ``dx`` columns (right); uncovered pixels get ``fill``.

    Uses ``scipy.ndimage.shift`` with linear interpolation so sub-pixel shifts work. Returns float32.
    """
    from scipy import ndimage

    arr = _check_image(img).astype(np.float32)
    for name, value in (("dy", dy), ("dx", dx)):
        if not np.isfinite(float(value)):
            raise ValueError(f"{name} must be a finite number of pixels, got {value!r}.")
    offsets = (float(dy), float(dx)) + (0.0,) * (arr.ndim - 2)
    return ndimage.shift(arr, offsets, order=1, mode="constant", cval=float(fill)).astype(np.float32)


def rotate(img: Any, angle: float, fill: float = 0.0) -> np.ndarray:
    """Rotate one image by ``angle`` degrees counter-clockwise about its centre, keeping its size.

    Uses ``skimage.transform.rotate`` with ``preserve_range=True`` (values are not rescaled); corners
    that come from outside the image get ``fill``. Returns float32.
    """
    from skimage.transform import rotate as _rotate

    arr = _check_image(img).astype(np.float32)
    if not np.isfinite(float(angle)):
        raise ValueError(f"angle must be a finite number of degrees, got {angle!r}.")
    out = _rotate(arr, float(angle), order=1, mode="constant", cval=float(fill), preserve_range=True)
    return out.astype(np.float32)


# --------------------------------------------------------------------------- tf.data


def make_dataset(
    x: Any,
    y: Any,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    augment: Any = None,
    cache: bool = True,
    prefetch: bool = True,
) -> Any:
    """A ``tf.data.Dataset`` of (image, label) batches: cache -> shuffle -> batch -> augment -> prefetch.

    ``x`` is float32 (N, H, W, C) (see :func:`to_float01`), ``y`` has N labels. ``augment`` is a
    callable on a batch (e.g. a ``keras.Sequential`` of random layers) applied to the training data
    only; shuffling is reseeded each epoch from ``seed`` so runs reproduce. Why this order: caching
    before shuffling keeps the decoded images in memory, batching before augmenting lets the random
    layers work on whole batches, and prefetching overlaps the input pipeline with training.
    """
    import tensorflow as tf

    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 4:
        raise ValueError(f"x must be a batch (N, H, W, C), got shape {x.shape}. Fix: use to_float01(x) first.")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be float (scaled), got dtype {x.dtype}. Fix: use to_float01(x) first.")
    _validate.check_numbers(x, "x", "clean the images first.")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with one label per image: x has {len(x)} images, y has shape {y.shape}.")
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be callable on a batch (e.g. a keras.Sequential), got {type(augment).__name__}.")
    ds = tf.data.Dataset.from_tensor_slices((x.astype(np.float32), y.astype(np.float32)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=int(seed), reshuffle_each_iteration=True)
    ds = ds.batch(int(batch_size))
    if augment is not None:
        import keras

        if isinstance(augment, keras.layers.Layer):  # random layers act only with training=True
            layer = augment

            def augment(xb: Any) -> Any:
                return layer(xb, training=True)

        ds = ds.map(lambda xb, yb: (augment(xb), yb), num_parallel_calls=1)  # 1 call: reproducible order
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
