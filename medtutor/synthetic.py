"""Synthetic stand-ins of the same shape as the real datasets, for when the real files cannot be had.

They exist so that every notebook still *runs* offline with no data (the code path is the same), never
to produce results: a model trained on them learns the generator, not medicine. Every stand-in is
announced with :func:`banner`. All generators are deterministic for a given ``seed``.

- :func:`chest_xray_images` - 28x28 "chest X-rays": a bright body, two dark lungs, and (label 1) soft
  bright opacities inside a lung, as pneumonia consolidations look.
- :func:`ultrasound_images` - 28x28 speckled "ultrasound" with a dark lesion; label 0 (malignant) has an
  irregular, taller-than-wide margin, label 1 (normal/benign) a smooth oval or none.
- :func:`nodule_volumes` - 28^3 CT-like volumes with a nodule: label 0 benign (smooth sphere), label 1
  malignant (spiculated: thin spikes leaving the surface obliquely, off the three central planes).
- :func:`adrenal_volumes` - 28^3 binary shape masks like AdrenalMNIST3D; label 1 (mass) adds a round thickening.
- :func:`ecg_beats` - 140-sample heartbeats; label 1 normal (P-QRS-T), label 0 abnormal (wide QRS,
  inverted T, ST shift).
- :func:`heart_sound` and :func:`write_physionet_folder` - phonocardiograms with S1/S2 sounds, murmurs
  (label abnormal) and noise, written in PhysioNet 2016's format (WAV + WFDB .hea + REFERENCE.csv).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = [
    "banner",
    "chest_xray_images",
    "ecg_beats",
    "heart_sound",
    "adrenal_volumes",
    "nodule_volumes",
    "ultrasound_images",
    "write_physionet_folder",
]


def banner(name: str, reason: str = "") -> str:
    """Print (to stdout, so it shows in a notebook) and return a banner announcing a synthetic stand-in."""
    import textwrap

    width = 78
    message = (
        f"SYNTHETIC STAND-IN DATA for {name!r}: the real files could not be found or downloaded. "
        "Everything below runs on generated images/signals of the same shape, NOT on patients: "
        "the numbers it prints say nothing about medicine. For the real data, connect to the internet "
        f"or set MEDTUTOR_DATA_DIR to a folder holding {name}/<official file name> "
        "(`medtutor data where` shows where the course looks)."
    )
    lines = textwrap.wrap(message, width - 4)
    if reason:
        lines += textwrap.wrap(f"Why: {reason}", width - 4)[:3]
    text = "\n".join(["#" * width, *[f"# {ln:<{width - 4}} #" for ln in lines], "#" * width])
    print(text, file=sys.stdout, flush=True)
    return text


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size), indexing="xy")


def _check_n(n: int) -> None:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")


def _image_batch(n: int, seed: int, size: int, p_one: float) -> tuple[np.ndarray, ...]:
    """The start of every 2D generator: ``(rng, xx, yy, labels, empty float images)``; label 1 with ``p_one``."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    xx, yy = _grid(size)
    y = (rng.random(n) < p_one).astype(np.int64)
    return rng, xx, yy, y, np.empty((n, size, size), dtype=np.float64)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


def chest_xray_images(n: int, seed: int = 0, size: int = 28, p_pneumonia: float = 0.74):
    """``n`` chest-X-ray-like images ``(n, size, size)`` uint8 and labels (1 = pneumonia-like opacity)."""
    rng, xx, yy, y, out = _image_batch(n, seed, size, p_pneumonia)
    for i in range(n):
        dx, dy, s = rng.normal(0, 0.05), rng.normal(0, 0.05), rng.uniform(0.9, 1.1)
        body = np.exp(-(((xx - dx) / (0.95 * s)) ** 6 + ((yy - dy) / 1.1) ** 6))
        img = 0.25 + 0.45 * body
        for side in (-1, 1):
            lung = np.exp(-(((xx - dx - side * 0.42 * s) / 0.3) ** 2 + ((yy - dy + 0.05) / 0.6) ** 2) * 2)
            img -= 0.35 * lung
        img += 0.25 * np.exp(-(((xx - dx + 0.08) / 0.18) ** 2 + ((yy - dy - 0.25) / 0.35) ** 2))  # heart
        if y[i]:
            for _ in range(rng.integers(1, 4)):
                cx = dx + rng.choice([-1, 1]) * rng.uniform(0.25, 0.55)
                cy = dy + rng.uniform(-0.4, 0.5)
                r = rng.uniform(0.12, 0.3)
                img += rng.uniform(0.15, 0.3) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r**2))
        img += rng.normal(0, 0.03, img.shape)
        out[i] = img
    return _to_uint8(out), y


