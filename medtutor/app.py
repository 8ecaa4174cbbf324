"""The capstone's diagnosis-support logic (notebook 16), as plain, unit-tested functions.

A teaching prototype, NOT a medical device: every text it produces carries :data:`NOTICE`.

The pipeline, one function per step so each can be tested and explained on its own:

1. :func:`load_image` - a PNG/JPEG or DICOM file (a path or the bytes of an upload) -> a 28x28 uint8
   image like PneumoniaMNIST's, or an :class:`AppInputError` whose message says what to do;
2. :func:`case_logits` / :func:`fit_calibration` - the CNN's logit, and a temperature fitted on the
   validation split so that probabilities are calibrated (notebook 08);
3. :func:`predict_with_uncertainty` - the calibrated probability and an interval from Monte-Carlo
   dropout (Gal & Ghahramani, 2016): how much the answer moves when the network's dropout is switched on;
4. :func:`operating_point` - sensitivity, specificity and PPV/NPV at a threshold and a prevalence;
5. :func:`suggestion` - "refer / no referral" text, with the notice;
6. :func:`triage` - rank cases by probability and count the positives found in the top k;
7. :func:`fit_ood_detector` / :func:`ood_check` - refuse inputs unlike the training X-rays (a CT slice, an
   ultrasound, noise) instead of giving them a confident diagnosis.

Keras is imported inside the functions that need it, so ``import medtutor.app`` stays light.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "NOTICE",
    "IMAGE_SIZE",
    "AppInputError",
    "load_image",
    "case_logits",
    "fit_calibration",
    "predict_with_uncertainty",
    "operating_point",
    "suggestion",
    "triage",
    "analyse_case",
    "OODDetector",
    "penultimate_features",
    "fit_ood_detector",
    "ood_detector_from_features",
    "ood_scores",
    "ood_check",
    "OOD_MESSAGE",
]

NOTICE = (
    "Teaching prototype - NOT a medical device. It was trained on 28x28 PneumoniaMNIST chest X-rays "
    "and must never be used to diagnose or treat a real patient."
)
IMAGE_SIZE = 28
MAX_ASPECT = 2.0  # a chest X-ray is roughly square; a much longer strip is not one
# Limits on user images, checked from the header BEFORE decoding, so an oversize file (a "decompression
# bomb": a small file that decodes to gigabytes) is refused in milliseconds. A digital chest radiograph is
# at most about 4300 x 4300 pixels (18 megapixels) and 16 bits; the limits leave ample room above that.
MAX_FILE_BYTES = 256 * 2**20  # the file itself
MAX_PIXELS = 40_000_000  # width x height (x frames)
MAX_DECODED_BYTES = 256 * 2**20  # pixels x samples x bytes per sample once decoded
SHRINK_TO = 8 * IMAGE_SIZE  # a large legal image is box-averaged down to about this side before resizing


class AppInputError(ValueError):
    """A user-supplied file the app cannot use; the message says why and what to do instead."""


# --------------------------------------------------------------------------- loading user images
def _is_dicom_bytes(raw: bytes) -> bool:
    """DICOM by content, never by file name.

    Part 10 files carry the 4 bytes 'DICM' after a 128-byte preamble; older or stripped files start directly
    with a data element of group 0x0002 (file meta) or 0x0008 (identification), little endian, followed by
    an explicit VR (two capital letters).
    """
    if len(raw) >= 132 and raw[128:132] == b"DICM":
        return True
    return len(raw) >= 8 and raw[:2] in (b"\x02\x00", b"\x08\x00") and raw[4:6].isalpha() and raw[4:6].isupper()


def _read_source(source: Any) -> tuple[bytes, str]:
    """Return the raw bytes and a display name of a path, bytes or an ipywidgets upload dict."""
    if isinstance(source, dict) and "content" in source:  # ipywidgets >= 8 FileUpload value item
        return bytes(source["content"]), str(source.get("name", "upload"))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "upload"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise AppInputError(f"No file at {path}: check the path, or pick one of the test cases.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AppInputError(
                f"{path.name} is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES / 2**20:.0f} MB this app "
                "accepts: export a single, smaller image (a chest X-ray needs a few MB)."
            )
        return path.read_bytes(), path.name
    raise AppInputError(
        f"Cannot read a {type(source).__name__}: give a file path, the bytes of a file, or a FileUpload item."
    )


def _check_size(name: str, rows: int, cols: int, frames: int = 1, bytes_per_pixel: float = 1.0) -> None:
    """Refuse, from header values alone, an image too large to decode safely (pixels, frames, decoded bytes)."""
    if frames > 1:
        raise AppInputError(
            f"{name} holds {frames} frames: a volume or multi-frame image. Export ONE 2-D image (one slice)."
        )
    pixels = rows * cols * max(frames, 1)
    if pixels > MAX_PIXELS or pixels * bytes_per_pixel > MAX_DECODED_BYTES:
        raise AppInputError(
            f"{name} is {rows}x{cols} pixels ({pixels / 1e6:.0f} megapixels, {pixels * bytes_per_pixel / 2**20:.0f} MB "
            f"decoded), more than this app accepts ({MAX_PIXELS / 1e6:.0f} megapixels, "
            f"{MAX_DECODED_BYTES / 2**20:.0f} MB): downscale it (a chest X-ray needs at most about 4000x4000)."
        )


def _dicom_header_check(ds: Any, name: str) -> None:
    """Size limits and truncation, from the DICOM header and the stored pixel bytes, before any decoding."""
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    bits = int(ds.get("BitsAllocated", 8) or 8)
    _check_size(name, rows, cols, frames, samples * bits / 8)
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    compressed = bool(getattr(syntax, "is_compressed", False))
    expected = rows * cols * frames * samples * bits // 8
    stored = len(ds.PixelData) if "PixelData" in ds else 0
    if not compressed and 0 < stored < expected:
        raise AppInputError(
            f"{name} is truncated: its pixel data holds {stored} of the {expected} bytes its header announces. "
            "The file was cut short (an interrupted copy or upload): copy or download it again."
        )


def _dicom_pixels(raw: bytes, name: str, info: dict[str, Any]) -> np.ndarray:
    """Pixels of a DICOM file, ready for display: CT in the lung window, MONOCHROME1 inverted."""
    import pydicom

    from medtutor import imaging

    try:
        ds = pydicom.dcmread(io.BytesIO(raw), force=True)  # force: also files without the 128-byte preamble
    except Exception as err:
        raise AppInputError(
            f"{name} looks like DICOM but cannot be read ({err}); it may be truncated or damaged: "
            "copy it again, or export it again."
        ) from err
    info["modality"] = str(ds.get("Modality", "unknown"))
    if "PixelData" not in ds:
        raise AppInputError(
            f"{name} is a DICOM file without pixel data (a report or header-only file): "
            "choose a DICOM that contains an image."
        )
    _dicom_header_check(ds, name)
    try:
        if info["modality"].upper() == "CT":
            center, width = imaging.WINDOW_PRESETS["lung"]
            info["warnings"].append("CT slice shown in the lung window; the model only saw chest X-rays.")
            return imaging.apply_window(imaging.to_hu(ds), center, width)
        pixels = np.asarray(ds.pixel_array, dtype=np.float32)
    except AppInputError:
        raise
    except Exception as err:
        raise AppInputError(_decode_failure(name, ds, err)) from err
    if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        pixels = pixels.max() - pixels  # MONOCHROME1: high values are dark
    if info["modality"].upper() not in ("CR", "DX"):
        info["warnings"].append(f"Modality {info['modality']} is not a radiograph (CR/DX): expect nonsense.")
    return pixels


def _decode_failure(name: str, ds: Any, err: Exception) -> str:
    """Why DICOM pixels failed to decode: damaged data, or a compression no installed decoder handles."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    detail = f"{type(err).__name__}: {err}"
    if getattr(syntax, "is_compressed", False) and "less than expected" not in str(err):
        return (
            f"The pixel data of {name} cannot be decoded ({detail}); it uses a compression "
            f"({getattr(syntax, 'name', syntax)}) this installation may not decode - export it uncompressed."
        )
    return (
        f"The pixel data of {name} cannot be decoded ({detail}); the file is damaged or truncated: "
        "copy or download it again."
    )


