"""Stand-ins: the same shapes as the real data, deterministic, and their labels carry signal."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from medtutor import synthetic


@pytest.mark.parametrize(
    "maker, shape",
    [
        (synthetic.chest_xray_images, (28, 28)),
        (synthetic.ultrasound_images, (28, 28)),
        (synthetic.nodule_volumes, (28, 28, 28)),
    ],
)
def test_image_stand_ins(maker, shape):
    x, y = maker(40, seed=3)
    assert x.shape == (40, *shape) and x.dtype == np.uint8 and y.shape == (40,)
    x2, y2 = maker(40, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert len(np.unique(y)) == 2
    with pytest.raises(ValueError, match="positive"):
        maker(0)


def test_chest_stand_in_labels_are_learnable():
    x, y = synthetic.chest_xray_images(300, seed=0)
    lung_brightness = x[:, 8:22, 4:24].reshape(300, -1).mean(1)
    assert lung_brightness[y == 1].mean() > lung_brightness[y == 0].mean()


def test_ecg_beats():
    x, y = synthetic.ecg_beats(50, seed=1)
    assert x.shape == (50, 140) and x.dtype == np.float32
    assert np.allclose(x.mean(1), 0, atol=1e-5)


def test_heart_sound_and_physionet_folder(tmp_path):
    sig = synthetic.heart_sound(5.0, abnormal=True, seed=2)
    assert sig.dtype == np.float32 and len(sig) == 10000 and np.abs(sig).max() <= 1
    folder = synthetic.write_physionet_folder(tmp_path / "training-z", n_records=6, seed=0)
    ref = (folder / "REFERENCE.csv").read_text().split()
    assert len(ref) == 6 and ref[0].startswith("z0001,")
    fs, pcm = wavfile.read(folder / "z0001.wav")
    assert fs == 2000 and pcm.dtype == np.int16
    header = (folder / "z0001.hea").read_bytes().decode()
    assert header.rstrip().endswith(("# Normal", "# Abnormal")) and "\r\n" in header
    with pytest.raises(ValueError):
        synthetic.heart_sound(0)


def test_banner_is_loud(capsys):
    text = synthetic.banner("pneumoniamnist", "offline")
    out = capsys.readouterr().out
    assert "SYNTHETIC STAND-IN" in out and out.strip() == text and "MEDTUTOR_DATA_DIR" in text


def test_nodule_stand_in_spicules_leave_the_central_planes():
    """Issue 17: spicules must not run along the axes through the centre, or 2.5D sees them as well as 3D."""
    size = 28
    c = np.linspace(-1, 1, size)
    zz, yy, xx = np.meshgrid(c, c, c, indexing="ij")
    rng = np.random.default_rng(0)
    mid = size // 2
    on_planes = 0
    total = 0
    for _ in range(20):
        spike = synthetic._oblique_spicule(zz, yy, xx, 0.3, rng)
        assert spike.any() and not spike[mid, mid, mid]
        planes = np.zeros_like(spike)
        planes[mid - 1 : mid + 1] = planes[:, mid - 1 : mid + 1] = planes[:, :, mid - 1 : mid + 1] = True
        on_planes += int((spike & planes).sum())
        total += int(spike.sum())
    assert on_planes < 0.25 * total  # most of every spicule lies off the three central planes