def ultrasound_images(n: int, seed: int = 0, size: int = 28, p_normal: float = 0.73):
    """``n`` ultrasound-like images ``(n, size, size)`` uint8; label 0 malignant, 1 normal or benign."""
    rng, xx, yy, y, out = _image_batch(n, seed, size, p_normal)
    theta = np.arctan2(yy, xx)
    for i in range(n):
        tissue = 0.55 + 0.1 * np.tanh(3 * yy) + rng.normal(0, 0.1, xx.shape)
        cx, cy = rng.uniform(-0.3, 0.3, 2)
        t = np.arctan2(yy - cy, xx - cx)
        rr = np.hypot(xx - cx, yy - cy)
        if y[i] == 0:  # malignant: irregular, taller than wide, dark
            radius = 0.3 * (1 + 0.35 * np.sin(5 * t + rng.uniform(0, 6)) * rng.uniform(0.5, 1))
            rr = np.hypot((xx - cx) * 1.3, (yy - cy) * 0.8)
            lesion = rr < radius
            depth = 0.45
        else:  # benign: smooth, wider than tall; or no lesion (normal)
            radius = rng.uniform(0.15, 0.3) * np.ones_like(theta)
            rr = np.hypot((xx - cx) * 0.8, (yy - cy) * 1.3)
            lesion = (rr < radius) & (rng.random() < 0.7)
            depth = 0.3
        img = tissue - depth * lesion
        out[i] = img * rng.gamma(8.0, 1 / 8.0, xx.shape)  # multiplicative speckle
    return _to_uint8(np.clip(out, 0, 1)), y