def _raster_pixels(raw: bytes, name: str) -> np.ndarray:
    """Grey pixels of a PNG/JPEG/... file via Pillow (colour converted by luminance, alpha dropped)."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(raw))  # reads the header only: the size is known before decoding
        width, height = img.size
        if getattr(img, "n_frames", 1) > 1:
            raise AppInputError(f"{name} holds {img.n_frames} frames; upload a single still image.")
        bytes_per_pixel = len(img.getbands()) * (2 if "16" in img.mode else 4 if img.mode in ("I", "F") else 1)
        _check_size(name, height, width, 1, bytes_per_pixel)
        img.load()
    except AppInputError:
        raise
    except (UnidentifiedImageError, OSError) as err:
        raise AppInputError(
            f"{name} is neither an image (PNG, JPEG) nor a DICOM file: upload a chest X-ray image."
        ) from err
    except Exception as err:  # e.g. Pillow's DecompressionBombError for absurdly large images
        raise AppInputError(f"{name} cannot be opened as an image ({type(err).__name__}: {err}).") from err
    if getattr(img, "n_frames", 1) > 1:
        raise AppInputError(f"{name} holds {img.n_frames} frames; upload a single still image.")
    if img.mode in ("I", "I;16", "I;16B", "F"):
        return np.asarray(img, dtype=np.float32)
    return np.asarray(img.convert("L"), dtype=np.uint8)


def load_image(source: Any, name: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Load one user image as the model's input: a 28x28 uint8 array, plus an ``info`` dict.

    ``source`` is a path, raw bytes, or an ipywidgets FileUpload item. PNG/JPEG and DICOM (detected by
    content, not by file name) are accepted. 8-bit images keep their grey levels (as PneumoniaMNIST's
    did); other data (DICOM, 16-bit PNG) is mapped to 0-255 by its own range. The image is then cropped
    to its central square and resized with anti-aliasing. Anything unusable raises :class:`AppInputError`
    with a message meant for the user (not a traceback): not an image, DICOM without pixels, a volume,
    an image smaller than 28x28, a strip, a blank image, and (from the header, before decoding) a file,
    image or decoded size above ``MAX_FILE_BYTES``, ``MAX_PIXELS`` or ``MAX_DECODED_BYTES``. A large legal
    image is box-averaged to about ``SHRINK_TO`` pixels first, so the resize stays fast.
    """
    from medtutor.preprocess import center_crop, resize

    raw, default_name = _read_source(source)
    name = name or default_name
    if len(raw) == 0:
        raise AppInputError(f"{name} is empty (0 bytes): upload the image again.")
    if len(raw) > MAX_FILE_BYTES:
        raise AppInputError(
            f"{name} is {len(raw) / 2**20:.0f} MB, more than the {MAX_FILE_BYTES / 2**20:.0f} MB this app accepts: "
            "export a single, smaller image (a chest X-ray needs a few MB)."
        )
    info: dict[str, Any] = {"name": name, "warnings": []}
    if _is_dicom_bytes(raw):
        info["format"] = "DICOM"
        pixels = _dicom_pixels(raw, name, info)
    else:
        info["format"] = "image"
        pixels = _raster_pixels(raw, name)
    eight_bit = pixels.dtype == np.uint8
    original_shape = tuple(int(s) for s in pixels.shape[:2])
    pixels = _shrink_large(pixels)  # box-average a large legal image first: fast, anti-aliased, little memory
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.ndim == 3 and pixels.shape[-1] in (3, 4):  # RGB(A) DICOM: luminance, drop alpha
        pixels = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if pixels.ndim != 2:
        raise AppInputError(
            f"{name} has shape {pixels.shape}: a volume or multi-frame image. Export ONE 2-D image (one slice)."
        )
    info["original_shape"] = original_shape
    h, w = pixels.shape
    if min(h, w) < IMAGE_SIZE:
        raise AppInputError(
            f"{name} is only {h}x{w} pixels; the model needs at least {IMAGE_SIZE}x{IMAGE_SIZE}. Use a larger image."
        )
    if max(h, w) / min(h, w) > MAX_ASPECT:
        raise AppInputError(
            f"{name} is {h}x{w} pixels, far from square (more than {MAX_ASPECT:g}:1); "
            "crop it to the chest so it is roughly square."
        )
    if not np.all(np.isfinite(pixels)):
        raise AppInputError(f"{name} contains invalid (NaN/inf) pixel values.")
    lo, hi = float(pixels.min()), float(pixels.max())
    if hi <= lo:
        raise AppInputError(f"{name} is blank (every pixel has the same value): nothing to analyse.")
    scaled = pixels if eight_bit else (pixels - lo) / (hi - lo) * 255.0
    side = min(h, w)
    small = resize(center_crop(scaled, side), IMAGE_SIZE)
    info["warnings"].append("Outside the test set there is no ground truth: the model may be far from its data.")
    return np.clip(np.round(small), 0, 255).astype(np.uint8), info


