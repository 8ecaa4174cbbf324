"""Checks for the exercises of notebook 10 (transfer learning: from chest X-rays to breast ultrasound)."""

from __future__ import annotations

from typing import Any

from ._api import call, exercise

#: The course CNN's layers that hold weights, split into the pretrained base and the head trained anew. The shared
#: model has a batch-normalisation layer after each convolution (models.RECIPE["batch_norm"]); they belong to the base.
_BASE_BN = ("bn1", "bn2", "bn3")
_BASE = ("conv1", "conv2", "last_conv", *_BASE_BN)
_HEAD = ("dense", "prob")

# --------------------------------------------------------------------------- 16.1 what moves with a frozen base


@exercise(
    "10.1",
    "Predict what moves during feature extraction",
    hint="A layer's weights change only if the layer holds weights and is trainable; section 3 froze some by name.",
    wrong=[
        lambda: set(_BASE) | set(_HEAD),  # as if freezing did nothing
        lambda: {"prob"},  # only the output layer
        lambda: set(_BASE),  # base and head swapped
        lambda: set(),  # nothing moves
        lambda: {"dense", "prob", "dropout"},  # a layer without weights
        lambda: {"dense", "prob", *_BASE_BN},  # as if a frozen BN layer still updated its statistics
    ],
)
def _check_16_1(answer: Any) -> str | None:
    got = call(answer)
    if not isinstance(got, (set, frozenset, list, tuple)) or not all(isinstance(n, str) for n in got):
        return 'return a set of layer names, e.g. {"name1", "name2"}.'
    got = set(got)
    known = {"image", "pool1", "pool2", "gap", "dropout", *_BASE, *_HEAD}
    if got - known:
        return f"{sorted(got - known)} is not a layer of the course CNN: list names from `frozen.summary()`."
    if got & {"image", "pool1", "pool2", "gap", "dropout"}:
        return "some of the layers you list have no weights at all, so nothing in them can change."
    if got & set(_BASE_BN):
        return (
            "you list a batch-normalisation layer of the frozen base: its stored statistics are weights too; "
            "section 3 showed what a frozen BN layer does with them."
        )
    if got & set(_BASE):
        return "you list a layer that was frozen: a frozen layer receives no update."
    if got != set(_HEAD):
        return "a trainable layer with weights is missing from your set."
    return None


# --------------------------------------------------------------------------- 16.2 find the bug: a base not quite frozen


def _models_16_2() -> list[Any]:
    """Fresh test models: the course CNN without and with batch normalisation, and a small CNN with a BN layer."""
    import keras
    from keras import layers

    from medtutor.models import pneumonia_cnn

    inputs = keras.Input((16, 16, 1))
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(4, name="dense")(x)
    bn_model = keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="prob")(x))
    return [pneumonia_cnn(), pneumonia_cnn(batch_norm=True), bn_model]


def _buggy_freeze(model: Any) -> Any:
    """The colleague's version: model.layers[0] is the input layer, so the slice misses a convolution."""
    for layer in model.layers[:3]:
        layer.trainable = False
    return model


def _freeze_convolutions_only(model: Any) -> Any:
    """Freezes by type: every Conv2D, but a batch-norm layer of the base stays trainable (training mode)."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.trainable = False
    return model


def _freeze_all(model: Any) -> Any:
    model.trainable = False
    return model


@exercise(
    "10.2",
    "Find the bug: a base that is not quite frozen",
    hint="Print `[(layer.name, layer.trainable) for layer in model.layers]` after calling your function; what is "
    "model.layers[0]? Decide by the layer's name, not by its position or its type.",
    wrong=[_buggy_freeze, _freeze_convolutions_only, _freeze_all, lambda model: model],
)
def _check_16_2(answer: Any) -> str | None:
    for model in _models_16_2():
        got = call(answer, model)
        model = model if got is None else got
        if not hasattr(model, "layers"):
            return "return the model (or modify it in place and return None)."
        for layer in model.layers:
            if not layer.weights:
                continue
            if layer.name in _HEAD and not layer.trainable:
                return "a head layer is frozen: the new head must learn."
            if layer.name not in _HEAD and layer.trainable:
                kind = "a batch-normalisation" if "BatchNormalization" in type(layer).__name__ else "a base"
                return f"{kind} layer of the model named {model.name!r} is still trainable."
    return None


# --------------------------------------------------------------------------- 16.3 interpret a paired interval

_CASES_16_3 = [
    ((0.05, 0.01, 0.09), "transfer better"),
    ((0.03, -0.01, 0.07), "no evidence"),
    ((-0.04, -0.08, -0.01), "scratch better"),
    ((-0.01, -0.05, 0.03), "no evidence"),
    ((0.12, 0.002, 0.25), "transfer better"),
    ((-0.2, -0.3, -0.005), "scratch better"),
]


@exercise(
    "10.3",
    "Interpret a paired gain and its interval",
    hint="The gain is transfer minus scratch. Which values does the interval allow, and is zero among them?",
    wrong=[
        lambda g, lo, hi: "transfer better" if g > 0 else "scratch better",  # the point estimate alone
        lambda g, lo, hi: "transfer better" if lo > 0 else "scratch better",  # never "no evidence"
        lambda g, lo, hi: "scratch better" if lo > 0 else "transfer better" if hi < 0 else "no evidence",  # swapped
        lambda g, lo, hi: "no evidence",
    ],
)
def _check_16_3(answer: Any) -> str | None:
    allowed = {"transfer better", "scratch better", "no evidence"}
    for k, (args, expected) in enumerate(_CASES_16_3, start=1):
        got = call(answer, *args)
        if got not in allowed:
            return f"return one of {sorted(allowed)}, got {got!r}."
        if got != expected:
            return f"test case {k} (gain {args[0]:+.3f}, interval [{args[1]:+.3f}, {args[2]:+.3f}]) is misread."
    return None
