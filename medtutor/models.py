"""Model builders shared by several notebooks, and the cached PneumoniaMNIST CNN.

Notebook 07 writes the small CNN out layer by layer, trains it on real PneumoniaMNIST with the recipe
below and saves it with :func:`save_pneumonia_model`. Notebooks 08, 10, 14, 15 and 16 call
:func:`load_or_train_pneumonia_model`, which loads that file when it is present and valid, and otherwise
retrains with the same recipe (about a minute on one core), so each notebook still runs on its own.

Only notebooks that use TensorFlow import this module; Keras is still imported inside the functions.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RECIPE",
    "MODEL_NAME",
    "pneumonia_cnn",
    "pneumonia_augmentation",
    "compile_pneumonia_model",
    "train_pneumonia_model",
    "pneumonia_model_path",
    "save_pneumonia_model",
    "load_pneumonia_model",
    "pneumonia_model_info",
    "load_or_train_pneumonia_model",
    "shift_images",
    "predict_pneumonia",
    "WeightSnapshots",
    "average_weights",
]

#: The training recipe of notebook 07 (and of the retraining fallback): change it in one place only.
RECIPE: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 64,
    "learning_rate": 3e-3,  # the peak: it decays along a cosine to 0 over the epochs ("schedule")
    "schedule": "cosine",
    "batch_norm": True,  # BatchNormalization after each convolution's ReLU
    "label_smoothing": 0.1,  # training targets 0.05 / 0.95 instead of 0 / 1
    "dropout": 0.3,
    "rotation_degrees": 5.0,
    "translation_fraction": 0.08,
    "zoom_fraction": 0.1,
    "seed": 42,
    # test-time augmentation: predictions are averaged over the image and 4 copies shifted by this many pixels
    # (up, down, left, right; 0 = one plain pass). 2 pixels (within the training shifts of +-8 %) scored the highest
    # validation AUC on the networks trained while choosing the recipe; see predict_pneumonia and notebook 07
    "tta_shift_pixels": 2,
    # levers measured on validation while choosing recipe v4 (benchmarks/pneumonia_candidates.py, its rule and
    # results): chosen = intensity augmentation + averaging the last 3 epochs; 0 / False = off
    "contrast_factor": 0.3,  # intensity augmentation: random contrast in [1 - f, 1 + f] (exposure differences)
    "brightness_delta": 0.1,  # ... and a random brightness offset in [-d, +d] (pixel scale 0-1)
    "gamma_log_range": 0.0,  # ... and a random gamma exp(u), u in [-g, +g] (another detector response curve)
    "standardize": False,  # per-image standardisation (zero mean, unit variance) as the network's first layer
    "weight_decay": 0.0,  # AdamW's decoupled weight decay (0: plain Adam)
    "average_last_epochs": 3,  # weight averaging (SWA) over the last k epochs' weights; 0 or 1: off
}

#: The saved model's name carries the recipe version: a file trained with an older recipe is retrained.
MODEL_NAME = "pneumonia_cnn_v4"
MODEL_FILE = "pneumonia_cnn.keras"


# --------------------------------------------------------------------------- architecture


def pneumonia_cnn(
    input_shape: tuple[int, int, int] = (28, 28, 1), dropout: float | None = None, batch_norm: bool = False
) -> Any:
    """The course's small CNN: Conv 32-64-128 (each followed by BatchNormalization) with max-pooling, global
    average pooling, dropout, Dense(64), Dense(1, sigmoid).

    The last convolution is named ``"last_conv"`` (Grad-CAM explains its ReLU output) and the output layer
    ``"prob"`` (the probability of pneumonia). Global average pooling instead of Flatten keeps the head tiny
    (fewer parameters to overfit 4,708 training images) and the 7x7 maps readable for Grad-CAM. Batch
    normalisation (after the ReLU, so the maps Grad-CAM reads stay non-negative) rescales each channel to a
    common range, which lets a larger learning rate train stably in few epochs.

    The shared model is built with ``batch_norm=RECIPE["batch_norm"]`` (see :func:`train_pneumonia_model`).
    The default (no batch normalization) is the plain network that notebook 14's shortcut experiment trains
    from scratch on marked images: it learns the marker, which that lesson needs to show.
    """
    import keras
    from keras import layers

    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) <= 0:
        raise ValueError(f"input_shape must be (height, width, channels), e.g. (28, 28, 1); got {input_shape!r}.")
    if shape[0] < 4 or shape[1] < 4:
        raise ValueError(f"input_shape {shape} is too small for two 2x2 poolings: use at least 4x4 images.")
    rate = RECIPE["dropout"] if dropout is None else float(dropout)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")

    use_bn = bool(batch_norm)

    def norm(x: Any, name: str) -> Any:
        # momentum 0.9: the running statistics used at prediction time follow the last ~10 batches, so they
        # are ready after the first epoch (Keras' default 0.99 needs hundreds of batches; with 74 batches an
        # epoch the validation scores of the first epochs would be computed with stale statistics)
        return layers.BatchNormalization(momentum=0.9, name=name)(x) if use_bn else x

    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if use_bn and RECIPE["standardize"]:  # per-image zero mean, unit variance: no weights, saved with the model
        x = layers.LayerNormalization(axis=[1, 2, 3], center=False, scale=False, name="standardize")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(norm(x, "bn1"))
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(norm(x, "bn2"))
    x = layers.Conv2D(128, 3, padding="same", activation="relu", name="last_conv")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(norm(x, "bn3"))
    x = layers.Dropout(rate, name="dropout")(x)
    x = layers.Dense(64, activation="relu", name="dense")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="prob")(x)
    return keras.Model(inputs, outputs, name=MODEL_NAME)


def pneumonia_augmentation(seed: int | None = None) -> Any:
    """Random, anatomy-preserving augmentation for chest X-rays: small rotation, shift and zoom.

    No flips: a left-right flip puts the heart on the wrong side, an image no scanner produces.
    """
    import keras
    from keras import layers

    seed = RECIPE["seed"] if seed is None else int(seed)
    return keras.Sequential(
        [
            layers.RandomRotation(RECIPE["rotation_degrees"] / 360.0, fill_mode="constant", seed=seed),
            layers.RandomTranslation(
                RECIPE["translation_fraction"], RECIPE["translation_fraction"], fill_mode="constant", seed=seed + 1
            ),
            layers.RandomZoom(RECIPE["zoom_fraction"], fill_mode="constant", seed=seed + 2),
            *_intensity_layers(seed + 3),
        ],
        name="augmentation",
    )


def _intensity_layers(seed: int) -> list[Any]:
    """The recipe's intensity augmentation (none when its factors are 0): contrast, brightness, gamma.

    Why: the test images were collected separately, with another exposure; random intensity changes teach the
    network that the diagnosis does not depend on how bright or contrasted the film is.
    """
    from keras import layers

    out: list[Any] = []
    if RECIPE["contrast_factor"] > 0:
        out.append(layers.RandomContrast(RECIPE["contrast_factor"], value_range=(0, 1), seed=seed))
    if RECIPE["brightness_delta"] > 0:
        out.append(layers.RandomBrightness(RECIPE["brightness_delta"], value_range=(0, 1), seed=seed + 1))
    if RECIPE["gamma_log_range"] > 0:
        out.append(_random_gamma(RECIPE["gamma_log_range"], seed + 2))
    return out


def _random_gamma(log_range: float, seed: int) -> Any:
    """A training-only layer raising each image (values in [0, 1]) to a random power exp(u), u in [-r, r]."""
    import keras

    class RandomGamma(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__(name="random_gamma")
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, x: Any, training: bool = True) -> Any:
            if not training:
                return x
            u = keras.random.uniform((keras.ops.shape(x)[0], 1, 1, 1), -log_range, log_range, seed=self.generator)
            return keras.ops.power(keras.ops.clip(x, 0.0, 1.0), keras.ops.exp(u))

    return RandomGamma()


def compile_pneumonia_model(model: Any, learning_rate: float | None = None, decay_steps: int | None = None) -> Any:
    """Compile with Adam, binary cross-entropy with the recipe's label smoothing, and an AUC metric.

    Label smoothing trains towards 0.05 / 0.95 instead of 0 / 1, so the network is never pushed to total
    certainty on an image (which curbs over-confidence and memorising). With ``decay_steps`` (the number of
    training batches, epochs x batches per epoch) the learning rate starts at ``learning_rate`` and decays
    along a cosine to 0, so the last epochs take small, careful steps; without it the rate stays constant.
    """
    import keras

    lr = RECIPE["learning_rate"] if learning_rate is None else float(learning_rate)
    if not lr > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}.")
    if decay_steps is not None:
        if int(decay_steps) < 1:
            raise ValueError(f"decay_steps must be a positive number of batches, got {decay_steps!r}.")
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=int(decay_steps))
    decay = float(RECIPE["weight_decay"])
    optimizer = keras.optimizers.AdamW(lr, weight_decay=decay) if decay > 0 else keras.optimizers.Adam(lr)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(label_smoothing=RECIPE["label_smoothing"]),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model


# --------------------------------------------------------------------------- training


def _check_xy(x: Any, y: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
    from medtutor import _validate

    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"x_{split} must be float32 (N, 28, 28, 1) in [0, 1], got {x.shape} {x.dtype}. "
            "Fix: pass medtutor.preprocess.to_float01(ds.x_" + split + ")."
        )
    if y.shape != (len(x),):
        raise ValueError(f"y_{split} must have shape ({len(x)},), got {y.shape}.")
    return x.astype(np.float32), _validate.check_labels(y, f"y_{split}").astype(np.float32)


def train_pneumonia_model(
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    epochs: int | None = None,
    verbose: int = 0,
) -> tuple[Any, dict[str, list[float]], float]:
    """Train :func:`pneumonia_cnn` with the recipe; return (model, history dict, training seconds).

    Exactly what notebook 07 writes out: seeded, augmented tf.data input, Adam with a cosine-decaying
    learning rate over the epoch budget, and early stopping on the validation AUC that restores the best
    epoch's weights (a checkpoint kept in memory).
    """
    import keras

    from medtutor.preprocess import make_dataset

    x_train, y_train = _check_xy(x_train, y_train, "train")
    x_val, y_val = _check_xy(x_val, y_val, "val")
    epochs = RECIPE["epochs"] if epochs is None else int(epochs)
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    keras.utils.set_random_seed(RECIPE["seed"])
    steps = epochs * int(np.ceil(len(x_train) / RECIPE["batch_size"])) if RECIPE["schedule"] == "cosine" else None
    model = compile_pneumonia_model(pneumonia_cnn(batch_norm=RECIPE["batch_norm"]), decay_steps=steps)
    train_ds = make_dataset(
        x_train, y_train, RECIPE["batch_size"], shuffle=True, seed=RECIPE["seed"], augment=pneumonia_augmentation()
    )
    val_ds = make_dataset(x_val, y_val, 256)
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=4, restore_best_weights=True)
    last = WeightSnapshots(RECIPE["average_last_epochs"])
    start = time.perf_counter()
    history = model.fit(  # shuffle=False: the tf.data pipeline already shuffles, with its own seed
        train_ds, validation_data=val_ds, epochs=epochs, callbacks=[stop, last], shuffle=False, verbose=verbose
    )
    if RECIPE["average_last_epochs"] > 1:
        average_weights(model, last.weights, x_train, RECIPE["batch_size"])
    seconds = time.perf_counter() - start
    return model, {k: [float(v) for v in vals] for k, vals in history.history.items()}, seconds


class WeightSnapshots:
    """A Keras callback keeping the weights of the last ``k`` epochs in memory (for weight averaging)."""

    def __new__(cls, k: int) -> Any:  # built on demand: this module imports Keras only inside functions
        import keras

        class _Snapshots(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.weights: list[list[np.ndarray]] = []

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                if k > 0:
                    self.weights = [*self.weights, self.model.get_weights()][-k:]

        return _Snapshots()


def average_weights(model: Any, snapshots: list[list[np.ndarray]], x_train: Any, batch_size: int = 64) -> Any:
    """Set ``model`` to the mean of the snapshots' weights (SWA, Izmailov et al. 2018), then refresh batch norm.

    Why: under a constant or cyclic learning rate, late weights wander around a wide minimum and their average
    lies nearer its centre, which tends to generalise better; under the recipe's cosine schedule the last
    epochs move little, so here the average is a mild smoothing of where training ends (chosen on validation).
    The running statistics of batch normalization belong to the network that produced them, so one pass over
    the (unaugmented) training images in training mode refreshes them; with the layers' momentum the result
    is an exponential average weighted towards the last batches, an approximation. Nothing else is trained.
    """
    if not snapshots:
        raise ValueError("no weight snapshots to average: train at least one epoch with WeightSnapshots(k).")
    model.set_weights([np.mean(ws, axis=0) for ws in zip(*snapshots)])
    x = np.asarray(x_train, dtype=np.float32)
    for i in range(0, len(x), int(batch_size)):
        model(x[i : i + int(batch_size)], training=True)
    return model


# --------------------------------------------------------------------------- saving and loading


def pneumonia_model_path() -> Path:
    """Where the shared PneumoniaMNIST model lives: ``cache_dir()/models/pneumonia_cnn.keras``."""
    from medtutor.data import cache_dir

    return cache_dir() / "models" / MODEL_FILE


def save_pneumonia_model(model: Any, path: str | os.PathLike[str] | None = None, **info: Any) -> Path:
    """Save the model atomically (default :func:`pneumonia_model_path`) plus a JSON sidecar of ``info``.

    ``info`` records facts later notebooks need, e.g. ``val_threshold`` (chosen on the validation split)
    and ``train_seconds``; ``source`` ("real"/"synthetic", the ``Dataset.source`` it was trained on) also
    keys the cache (see :mod:`medtutor._modelcache`). Returns the path written.
    """
    from medtutor import _modelcache, _validate

    _check_model(model)
    target = Path(path) if path is not None else pneumonia_model_path()
    if target.suffix != ".keras":
        raise ValueError(f"save to a .keras file, got {target.name!r}.")
    _validate.writable_dir(target.parent, "the model folder")
    meta = {"model_name": model.name, "recipe": RECIPE, **info}
    if info.get("source") in ("real", "synthetic"):
        meta["cache_key"] = _modelcache.cache_key(RECIPE, info["source"])
    text = json.dumps(meta, indent=1, default=float)
    _modelcache.atomic_write(
        target.with_suffix(".json"), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), ".json"
    )
    _modelcache.atomic_write(target, lambda tmp: model.save(tmp), ".keras")
    return target


def _check_model(model: Any) -> None:
    """Raise unless ``model`` has the course CNN's interface (28x28x1 in, one probability out, named layers)."""
    names = {layer.name for layer in getattr(model, "layers", [])}
    if not {"last_conv", "prob"} <= names:
        raise ValueError("not the course's pneumonia CNN: it needs layers named 'last_conv' and 'prob'.")
    if tuple(model.input_shape[1:]) != (28, 28, 1) or tuple(model.output_shape[1:]) != (1,):
        raise ValueError(
            f"expected input (28, 28, 1) and output (1,), got {model.input_shape} -> {model.output_shape}."
        )