def _shrink_large(pixels: np.ndarray) -> np.ndarray:
    """Average k x k blocks (integer k) so the shorter side stays >= ``SHRINK_TO``; small images pass unchanged.

    A box average is an anti-aliasing filter, and it runs in one pass over the array, so a 4000 x 4000
    radiograph is reduced in milliseconds before the exact anti-aliased resize to 28 x 28 (which on the
    full image would filter millions of pixels with a very wide kernel). The aspect ratio is kept, so the
    later centre crop and size checks see the same shape, only smaller.
    """
    if pixels.ndim < 2:
        return pixels
    h, w = pixels.shape[:2]
    k = min(h, w) // SHRINK_TO
    if k < 2:
        return pixels
    hh, ww = h // k * k, w // k * k
    top, left = (h - hh) // 2, (w - ww) // 2
    block = pixels[top : top + hh, left : left + ww]
    return block.reshape(hh // k, k, ww // k, k, *pixels.shape[2:]).mean(axis=(1, 3), dtype=np.float32)


# --------------------------------------------------------------------------- prediction
def _check_images(images: Any) -> np.ndarray:
    """Accept one (28, 28) or a batch (N, 28, 28) of uint8 images; refuse anything else clearly."""
    x = np.asarray(images)
    if x.dtype != np.uint8:
        raise TypeError(f"images must be uint8 0-255 like PneumoniaMNIST (got {x.dtype}); use load_image().")
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(x) == 0:
        raise ValueError(f"images must be (28, 28) or (N, 28, 28), got {np.asarray(images).shape}; use load_image().")
    return x


def case_logits(model: Any, images: Any, batch_size: int = 256) -> np.ndarray:
    """The model's logit (pre-sigmoid score) for uint8 images: what temperature scaling rescales."""
    from medtutor.explain import class_score
    from medtutor.preprocess import to_float01

    x = to_float01(_check_images(images))
    return np.concatenate([class_score(model, x[s : s + batch_size]) for s in range(0, len(x), batch_size)])


def fit_calibration(model: Any, x_val: Any, y_val: Any) -> float:
    """Temperature T fitted on the validation split; calibrated probability = sigmoid(logit / T)."""
    from medtutor.metrics import fit_temperature

    return float(fit_temperature(case_logits(model, x_val), y_val))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def _check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"temperature must be a positive number (from fit_calibration), got {temperature!r}.")
    return t


