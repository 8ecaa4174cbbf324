"""Tests for medtutor.models: the CNN's interface, saving/loading the shared model, bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medtutor import models as M  # noqa: E402


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_pneumonia_cnn_interface():
    model = M.pneumonia_cnn()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 1)
    assert model.get_layer("last_conv").output.shape[1:] == (7, 7, 128)
    assert model.get_layer("prob").activation.__name__ == "sigmoid"
    assert [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)] == [32, 64, 128]
    p = model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0)
    assert p.shape == (2, 1) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize("shape", [(28, 28), (2, 2, 1), (28, 0, 1)])
def test_pneumonia_cnn_bad_shape(shape):
    with pytest.raises(ValueError, match="input_shape"):
        M.pneumonia_cnn(shape)


def test_pneumonia_cnn_bad_dropout_and_lr():
    with pytest.raises(ValueError, match="dropout"):
        M.pneumonia_cnn(dropout=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        M.compile_pneumonia_model(M.pneumonia_cnn(), learning_rate=0)
    with pytest.raises(ValueError, match="decay_steps"):
        M.compile_pneumonia_model(M.pneumonia_cnn(), decay_steps=0)


def test_batch_norm_follows_each_convolution_and_can_be_switched_off():
    model = M.pneumonia_cnn(batch_norm=True)
    names = [layer.name for layer in model.layers]
    for conv, bn in [("conv1", "bn1"), ("conv2", "bn2"), ("last_conv", "bn3")]:
        assert names.index(bn) == names.index(conv) + 1  # BN reads the ReLU output: Grad-CAM's maps stay >= 0
    plain = M.pneumonia_cnn()  # the default: notebook 14's shortcut experiment relies on it
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)
    # each BN layer adds 4 numbers per channel (2 trained, 2 running statistics)
    assert model.count_params() - plain.count_params() == 4 * (32 + 64 + 128)


def test_cosine_schedule_decays_to_zero():
    model = M.compile_pneumonia_model(M.pneumonia_cnn(), learning_rate=1e-2, decay_steps=100)
    schedule = model.optimizer._learning_rate
    assert float(schedule(0)) == pytest.approx(1e-2)
    assert float(schedule(50)) == pytest.approx(0.5e-2, rel=1e-3)  # half-way down the cosine
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)
    constant = M.compile_pneumonia_model(M.pneumonia_cnn(), learning_rate=1e-2)
    assert float(constant.optimizer.learning_rate) == pytest.approx(1e-2)


def test_loss_uses_the_recipes_label_smoothing():
    model = M.compile_pneumonia_model(M.pneumonia_cnn())
    y, p = np.array([[1.0], [0.0]], np.float32), np.array([[0.9], [0.2]], np.float32)
    eps = M.RECIPE["label_smoothing"]
    target = y * (1 - eps) + eps / 2  # 1 -> 0.95, 0 -> 0.05
    by_hand = np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p)))
    assert float(model.loss(y, p)) == pytest.approx(by_hand, rel=1e-5)
    assert float(keras.losses.BinaryCrossentropy()(y, p)) != pytest.approx(by_hand, rel=1e-5)  # smoothing matters


def test_augmentation_keeps_shape_and_never_flips():
    aug = M.pneumonia_augmentation(seed=0)
    names = [type(layer).__name__ for layer in aug.layers]
    assert "RandomFlip" not in names
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    assert aug(x, training=True).shape == x.shape
    np.testing.assert_allclose(aug(x, training=False), x)  # inference: identity


def test_save_load_roundtrip_and_sidecar(cache):
    model = M.pneumonia_cnn()
    from medtutor import data

    source = data.load("pneumoniamnist").source  # the cache is keyed on it: saved as this run would train
    path = M.save_pneumonia_model(model, val_threshold=0.4, train_seconds=1.5, source=source)
    assert path == M.pneumonia_model_path() and path.is_file()
    assert not [p for p in path.parent.iterdir() if ".tmp" in p.name]  # atomic: no temp file left
    info = M.pneumonia_model_info()
    assert info["val_threshold"] == 0.4 and info["recipe"] == M.RECIPE
    loaded = M.load_pneumonia_model()
    x = np.random.default_rng(1).random((3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    # load_or_train finds the valid file and does not retrain
    assert M.load_or_train_pneumonia_model(verbose=False).name == M.MODEL_NAME


def test_invalid_saved_files_are_ignored(cache, capsys):
    assert M.load_pneumonia_model() is None  # absent
    path = M.pneumonia_model_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a keras file")
    assert M.load_pneumonia_model() is None
    assert "Ignoring" in capsys.readouterr().out
    stale = M.pneumonia_cnn()
    stale.name = "pneumonia_cnn_v0"
    M.save_pneumonia_model(stale)
    assert M.load_pneumonia_model() is None
    assert "older recipe" in capsys.readouterr().out
    assert M.pneumonia_model_info(path.with_name("absent.keras")) == {}


def test_save_refuses_wrong_model_or_suffix(cache, tmp_path):
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="last_conv"):
        M.save_pneumonia_model(other)
    with pytest.raises(ValueError, match=".keras"):
        M.save_pneumonia_model(M.pneumonia_cnn(), tmp_path / "model.h5")


def test_train_pneumonia_model_runs_and_checks_inputs(monkeypatch):
    monkeypatch.setitem(M.RECIPE, "batch_size", 16)
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    y = (np.arange(32) % 2).astype(np.int64)
    model, history, seconds = M.train_pneumonia_model(x, y, x[:8], y[:8], epochs=1)
    assert set(history) >= {"loss", "val_loss", "val_auc"} and len(history["loss"]) == 1 and seconds > 0
    assert {"bn1", "bn2", "bn3"} <= {layer.name for layer in model.layers} if M.RECIPE["batch_norm"] else True
    with pytest.raises(ValueError, match="to_float01"):
        M.train_pneumonia_model((x * 255).astype(np.uint8), y, x, y)
    with pytest.raises(ValueError, match="shape"):
        M.train_pneumonia_model(x, y[:5], x, y)
    with pytest.raises(ValueError, match="0/1"):
        M.train_pneumonia_model(x, y + 1, x, y)
    with pytest.raises(ValueError, match="epochs"):
        M.train_pneumonia_model(x, y, x, y, epochs=0)


def test_sidecar_is_json(cache):
    M.save_pneumonia_model(M.pneumonia_cnn(), val_threshold=np.float32(0.25))
    assert json.loads(M.pneumonia_model_path().with_suffix(".json").read_text())["val_threshold"] == 0.25


def test_shift_images_moves_pixels_and_fills_with_zero():
    x = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5, 1) + 1
    down = M.shift_images(x, 1, 0)
    assert np.array_equal(down[:, 1:], x[:, :-1]) and not down[:, 0].any()
    left = M.shift_images(x, 0, -2)
    assert np.array_equal(left[:, :, :-2], x[:, :, 2:]) and not left[:, :, -2:].any()
    assert np.array_equal(M.shift_images(x, 0, 0), x)
    with pytest.raises(ValueError, match="batch"):
        M.shift_images(x[0], 1, 0)
    with pytest.raises(ValueError, match="leaves nothing"):
        M.shift_images(x, 4, 0)


def test_predict_pneumonia_averages_the_shifted_passes():
    keras.utils.set_random_seed(0)
    model = M.pneumonia_cnn()
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    one_pass = model.predict(x, verbose=0).ravel()
    assert np.allclose(M.predict_pneumonia(model, x, shift_pixels=0), one_pass, atol=1e-6)
    by_hand = np.mean(
        [
            model.predict(M.shift_images(x, dy, dx), verbose=0).ravel()
            for dy, dx in [(0, 0), (2, 0), (-2, 0), (0, 2), (0, -2)]
        ],
        axis=0,
    )
    assert np.allclose(M.predict_pneumonia(model, x, shift_pixels=2), by_hand, atol=1e-6)
    assert not np.allclose(by_hand, one_pass, atol=1e-6)  # the shifts do change the scores
    with pytest.raises(ValueError, match="shift_pixels"):
        M.predict_pneumonia(model, x, shift_pixels=-1)


def test_intensity_augmentation_is_off_by_default_and_changes_exposure_when_on(monkeypatch):
    plain = [type(layer).__name__ for layer in M.pneumonia_augmentation(seed=0).layers]
    monkeypatch.setitem(M.RECIPE, "contrast_factor", 0.3)
    monkeypatch.setitem(M.RECIPE, "brightness_delta", 0.1)
    monkeypatch.setitem(M.RECIPE, "gamma_log_range", 0.35)
    aug = M.pneumonia_augmentation(seed=0)
    names = [type(layer).__name__ for layer in aug.layers]
    assert names[: len(plain)] == plain and {"RandomContrast", "RandomBrightness", "RandomGamma"} <= set(names)
    x = np.full((8, 28, 28, 1), 0.5, np.float32)
    gamma = aug.layers[-1]
    out = np.asarray(gamma(x, training=True))
    assert out.min() >= 0 and out.max() <= 1 and len(np.unique(out.reshape(8, -1)[:, 0])) > 1  # one gamma per image
    np.testing.assert_allclose(gamma(x, training=False), x)  # inference: identity
    np.testing.assert_allclose(aug(x, training=False), x)


def test_standardize_layer_only_when_asked(monkeypatch):
    assert "standardize" not in {layer.name for layer in M.pneumonia_cnn(batch_norm=True).layers}
    monkeypatch.setitem(M.RECIPE, "standardize", True)
    model = M.pneumonia_cnn(batch_norm=True)
    assert model.layers[1].name == "standardize" and model.layers[2].name == "conv1"
    assert "standardize" not in {layer.name for layer in M.pneumonia_cnn().layers}  # 14's plain network: unchanged
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32") * np.array([1, 3]).reshape(2, 1, 1, 1)
    z = np.asarray(model.get_layer("standardize")(x))
    np.testing.assert_allclose(z.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(1, 2, 3)), 1, atol=1e-2)


def test_weight_decay_switches_to_adamw(monkeypatch):
    assert type(M.compile_pneumonia_model(M.pneumonia_cnn()).optimizer).__name__ == "Adam"
    monkeypatch.setitem(M.RECIPE, "weight_decay", 0.05)
    opt = M.compile_pneumonia_model(M.pneumonia_cnn()).optimizer
    assert type(opt).__name__ == "AdamW" and opt.weight_decay == pytest.approx(0.05)


def test_average_weights_is_the_mean_of_the_snapshots_and_refreshes_batch_norm():
    keras.utils.set_random_seed(0)
    model = M.pneumonia_cnn(batch_norm=True)
    a = model.get_weights()
    b = [w + 1.0 for w in a]
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype("float32")
    M.average_weights(model, [a, b], x, batch_size=16)
    conv = model.get_layer("conv1").get_weights()[0]
    np.testing.assert_allclose(conv, a[0] + 0.5, atol=1e-6)  # trained weights: the mean
    moving_mean = model.get_layer("bn1").moving_mean.numpy()
    assert a[4].shape == moving_mean.shape  # weights: conv1 kernel and bias, then bn1 scale, shift, running mean
    assert not np.allclose(moving_mean, a[4] + 0.5)  # the running mean was re-estimated, not averaged
    with pytest.raises(ValueError, match="snapshots"):
        M.average_weights(model, [], x)


def test_weight_snapshots_keep_the_last_k_epochs(monkeypatch):
    monkeypatch.setitem(M.RECIPE, "batch_size", 16)
    monkeypatch.setitem(M.RECIPE, "average_last_epochs", 2)
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    y = (np.arange(32) % 2).astype(np.int64)
    model, history, _ = M.train_pneumonia_model(x, y, x[:8], y[:8], epochs=3)
    assert len(history["loss"]) == 3 and model.count_params() > 0
    snaps = M.WeightSnapshots(2)
    for epoch in range(3):
        snaps.set_model(model)
        snaps.on_epoch_end(epoch)
    assert len(snaps.weights) == 2