def load_pneumonia_model(path: str | os.PathLike[str] | None = None) -> Any | None:
    """Load the saved model if it is present, readable, of this recipe version and the right shape; else None."""
    import keras

    target = Path(path) if path is not None else pneumonia_model_path()
    if not target.is_file():
        return None
    try:
        model = keras.models.load_model(target, compile=False)  # safe_mode stays on: no arbitrary code
        _check_model(model)
    except Exception as err:  # a truncated, foreign or stale file is retrained, never trusted
        print(f"Ignoring {target}: {type(err).__name__}: {err}")
        return None
    if model.name != MODEL_NAME:
        print(f"Ignoring {target}: trained with an older recipe ({model.name}, now {MODEL_NAME}).")
        return None
    return model


def pneumonia_model_info(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The JSON sidecar of the saved model (``val_threshold``, ``train_seconds``, recipe), or {} if absent."""
    target = (Path(path) if path is not None else pneumonia_model_path()).with_suffix(".json")
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_or_train_pneumonia_model(verbose: bool = True) -> Any:
    """The shared PneumoniaMNIST CNN: loaded from the cache when valid, else retrained and saved.

    Input: ``medtutor.preprocess.to_float01(x)``; output: the probability of pneumonia. Retraining uses
    notebook 07's recipe on the real data (about a minute on one core) and records the decision
    threshold chosen on the validation split (Youden's J) in the sidecar, see :func:`pneumonia_model_info`.
    A cached model is reused only when its recipe, data source (real or stand-in) and medtutor version
    match this run (:mod:`medtutor._modelcache`); otherwise a banner says why and it is retrained.
    """
    from medtutor import _modelcache, _validate, data

    ds = data.load("pneumoniamnist")  # its source (real or stand-in) decides whether the cached model fits
    model = load_pneumonia_model()
    if model is not None:
        problem = _modelcache.reuse_problem(pneumonia_model_info(), _modelcache.cache_key(RECIPE, ds.source))
        if problem is None:
            if verbose:
                print(f"Loaded the PneumoniaMNIST CNN from {pneumonia_model_path()}")
            return model
        print(_modelcache.retrain_banner(pneumonia_model_path(), problem))
    from medtutor.metrics import youden_threshold
    from medtutor.preprocess import to_float01

    _validate.writable_dir(pneumonia_model_path().parent, "the model cache (MEDTUTOR_CACHE_DIR)")  # before training
    if verbose:
        print("No valid saved PneumoniaMNIST CNN: training it now with notebook 07's recipe (one to two minutes)...")
    x_val = to_float01(ds.x_val)
    model, history, seconds = train_pneumonia_model(to_float01(ds.x_train), ds.y_train, x_val, ds.y_val)
    p_val = predict_pneumonia(model, x_val)  # the threshold belongs to the recipe's (test-time augmented) scores
    threshold = float(youden_threshold(ds.y_val, p_val))
    path = save_pneumonia_model(
        model, val_threshold=threshold, train_seconds=seconds, epochs_run=len(history["loss"]), source=ds.source
    )
    if verbose:
        print(f"Trained in {seconds:.0f} s on {ds.source} data; saved to {path}")
    return model


# --------------------------------------------------------------------------- test-time augmentation


def shift_images(x: Any, dy: int, dx: int) -> np.ndarray:
    """Move every image of a batch ``dy`` pixels down and ``dx`` pixels right; the uncovered border is 0 (black).

    The same zero fill as the training augmentation (``fill_mode="constant"``), so a shifted image is one the
    network has seen the like of during training. Negative values move up / left.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be a batch (N, H, W, C), got shape {x.shape}. Fix: use to_float01(x) first.")
    h, w = x.shape[1:3]
    dy, dx = int(dy), int(dx)
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError(f"a shift of ({dy}, {dx}) pixels leaves nothing of a {h}x{w} image.")
    out = np.zeros_like(x)
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def predict_pneumonia(model: Any, x: Any, shift_pixels: int | None = None) -> np.ndarray:
    """The recipe's prediction: P(pneumonia) averaged over the image and 4 copies shifted by ``shift_pixels``.

    Test-time augmentation: a small shift must not change a diagnosis, so averaging over shifts cancels part
    of the network's sensitivity to where exactly the lungs sit in the 28x28 frame (notebook 07 measured the
    gain on the validation split). ``shift_pixels=0`` is one plain pass; default: ``RECIPE["tta_shift_pixels"]``.
    Input: ``medtutor.preprocess.to_float01(x)``; output: one probability per image.
    """
    k = RECIPE["tta_shift_pixels"] if shift_pixels is None else int(shift_pixels)
    if k < 0:
        raise ValueError(f"shift_pixels must be 0 (one pass) or a positive number of pixels, got {shift_pixels!r}.")
    x = np.asarray(x, dtype=np.float32)
    offsets = [(0, 0)] + ([(k, 0), (-k, 0), (0, k), (0, -k)] if k else [])
    return np.mean(
        [model.predict(shift_images(x, dy, dx), batch_size=256, verbose=0).ravel() for dy, dx in offsets], axis=0
    )


# --------------------------------------------------------------------------- pretrained ImageNet backbone (notebook 10)

#: Registry name of the ImageNet weights file (``datasets/registry.json``): fetched and MD5-verified like a data set.
IMAGENET_WEIGHTS = "mobilenetv3small_imagenet"

__all__ += ["IMAGENET_WEIGHTS", "imagenet_weights_path", "imagenet_backbone"]


def imagenet_weights_path() -> Path:
    """A verified local copy of MobileNetV3Small's ImageNet weights (no top), from the registry.

    Same resolution as the data sets: ``MEDTUTOR_DATA_DIR/mobilenetv3small_imagenet/<file>`` -> user cache ->
    pooch download; the file must match Keras' official MD5 or :class:`medtutor.data.ChecksumError` is raised
    (never loaded). Offline and absent: :class:`medtutor.data.DataUnavailableError`.
    """
    from medtutor import data

    return data.fetch(IMAGENET_WEIGHTS)[0]


def imagenet_backbone(input_size: int = 64, weights_path: str | os.PathLike[str] | None = None) -> Any:
    """MobileNetV3Small pretrained on ImageNet, without its classifier, as a frozen feature extractor.

    Input: RGB images ``(N, input_size, input_size, 3)`` with values in [0, 255] (the model rescales them);
    output: one 576-long feature vector per image (global average pooling). ``trainable`` is False, so its
    batch-normalisation layers stay in inference mode even under ``training=True``. The weights file is
    checksum-verified first (:func:`imagenet_weights_path`) unless ``weights_path`` is given.
    """
    import keras

    size = int(input_size)
    if size != input_size or size < 32:
        raise ValueError(f"input_size must be a whole number >= 32 (MobileNetV3's minimum), got {input_size!r}.")
    path = Path(weights_path) if weights_path is not None else imagenet_weights_path()
    model = keras.applications.MobileNetV3Small(
        input_shape=(size, size, 3), include_top=False, weights=None, pooling="avg", include_preprocessing=True
    )
    model.load_weights(str(path))
    model.trainable = False
    return model