def predict_with_uncertainty(
    model: Any, image: Any, temperature: float = 1.0, n_samples: int = 50, seed: int = 0, level: float = 0.9
) -> dict[str, Any]:
    """Calibrated probability of pneumonia for ONE image, with a Monte-Carlo-dropout interval.

    The point estimate is the normal (dropout off) prediction, calibrated by ``temperature``. For the
    interval, the features entering the model's Dropout layer are computed once and ``n_samples``
    random dropout masks (NumPy, seeded: reproducible) are applied before the remaining layers; the
    ``level`` central interval of the resulting calibrated probabilities is returned. Wide interval =
    the network is unsure. Returns ``dict(prob, low, high, samples, logit)``.
    """
    import keras

    from medtutor.preprocess import to_float01

    x = _check_images(image)
    if len(x) != 1:
        raise ValueError(f"predict_with_uncertainty takes ONE image, got {len(x)}; loop over a batch.")
    t = _check_temperature(temperature)
    if int(n_samples) < 2 or not 0 < level < 1:
        raise ValueError(f"need n_samples >= 2 and 0 < level < 1, got {n_samples}, {level}.")
    drops = [i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dropout)]
    if len(drops) != 1:
        raise ValueError(f"MC dropout needs exactly one Dropout layer in the model, found {len(drops)}.")
    idx = drops[0]
    rate = float(model.layers[idx].rate)
    xf = to_float01(x)
    feats = np.asarray(keras.Model(model.inputs[0], model.layers[idx].input)(xf), dtype=np.float32)
    rng = np.random.default_rng(seed)
    masks = (rng.random((int(n_samples), feats.shape[-1])) >= rate).astype(np.float32) / (1.0 - rate)
    h = np.concatenate([feats, feats * masks])  # row 0: dropout off (the point estimate)
    head = model.layers[idx + 1 :]
    for layer in head[:-1]:
        h = np.asarray(layer(h), dtype=np.float32)
    last = head[-1]
    z = h @ np.asarray(last.kernel) + np.asarray(last.bias)
    z = z[:, 0].astype(np.float64)
    probs = _sigmoid(z / t)
    tail = (1 - level) / 2 * 100
    return {
        "prob": float(probs[0]),
        "low": float(np.percentile(probs[1:], tail)),
        "high": float(np.percentile(probs[1:], 100 - tail)),
        "samples": probs[1:],
        "logit": float(z[0]),
    }