def _volume_setup(n: int, seed: int, size: int, p_positive: float):
    """Shared start of the 3D stand-ins: the generator, a (z, y, x) grid on [-1, 1]^3 and the labels (drawn first)."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    c = np.linspace(-1, 1, size)
    grid = np.meshgrid(c, c, c, indexing="ij")
    return rng, grid, (rng.random(n) < p_positive).astype(np.int64)


def nodule_volumes(n: int, seed: int = 0, size: int = 28, p_malignant: float = 0.25):
    """``n`` CT-like volumes ``(n, size, size, size)`` uint8; label 1 spiculated (malignant), 0 smooth."""
    rng, (zz, yy, xx), y = _volume_setup(n, seed, size, p_malignant)
    out = np.empty((n, size, size, size), dtype=np.uint8)
    for i in range(n):
        centre = rng.normal(0, 0.05, 3)
        dz, dy, dx = zz - centre[0], yy - centre[1], xx - centre[2]
        r = np.sqrt(dz**2 + dy**2 + dx**2) + 1e-6
        radius = rng.uniform(0.2, 0.45)
        vol = 0.15 + rng.normal(0, 0.04, r.shape)  # lung parenchyma
        vol += 0.6 / (1 + np.exp((r - radius) / 0.04))  # the nodule
        if y[i]:
            for _ in range(rng.integers(3, 6)):  # spicules: thin bright lines leaving the surface
                vol += 0.45 * _oblique_spicule(dz, dy, dx, radius, rng)
        out[i] = _to_uint8(np.clip(vol, 0, 1))
    return out, y


def _oblique_spicule(dz: np.ndarray, dy: np.ndarray, dx: np.ndarray, radius: float, rng: np.random.Generator):
    """A thin line leaving the nodule's surface obliquely, away from the three central planes.

    Why: a spicule pointing radially along an axis crosses the central axial/coronal/sagittal planes,
    so a 2.5D model would see it as well as a 3D one. Real spicules leave at any angle; this one starts
    at a surface point whose three coordinates are all off-centre and tilts sideways, so mostly the 3D
    model can see it.
    """
    while True:  # a surface direction with every component at least 0.35 away from a central plane
        n = rng.normal(size=3)
        n /= np.linalg.norm(n)
        if np.all(np.abs(n) > 0.35):
            break
    tangent = np.cross(n, rng.normal(size=3))
    tangent /= np.linalg.norm(tangent)
    d = n + 0.7 * tangent
    d /= np.linalg.norm(d)
    start = n * radius * 0.9
    length = rng.uniform(0.2, 0.4)
    rel = np.stack([dz - start[0], dy - start[1], dx - start[2]])
    along = np.tensordot(d, rel, axes=1)
    perp2 = np.sum(rel**2, axis=0) - along**2
    return (along > 0) & (along < length) & (perp2 < 0.05**2)


def adrenal_volumes(n: int, seed: int = 0, size: int = 28, p_mass: float = 0.22):
    """``n`` binary shape masks ``(n, size, size, size)`` uint8 in {0, 255}, like AdrenalMNIST3D.

    Label 0: a thin, curved, limb-like plate (a normal gland); 1: the same with a round thickening (a mass).
    """
    rng, (zz, yy, xx), y = _volume_setup(n, seed, size, p_mass)
    out = np.zeros((n, size, size, size), dtype=np.uint8)
    for i in range(n):
        bend = rng.uniform(0.5, 1.5)
        limb = (np.abs(xx - 0.3 * bend * yy**2) < rng.uniform(0.06, 0.1)) & (np.abs(yy) < 0.7) & (np.abs(zz) < 0.5)
        if y[i]:
            centre = rng.uniform(-0.3, 0.3, 3)
            limb |= (zz - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2 < rng.uniform(0.2, 0.35) ** 2
        out[i] = 255 * limb
    return out, y


def ecg_beats(n: int, seed: int = 0, length: int = 140, p_normal: float = 0.58):
    """``n`` single heartbeats ``(n, length)`` float32 (z-scored like ECG5000); label 1 abnormal, 0 normal
    (the course's disease = 1 convention, as ``data.load("ecg5000")`` returns)."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    y = (rng.random(n) < p_normal).astype(np.int64)

    def wave(centre: float, width: float, height: float) -> np.ndarray:
        return height * np.exp(-(((t - centre) / width) ** 2))

    x = np.empty((n, length), dtype=np.float32)
    for i in range(n):
        j = rng.normal(0, 0.01)
        if y[i]:
            beat = wave(0.2 + j, 0.03, 0.2) - wave(0.32 + j, 0.01, 0.3) + wave(0.35 + j, 0.012, 1.6)
            beat += -wave(0.38 + j, 0.012, 0.5) + wave(0.6 + j, 0.06, 0.45)
        else:
            beat = wave(0.35 + j, 0.04, 1.2) - wave(0.42 + j, 0.03, 0.6) - wave(0.62 + j, 0.07, 0.4)
            beat += rng.uniform(-0.3, 0.3) * (t > 0.4) * (t < 0.55)
        beat = beat + rng.normal(0, 0.05, length)
        x[i] = (beat - beat.mean()) / (beat.std() + 1e-8)
    return x, 1 - y  # y above is 1 for a normal beat


def heart_sound(seconds: float, fs: int = 2000, abnormal: bool = False, seed: int = 0) -> np.ndarray:
    """A phonocardiogram-like float32 signal in [-1, 1]: S1 and S2 each cycle, a murmur when abnormal."""
    if seconds <= 0 or fs <= 0:
        raise ValueError("seconds and fs must be positive.")
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    sig = rng.normal(0, 0.02, n)
    period = 60.0 / rng.uniform(60, 100)
    t0 = rng.uniform(0, period)
    tt = np.arange(int(0.06 * fs)) / fs
    for start in np.arange(t0, seconds - 0.5, period):
        for offset, freq, amp in ((0.0, 50, 0.8), (0.3 * period + 0.1, 70, 0.5)):  # S1 then S2
            k = int((start + offset) * fs)
            burst = amp * np.sin(2 * np.pi * freq * tt) * np.hanning(len(tt))
            sig[k : k + len(tt)] += burst[: max(0, min(len(tt), n - k))]
        if abnormal:  # a systolic murmur: band-limited noise between S1 and S2
            a, b = int((start + 0.07) * fs), int((start + 0.3 * period + 0.08) * fs)
            noise = rng.normal(0, 0.15, max(0, min(b, n) - a))
            sig[a : a + len(noise)] += np.convolve(noise, np.ones(8) / 8, mode="same") * 2
    return np.clip(sig / (np.abs(sig).max() + 1e-8) * 0.9, -1, 1).astype(np.float32)


def write_physionet_folder(folder: str | Path, n_records: int = 20, seed: int = 0, fs: int = 2000) -> Path:
    """Write ``n_records`` synthetic recordings in PhysioNet 2016's layout and return the folder.

    Files: ``<rec>.wav`` (16-bit mono), ``<rec>.hea`` (WFDB header, last line ``# Normal``/``# Abnormal``),
    ``REFERENCE.csv`` (``rec,-1|1``) and ``RECORDS``. The record prefix is the folder's site letter.
    """
    from scipy.io import wavfile

    _check_n(n_records)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prefix = folder.name[-1] if folder.name.startswith("training-") else "s"
    refs, names = [], []
    for i in range(n_records):
        name = f"{prefix}{i + 1:04d}"
        abnormal = bool(i % 2) if n_records < 4 else bool(rng.random() < 0.5)
        sig = heart_sound(float(rng.uniform(8, 15)), fs, abnormal, seed=seed * 10007 + i)
        pcm = np.round(sig * 32767).astype(np.int16)
        wavfile.write(folder / f"{name}.wav", fs, pcm)
        label = "Abnormal" if abnormal else "Normal"
        header = f"{name} 1 {fs} {len(pcm)}\r\n{name}.wav 16+44 1 16 0 0 0 0 PCG\r\n# {label}\r\n"
        (folder / f"{name}.hea").write_bytes(header.encode())
        refs.append(f"{name},{1 if abnormal else -1}")
        names.append(name)
    (folder / "REFERENCE.csv").write_text("\n".join(refs) + "\n")
    (folder / "RECORDS").write_text("\n".join(names) + "\n")
    return folder
