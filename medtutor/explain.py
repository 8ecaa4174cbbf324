"""Explanation maps for image classifiers: Grad-CAM, saliency, SmoothGrad, occlusion, integrated gradients.

Notebook 14 writes each method out by hand first and then checks it against the function here; later
notebooks (the capstone) reuse these functions. Every map function takes a Keras model whose output is
one probability per image (``Dense(1, activation="sigmoid")``) or one score per class, and a float32 batch
``x`` of shape ``(N, H, W, C)``. A single image ``(H, W, C)`` is accepted too and gives a single map.

Why the *logit*: when the final layer is a sigmoid, we explain the pre-sigmoid score ``z``. A probability
that saturates at 1.0 has a zero gradient in float32, while ``z`` keeps the information. For Grad-CAM the
two give the same normalised map (``dp/dA = p(1-p) dz/dA`` is a positive rescaling per image).

TensorFlow/Keras are imported inside the functions so that ``import medtutor.explain`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medtutor import _validate

__all__ = [
    "class_score",
    "grad_cam",
    "saliency",
    "smoothgrad",
    "occlusion",
    "occlusion_1d",
    "integrated_gradients",
    "randomize_weights",
    "map_similarity",
    "overlay",
    "corner_fraction",
]


# --------------------------------------------------------------------------- input checks
def _check_batch(x, name: str = "x") -> tuple[np.ndarray, bool]:
    """Return ``x`` as a float32 (N, H, W, C) batch and whether a single image was given.

    Why: a wrong dtype (uint8 0-255 instead of float 0-1) or a missing channel axis silently gives
    meaningless maps, so we refuse it with a message that names the fix.
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}.") from exc
    if x.dtype == np.uint8:
        raise TypeError(
            f"{name} is uint8 (raw pixels 0-255); scale it first, e.g. "
            "medtutor.preprocess.to_float01(x), so the model sees what it was trained on."
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a float array (got dtype {x.dtype}); use x.astype('float32').")
    single = False
    if x.ndim == 3:
        x, single = x[None], True
    if x.ndim != 4:
        raise ValueError(
            f"{name} must have shape (N, H, W, C) or (H, W, C), got {x.shape}; add the channel axis with x[..., None]."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 images); pass at least one image.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf values; clean or re-preprocess the input.")
    return x.astype(np.float32, copy=False), single


def _check_model(model) -> None:
    """Refuse objects that are not callable Keras models, with the fix in the message."""
    if not callable(model) or not hasattr(model, "layers"):
        raise TypeError(
            f"model must be a Keras model, got {type(model).__name__}; "
            "load one with medtutor.models.load_or_train_pneumonia_model()."
        )


def _check_class_index(model, class_index: int) -> int:
    """A sigmoid model has classes 0 and 1; a softmax model has ``n_outputs`` classes."""
    n_out = int(model.output_shape[-1])
    n_classes = 2 if n_out == 1 else n_out
    if not isinstance(class_index, (int, np.integer)) or not 0 <= class_index < n_classes:
        raise ValueError(f"class_index must be an int in [0, {n_classes - 1}], got {class_index!r}.")
    return int(class_index)


# --------------------------------------------------------------------------- scores
def _score_fn(model, class_index: int, layer_name: str | None = None):
    """Build ``f(x) -> (activations or None, score per image)`` where score is the class logit.

    For a final ``Dense(1, sigmoid)`` the logit is recomputed from the layer's input and weights, so
    saturated probabilities do not kill the gradient. Class 0 of a sigmoid model is ``-logit``.
    """
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    use_logit = isinstance(last, keras.layers.Dense) and getattr(last.activation, "__name__", "") == "sigmoid"
    outputs = []
    if layer_name is not None:
        try:
            outputs.append(model.get_layer(layer_name).output)
        except ValueError as exc:
            names = [layer.name for layer in model.layers]
            raise ValueError(f"model has no layer named {layer_name!r}; its layers are {names}.") from exc
    outputs.append(last.input if use_logit else model.outputs[0])
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    sub = keras.Model(inputs, outputs)
    n_out = int(model.output_shape[-1])

    def f(x):
        res = sub(x, training=False)
        res = res if isinstance(res, (list, tuple)) else [res]
        head = res[-1]
        if use_logit:
            z = tf.matmul(head, last.kernel) + last.bias
        else:
            z = head
        if n_out == 1:
            score = z[:, 0] if class_index == 1 else -z[:, 0]
        else:
            score = z[:, class_index]
        acts = res[0] if layer_name is not None else None
        return acts, score

    return f


def class_score(model, x, class_index: int = 1) -> np.ndarray:
    """The score (logit) every map explains, one value per image: useful to check completeness."""
    _check_model(model)
    x, _ = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    f = _score_fn(model, class_index)
    return np.asarray(f(x)[1], dtype=np.float32)


def _resize_maps(maps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of (N, h, w) maps to (N, H, W), as in the Grad-CAM paper."""
    import tensorflow as tf

    up = tf.image.resize(maps[..., None], shape, method="bilinear")
    return np.asarray(up[..., 0], dtype=np.float32)


def _normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its own maximum (an all-zero map stays zero)."""
    peak = maps.reshape(len(maps), -1).max(axis=1)
    peak = np.where(peak > 0, peak, 1.0)
    return (maps / peak[:, None, None]).astype(np.float32)


# --------------------------------------------------------------------------- methods
def grad_cam(model, x, layer_name: str = "last_conv", class_index: int = 1, normalise: bool = True) -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017): ReLU(sum_k alpha_k A_k), alpha_k = spatial mean of dscore/dA_k.

    Returns float32 maps of shape (N, H, W) at the input resolution (bilinear upsampling), each scaled to
    [0, 1] when ``normalise`` (the default), or a single (H, W) map for a single image.
    """
    import tensorflow as tf

    _check_model(model)
    x, single = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    f = _score_fn(model, class_index, layer_name)
    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        acts, score = f(xt)
    grads = tape.gradient(score, acts)
    if acts.shape.rank != 4:
        raise ValueError(
            f"layer {layer_name!r} outputs shape {tuple(acts.shape)}; Grad-CAM needs a convolutional "
            "layer with a (N, h, w, channels) output."
        )
    if grads is None:
        raise ValueError(f"the class score does not depend on layer {layer_name!r}; pick a layer before the output.")
    alpha = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(alpha * acts, axis=-1))
    cam = _resize_maps(np.asarray(cam, dtype=np.float32), x.shape[1:3])
    cam = np.maximum(cam, 0.0)
    if normalise:
        cam = _normalise(cam)
    return cam[0] if single else cam


def _input_gradients(model, x: np.ndarray, class_index: int) -> np.ndarray:
    """d score / d x for a float32 batch, as a NumPy array of the same shape as ``x``."""
    import tensorflow as tf

    f = _score_fn(model, class_index)
    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        _, score = f(xt)
    return np.asarray(tape.gradient(score, xt), dtype=np.float32)


def saliency(model, x, class_index: int = 1) -> np.ndarray:
    """Vanilla gradient saliency (Simonyan et al., 2014): max over channels of |d score / d x|.

    Returns (N, H, W) float32 maps (not normalised), or (H, W) for a single image.
    """
    _check_model(model)
    x, single = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    sal = np.abs(_input_gradients(model, x, class_index)).max(axis=-1)
    return sal[0] if single else sal


def smoothgrad(model, x, class_index: int = 1, n_samples: int = 25, noise: float = 0.15, seed: int = 0) -> np.ndarray:
    """SmoothGrad (Smilkov et al., 2017): average |gradient| over noisy copies of the input.

    ``noise`` is the Gaussian standard deviation as a fraction of each image's value range (the paper
    recommends 10-20 %). Same output shape as :func:`saliency`. Deterministic for a given ``seed``.
    """
    _check_model(model)
    x, single = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    if not noise >= 0:
        raise ValueError(f"noise must be a non-negative fraction of the value range, got {noise}.")
    rng = np.random.default_rng(seed)
    span = (x.reshape(len(x), -1).max(axis=1) - x.reshape(len(x), -1).min(axis=1)).reshape(-1, 1, 1, 1)
    total = np.zeros(x.shape[:3], dtype=np.float32)
    for _ in range(int(n_samples)):
        noisy = x + rng.normal(0.0, 1.0, size=x.shape).astype(np.float32) * noise * span
        total += np.abs(_input_gradients(model, noisy.astype(np.float32), class_index)).max(axis=-1)
    out = total / int(n_samples)
    return out[0] if single else out


def integrated_gradients(model, x, class_index: int = 1, baseline=None, steps: int = 32) -> np.ndarray:
    """Integrated gradients (Sundararajan et al., 2017), summed over channels: (N, H, W) float32.

    ``attr = (x - x0) * mean_{a in (0,1]} d score(x0 + a (x - x0)) / dx`` (right Riemann sum with
    ``steps`` points; the trapezoid rule). Completeness: ``attr.sum() ~= score(x) - score(x0)``, which
    the notebook checks. ``baseline`` defaults to a black image (zeros).
    """
    _check_model(model)
    x, single = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    if int(steps) < 2:
        raise ValueError(f"steps must be >= 2, got {steps}.")
    x0 = np.zeros_like(x) if baseline is None else _check_batch(np.broadcast_to(baseline, x.shape))[0]
    alphas = np.linspace(0.0, 1.0, int(steps) + 1, dtype=np.float32)
    grads = []
    for a in alphas:
        grads.append(_input_gradients(model, (x0 + a * (x - x0)).astype(np.float32), class_index))
    grads = np.stack(grads)  # (steps+1, N, H, W, C)
    avg = (grads[:-1] + grads[1:]).sum(axis=0) / (2.0 * int(steps))  # trapezoid rule
    attr = ((x - x0) * avg).sum(axis=-1).astype(np.float32)
    return attr[0] if single else attr


def occlusion(
    model,
    x,
    class_index: int = 1,
    patch: int = 4,
    stride: int = 2,
    baseline: float = 0.0,
    batch_size: int = 256,
) -> np.ndarray:
    """Occlusion sensitivity (Zeiler & Fergus, 2014): score drop when a ``patch`` square is greyed out.

    Each pixel gets the mean drop over the patches that cover it: (N, H, W) float32, positive where hiding
    the region lowers the class score (the region supports the class).
    """
    _check_model(model)
    x, single = _check_batch(x)
    class_index = _check_class_index(model, class_index)
    n, h, w, _ = x.shape
    if not (1 <= int(patch) <= min(h, w)) or int(stride) < 1:
        raise ValueError(f"need 1 <= patch <= {min(h, w)} and stride >= 1, got patch={patch}, stride={stride}.")
    f = _score_fn(model, class_index)
    ref = np.asarray(f(x)[1])
    corners = [(i, j) for i in range(0, h - patch + 1, stride) for j in range(0, w - patch + 1, stride)]
    heat = np.zeros((n, h, w), dtype=np.float64)
    count = np.zeros((h, w), dtype=np.float64)
    for img in range(n):
        variants = np.repeat(x[img : img + 1], len(corners), axis=0)
        for k, (i, j) in enumerate(corners):
            variants[k, i : i + patch, j : j + patch, :] = baseline
        scores = np.concatenate(
            [np.asarray(f(variants[s : s + batch_size])[1]) for s in range(0, len(variants), batch_size)]
        )
        for k, (i, j) in enumerate(corners):
            heat[img, i : i + patch, j : j + patch] += ref[img] - scores[k]
    for i, j in corners:
        count[i : i + patch, j : j + patch] += 1
    out = (heat / np.maximum(count, 1)).astype(np.float32)
    return out[0] if single else out


def occlusion_1d(
    score_fn: Callable[[np.ndarray], np.ndarray],
    signal,
    window: int,
    stride: int | None = None,
    baseline: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Time-wise occlusion for a 1-D signal: score drop when ``signal[t:t+window]`` is silenced.

    ``score_fn`` maps a batch of signals (M, T) to M scores. Returns ``(starts, drops)``: the window
    start indices and ``score(signal) - score(signal with that window set to baseline)``. Why a function
    and not a model: heart-sound models often see features (spectrograms), not raw samples.
    """
    sig = _validate.check_signal(signal, "convert with signal.astype('float32')")
    window = int(window)
    stride = window if stride is None else int(stride)
    if not 1 <= window <= len(sig) or stride < 1:
        raise ValueError(f"need 1 <= window <= {len(sig)} and stride >= 1, got window={window}, stride={stride}.")
    starts = np.arange(0, len(sig) - window + 1, stride)
    batch = np.repeat(sig[None].astype(np.float32), len(starts) + 1, axis=0)
    for k, s in enumerate(starts):
        batch[k + 1, s : s + window] = baseline
    scores = np.asarray(score_fn(batch), dtype=np.float64).reshape(-1)
    if scores.shape != (len(starts) + 1,):
        raise ValueError(f"score_fn must return one score per signal ({len(starts) + 1}), got {scores.shape}.")
    return starts, (scores[0] - scores[1:]).astype(np.float32)