# --------------------------------------------------------------------------- decisions
def _check_fraction(value: float, name: str, open_interval: bool = False) -> float:
    """One number in [0, 1] (or strictly inside): the package's fraction check, as a float."""
    from medtutor._validate import check_fraction

    arr = check_fraction(value, name, open_interval)
    if arr.size != 1:
        raise ValueError(f"{name} must be one number, got shape {arr.shape}.")
    return float(arr.reshape(-1)[0])


def operating_point(y_true: Any, y_prob: Any, threshold: float, prevalence: float | None = None) -> dict[str, float]:
    """Sensitivity, specificity (measured on ``y_true``/``y_prob``) and PPV/NPV at ``prevalence``.

    PPV and NPV depend on how common the disease is where the tool is used, not only on the model:
    by Bayes, PPV = sens*prev / (sens*prev + (1-spec)*(1-prev)). ``prevalence=None`` uses the test set's.
    Also returns ``tpr``/``fpr`` for drawing the point on the ROC curve.
    """
    from medtutor._validate import check_labels, check_probs, ratio_or_nan
    from medtutor.metrics import clinical_metrics, ppv_at_prevalence

    thr = _check_fraction(threshold, "threshold")
    check_probs(y_prob, n=len(check_labels(y_true)))  # probabilities, not logits: refused with the fix
    m = clinical_metrics(y_true, y_prob, threshold=thr)
    y = np.asarray(y_true).ravel()
    prev = float(np.mean(y)) if prevalence is None else _check_fraction(prevalence, "prevalence", open_interval=True)
    sens, spec = float(m["sensitivity"]), float(m["specificity"])
    ppv = float(ppv_at_prevalence(sens, spec, prev))
    den = spec * (1 - prev) + (1 - sens) * prev
    npv = ratio_or_nan(spec * (1 - prev), den)
    return {
        "threshold": thr,
        "prevalence": prev,
        "sensitivity": sens,
        "specificity": spec,
        "ppv": ppv,
        "npv": npv,
        "tpr": sens,
        "fpr": 1.0 - spec,
    }


