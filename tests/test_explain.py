"""Unit tests for medtutor.explain on a tiny random-weight CNN (fast, no data needed)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medtutor import explain  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((12, 12, 1))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    h = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="last_conv")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="prob")(h)
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).random((3, 12, 12, 1)).astype(np.float32)


def _logit(model, x):
    p = model.predict(x, verbose=0)[:, 0].astype(np.float64)
    return np.log(p / (1 - p))


def test_class_score_is_logit(model, x):
    np.testing.assert_allclose(explain.class_score(model, x), _logit(model, x), atol=1e-4)
    np.testing.assert_allclose(explain.class_score(model, x, class_index=0), -_logit(model, x), atol=1e-4)


def test_grad_cam_shape_range_and_single(model, x):
    cam = explain.grad_cam(model, x)
    assert cam.shape == (3, 12, 12) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1 + 1e-6
    np.testing.assert_allclose(explain.grad_cam(model, x[0]), cam[0], atol=1e-5)


def test_grad_cam_matches_hand_computation(model, x):
    import tensorflow as tf

    sub = keras.Model(model.inputs[0], [model.get_layer("last_conv").output, model.output])
    with tf.GradientTape() as tape:
        acts, p = sub(tf.constant(x))
        score = tf.math.log(p[:, 0] / (1 - p[:, 0]))
    g = tape.gradient(score, acts).numpy()
    acts = acts.numpy()
    cam = np.maximum((g.mean(axis=(1, 2), keepdims=True) * acts).sum(-1), 0)  # same 12x12 size: no resize
    cam = cam / np.where(cam.max(axis=(1, 2), keepdims=True) > 0, cam.max(axis=(1, 2), keepdims=True), 1)
    np.testing.assert_allclose(explain.grad_cam(model, x), cam, atol=1e-4)


def test_saliency_matches_finite_difference(model, x):
    sal = explain.saliency(model, x[:1])
    assert sal.shape == (1, 12, 12) and np.all(sal >= 0)
    i, j, eps = 5, 6, 1e-2
    xp, xm = x[:1].copy(), x[:1].copy()
    xp[0, i, j, 0] += eps
    xm[0, i, j, 0] -= eps
    fd = (explain.class_score(model, xp) - explain.class_score(model, xm))[0] / (2 * eps)
    assert abs(abs(fd) - sal[0, i, j]) < 1e-2 * max(1.0, abs(fd))


def test_smoothgrad_deterministic_and_zero_noise_is_saliency(model, x):
    a = explain.smoothgrad(model, x, n_samples=3, seed=1)
    b = explain.smoothgrad(model, x, n_samples=3, seed=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        explain.smoothgrad(model, x, n_samples=2, noise=0.0), explain.saliency(model, x), atol=1e-6
    )


def test_integrated_gradients_completeness(model, x):
    ig = explain.integrated_gradients(model, x, steps=64)
    gap = explain.class_score(model, x) - explain.class_score(model, np.zeros_like(x))
    np.testing.assert_allclose(ig.reshape(3, -1).sum(1), gap, atol=2e-2 * max(1.0, np.abs(gap).max()))


def test_occlusion_drop_sign(model, x):
    occ = explain.occlusion(model, x[:1], patch=12, stride=1, baseline=0.0)
    drop = explain.class_score(model, x[:1]) - explain.class_score(model, np.zeros_like(x[:1]))
    np.testing.assert_allclose(occ[0], np.full((12, 12), drop[0]), atol=1e-4)


def test_occlusion_1d():
    sig = np.zeros(100, dtype=np.float32)
    sig[40:50] = 1.0
    starts, drops = explain.occlusion_1d(lambda b: b.sum(axis=1), sig, window=10)
    assert list(starts) == list(range(0, 100, 10))
    assert drops[4] == pytest.approx(10.0) and np.count_nonzero(drops) == 1


def test_randomize_weights_changes_weights_and_maps(model, x):
    rnd = explain.randomize_weights(model, seed=3)
    assert [w.shape for w in rnd.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.allclose(rnd.get_weights()[0], model.get_weights()[0])
    assert explain.map_similarity(explain.saliency(model, x), explain.saliency(model, x)) == pytest.approx(1.0)


def test_randomize_only_named_layers(model):
    top = explain.randomize_weights(model, seed=3, layers=["prob"])
    np.testing.assert_array_equal(
        top.get_layer("last_conv").get_weights()[0], model.get_layer("last_conv").get_weights()[0]
    )
    assert not np.allclose(top.get_layer("prob").get_weights()[0], model.get_layer("prob").get_weights()[0])
    with pytest.raises(ValueError, match="no layers named"):
        explain.randomize_weights(model, layers=["nope"])


def test_map_similarity_and_corner_fraction():
    a = np.arange(16, dtype=float).reshape(4, 4)
    assert explain.map_similarity(a, a) == pytest.approx(1.0)
    assert explain.map_similarity(a, -a) == pytest.approx(-1.0)
    assert explain.map_similarity(a, np.zeros((4, 4))) == 0.0
    m = np.zeros((8, 8))
    m[:2, :2] = 1
    assert explain.corner_fraction(m, size=2) == pytest.approx(1.0)
    assert explain.corner_fraction(np.ones((8, 8)), size=2) == pytest.approx(4 / 64)


def test_overlay():
    rgb = explain.overlay(np.ones((5, 5, 1)), np.zeros((5, 5)))
    assert rgb.shape == (5, 5, 3) and rgb.min() >= 0 and rgb.max() <= 1


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bad, err, words",
    [
        (np.zeros((2, 12, 12, 1), np.uint8), TypeError, "to_float01"),
        (np.zeros((2, 12, 12), np.int64), TypeError, "astype"),
        (np.zeros((12, 12), np.float32), ValueError, "channel axis"),
        (np.full((1, 12, 12, 1), np.nan, np.float32), ValueError, "NaN"),
        (np.zeros((0, 12, 12, 1), np.float32), ValueError, "empty"),
    ],
)
def test_bad_inputs(model, bad, err, words):
    with pytest.raises(err, match=words):
        explain.grad_cam(model, bad)


def test_bad_model_layer_and_class(model, x):
    with pytest.raises(TypeError, match="Keras model"):
        explain.saliency("not a model", x)
    with pytest.raises(ValueError, match="no layer named"):
        explain.grad_cam(model, x, layer_name="nope")
    with pytest.raises(ValueError, match="class_index"):
        explain.saliency(model, x, class_index=2)
    with pytest.raises(ValueError, match="convolutional"):
        explain.grad_cam(model, x, layer_name="prob")


def test_bad_parameters(model, x):
    with pytest.raises(ValueError, match="patch"):
        explain.occlusion(model, x, patch=50)
    with pytest.raises(ValueError, match="steps"):
        explain.integrated_gradients(model, x, steps=1)
    with pytest.raises(ValueError, match="n_samples"):
        explain.smoothgrad(model, x, n_samples=0)
    with pytest.raises(ValueError, match="1-D"):
        explain.occlusion_1d(lambda b: b.sum(1), np.zeros((2, 5), np.float32), window=2)
    with pytest.raises(ValueError, match="same shape"):
        explain.map_similarity(np.zeros((3, 3)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        explain.corner_fraction(-np.ones((4, 4)))
    with pytest.raises(ValueError, match="same size"):
        explain.overlay(np.zeros((4, 4)), np.zeros((5, 5)))