# --------------------------------------------------------------------------- sanity checks
def randomize_weights(model, seed: int = 0, layers: list[str] | None = None):
    """A copy of ``model`` with the same architecture and freshly initialised (random) weights.

    Why: the model-randomisation test (Adebayo et al., 2018). An explanation that barely changes when the
    learned weights are thrown away explains the input or the architecture, not what the model learned.
    ``layers`` (names) re-initialises only those layers and keeps the trained weights elsewhere: "cascading"
    randomisation from the output layer downwards shows which layers a map depends on.
    Note: this re-seeds Keras' global random state with ``seed`` so the copy is reproducible.
    """
    import keras

    _check_model(model)
    names = [layer.name for layer in model.layers]
    if layers is not None:
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise ValueError(f"model has no layers named {unknown}; its layers are {names}.")
    keras.utils.set_random_seed(int(seed))
    clone = keras.models.clone_model(model)
    clone.build(model.input_shape)
    if layers is not None:
        for layer, trained in zip(clone.layers, model.layers, strict=True):
            if layer.name not in layers and trained.get_weights():
                layer.set_weights(trained.get_weights())
    return clone


def map_similarity(a, b) -> float:
    """Mean Spearman rank correlation between paired maps ``a`` and ``b`` (shape (N, H, W) or (H, W)).

    Rank correlation ignores the scale of a map, so trained and randomised maps are comparable. A
    constant map has no ranking; it counts as 0 (no agreement).
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"maps must have the same shape, got {a.shape} and {b.shape}.")
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.ndim != 3:
        raise ValueError(f"maps must be (N, H, W) or (H, W), got {a.shape}.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("maps contain NaN or inf values.")
    rhos = []
    for m1, m2 in zip(a, b, strict=True):
        if np.ptp(m1) == 0 or np.ptp(m2) == 0:
            rhos.append(0.0)
        else:
            rhos.append(float(spearmanr(m1.ravel(), m2.ravel()).statistic))
    return float(np.mean(rhos))


def corner_fraction(maps, size: int = 6, corner: str = "top_left") -> float:
    """Share of the total (non-negative) map mass that falls in a ``size`` x ``size`` image corner.

    Used by the shortcut experiment: a uniform map puts ``size**2 / (H*W)`` of its mass there.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 2:
        maps = maps[None]
    if maps.ndim != 3:
        raise ValueError(f"maps must be (N, H, W) or (H, W), got {maps.shape}.")
    if np.any(maps < 0):
        raise ValueError("maps must be non-negative (use np.abs or Grad-CAM maps).")
    rows = slice(0, size) if corner.startswith("top") else slice(-size, None)
    cols = slice(0, size) if corner.endswith("left") else slice(-size, None)
    if corner not in ("top_left", "top_right", "bottom_left", "bottom_right"):
        raise ValueError(f"corner must be one of top_left, top_right, bottom_left, bottom_right; got {corner!r}.")
    total = maps.sum()
    return float(maps[:, rows, cols].sum() / total) if total > 0 else 0.0


# --------------------------------------------------------------------------- display
def overlay(image, heatmap, alpha: float = 0.45, cmap: str = "jet") -> np.ndarray:
    """Blend a grey image (H, W) or (H, W, 1) with a heatmap in [0, 1] into an RGB float image (H, W, 3)."""
    import matplotlib

    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    heat = np.asarray(heatmap, dtype=np.float32)
    if img.ndim != 2 or heat.shape != img.shape:
        raise ValueError(
            f"image must be (H, W) or (H, W, 1) and heatmap (H, W) of the same size; got {img.shape}, {heat.shape}."
        )
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
    lo, hi = float(img.min()), float(img.max())
    grey = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    colour = matplotlib.colormaps[cmap](np.clip(heat, 0.0, 1.0))[..., :3]
    return ((1 - alpha) * np.repeat(grey[..., None], 3, axis=-1) + alpha * colour).astype(np.float32)