def suggestion(prob: float, threshold: float, low: float | None = None, high: float | None = None) -> str:
    """'Refer' / 'no referral' text for one case, flagged as uncertain when the interval spans the threshold."""
    p, thr = _check_fraction(prob, "prob"), _check_fraction(threshold, "threshold")
    if p >= thr:
        text = f"REFER for review by a radiologist: probability {p:.2f} >= threshold {thr:.2f}."
    else:
        text = f"NO REFERRAL suggested: probability {p:.2f} < threshold {thr:.2f}."
    if low is not None and high is not None and _check_fraction(low, "low") <= thr <= _check_fraction(high, "high"):
        text += f" UNCERTAIN: the interval {low:.2f}-{high:.2f} contains the threshold; a human must look closely."
    return text + " " + NOTICE


def triage(y_prob: Any, y_true: Any, k: int) -> dict[str, Any]:
    """Rank cases by probability (highest first) and count the true positives found in the top ``k``.

    Returns ``order`` (indices, ranked), ``found_curve`` (positives among the top 1..N), ``found`` (in
    the top k), ``total_positives``, ``recall_at_k``, and ``random_expected`` (k x prevalence: what a
    random order finds on average).
    """
    from medtutor._validate import check_labels, check_probs, ratio_or_nan

    y = check_labels(y_true)
    p = check_probs(y_prob, n=len(y))
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(y):
        raise ValueError(f"k must be an integer between 1 and the number of cases ({len(y)}), got {k!r}.")
    order = np.argsort(-p, kind="stable")
    curve = np.cumsum(y[order])
    total = int(y.sum())
    return {
        "order": order,
        "found_curve": curve,
        "found": int(curve[k - 1]),
        "total_positives": total,
        "recall_at_k": ratio_or_nan(curve[k - 1], total),
        "random_expected": float(k * total / len(y)),
    }


def analyse_case(
    model: Any,
    image: Any,
    temperature: float = 1.0,
    threshold: float = 0.5,
    n_samples: int = 50,
    seed: int = 0,
    ood: OODDetector | None = None,
) -> dict[str, Any]:
    """Everything the app shows for one image: input, calibrated probability and interval, Grad-CAM, text.

    With an ``ood`` detector (:func:`fit_ood_detector`), an image far from the training X-rays is refused:
    ``result["ood"]["flagged"]`` is True and the suggestion is :data:`OOD_MESSAGE`, not a diagnosis (the
    probability is still returned for teaching, but the app does not show it as a suggestion).
    """
    from medtutor.explain import grad_cam
    from medtutor.preprocess import to_float01

    x = _check_images(image)
    if len(x) != 1:
        raise ValueError(f"analyse_case takes ONE image, got {len(x)}.")
    pred = predict_with_uncertainty(model, x, temperature=temperature, n_samples=n_samples, seed=seed)
    cam = grad_cam(model, to_float01(x))[0]
    result = {
        "image": x[0],
        **pred,
        "heatmap": cam,
        "suggestion": suggestion(pred["prob"], threshold, pred["low"], pred["high"]),
    }
    if ood is not None:
        result["ood"] = ood_check(model, x, ood)
        if result["ood"]["flagged"]:
            result["suggestion"] = OOD_MESSAGE.format(**result["ood"]) + " " + NOTICE
    return result


# --------------------------------------------------------------------------- out-of-distribution inputs
OOD_MESSAGE = (
    "NO DIAGNOSIS: this image does not look like the chest X-rays the model was trained on "
    "(distance score {score:.1f} > limit {threshold:.1f}). It may be another kind of scan, a photo or noise; "
    "the model's probability would be meaningless here. Upload a frontal chest X-ray."
)


@dataclass(frozen=True)
class OODDetector:
    """A Mahalanobis out-of-distribution detector on the CNN's penultimate features (Lee et al., 2018).

    ``mean`` and ``precision`` (inverse covariance, Ledoit-Wolf shrunk) describe the training images'
    features; ``threshold`` is the score below which ``accept`` of the in-distribution validation images
    fall: chosen without ever seeing an out-of-distribution example. Plain arrays, no pickle.
    """

    layer: str
    mean: np.ndarray
    precision: np.ndarray
    threshold: float
    accept: float


def penultimate_features(model: Any, images: Any, layer: str = "gap", batch_size: int = 256) -> np.ndarray:
    """The CNN's feature vector for uint8 images at ``layer`` (default: the global-average-pooled maps)."""
    import keras

    from medtutor.preprocess import to_float01

    names = [lay.name for lay in model.layers]
    if layer not in names:
        raise ValueError(f"the model has no layer {layer!r}; choose one of {names}.")
    x = to_float01(_check_images(images))
    sub = keras.Model(model.inputs[0], model.get_layer(layer).output)
    # direct calls in batches, not predict(): a fresh sub-model per call would make predict retrace (and warn)
    parts = [np.asarray(sub(x[s : s + batch_size], training=False)) for s in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float64).reshape(len(x), -1)


def _mahalanobis(features: np.ndarray, det: OODDetector) -> np.ndarray:
    d = features - det.mean
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", d, det.precision, d), 0.0))


def fit_ood_detector(model: Any, x_train: Any, x_val: Any, layer: str = "gap", accept: float = 0.95) -> OODDetector:
    """Fit the feature-space Mahalanobis detector on training images, set its limit on validation images.

    Training features give the mean and a Ledoit-Wolf covariance (shrinkage keeps the 128 x 128 inverse
    stable); the limit is the ``accept`` quantile of the validation images' distances, so about that share of
    in-distribution images pass. No out-of-distribution data is used: the limit cannot be tuned to the test.
    """
    return ood_detector_from_features(
        penultimate_features(model, x_train, layer), penultimate_features(model, x_val, layer), layer, accept
    )


def ood_detector_from_features(f_train: Any, f_val: Any, layer: str = "gap", accept: float = 0.95) -> OODDetector:
    """:func:`fit_ood_detector` from features already computed (by :func:`penultimate_features` at ``layer``)."""
    from sklearn.covariance import LedoitWolf

    if not 0.5 <= float(accept) < 1:
        raise ValueError(f"accept must be the share of normal inputs to let through, in [0.5, 1), got {accept!r}.")
    f_train, f_val = np.asarray(f_train, dtype=np.float64), np.asarray(f_val, dtype=np.float64)
    if f_train.ndim != 2 or f_val.ndim != 2 or f_train.shape[1] != f_val.shape[1] or len(f_train) < 2:
        raise ValueError(
            f"features must be (N, D) arrays of the same D with N >= 2 training rows, got {f_train.shape} and "
            f"{f_val.shape}; compute them with penultimate_features()."
        )
    lw = LedoitWolf().fit(f_train)
    det = OODDetector(layer, f_train.mean(axis=0), lw.precision_, float("inf"), float(accept))
    val_scores = _mahalanobis(f_val, det)
    return OODDetector(layer, det.mean, det.precision, float(np.quantile(val_scores, accept)), float(accept))


def ood_scores(model: Any, images: Any, detector: OODDetector) -> np.ndarray:
    """Mahalanobis distance of each image's features from the training images': larger = less familiar."""
    if not isinstance(detector, OODDetector):
        raise TypeError(f"detector must come from fit_ood_detector(), got {type(detector).__name__}.")
    return _mahalanobis(penultimate_features(model, images, detector.layer), detector)


def ood_check(model: Any, image: Any, detector: OODDetector) -> dict[str, Any]:
    """``dict(score, threshold, flagged)`` for ONE image: flagged when its distance exceeds the limit."""
    score = float(ood_scores(model, image, detector)[0])
    return {"score": score, "threshold": detector.threshold, "flagged": bool(score > detector.threshold)}
