"""Heart sounds (PhysioNet/CinC 2016 phonocardiograms): reading, signal processing, a window model, a CLI.

Notebook 13 teaches every step below by hand first; this module is the same pipeline, reusable from the
``medtutor heart train|evaluate`` command (its argparse code lives in :mod:`medtutor.cli`) and from later
notebooks:

1. :func:`read_recording` / :func:`read_folder` - WAV files plus labels from the WFDB ``.hea`` header
   (last line ``# Normal`` / ``# Abnormal``) or ``REFERENCE.csv`` (``record,-1|1``).
2. :func:`bandpass` (25-400 Hz, where S1, S2 and most murmurs live) and :func:`normalize`.
3. :func:`power_frames` - a short-time power spectrum at 50 frames/s; :func:`envelope` (log energy),
   :func:`heart_cycle` (cycle and systole durations from the envelope's autocorrelation) and
   :func:`segment_states` (S1 / systole / S2 / diastole labels per frame).
4. :func:`window_features` - one feature vector per fixed-length window (MFCC-like, band energies,
   spectral shape, heart-cycle timing, state-wise energy ratios).
5. :func:`build_model` / :func:`build_sequence_model` / :func:`train_model` - a small Keras MLP on window
   features, a Conv1D + GRU on the windows' log-mel frames, or the average of both (``kind="ensemble"``, what
   ``medtutor heart train`` trains); a recording's probability is the mean over its windows
   (:func:`predict_recordings`).

Keras is imported inside functions only, so ``import medtutor.heart`` stays light.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BAND",
    "FEATURE_NAMES",
    "FRAME_RATE",
    "KINDS",
    "bandpass",
    "build_model",
    "cache_key",
    "build_sequence_model",
    "envelope",
    "consistent_features",
    "cross_site_threshold",
    "evaluate_folder",
    "fit_site_robust",
    "folder_sites",
    "heart_cycle",
    "load_or_train_model",
    "log_mel",
    "loso_table",
    "macc_ci",
    "macc_scores",
    "mel_filterbank",
    "normalize",
    "power_frames",
    "predict_recordings",
    "read_folder",
    "read_label",
    "read_recording",
    "recording_features",
    "recording_table",
    "segment_states",
    "train_model",
    "window_features",
    "window_probabilities",
]

FS = 2000  # PhysioNet 2016 sampling rate (Hz)
BAND = (25.0, 400.0)  # band-pass edges (Hz): heart sounds and most murmurs
N_FFT = 128  # 64 ms analysis frames at 2 kHz
HOP = 40  # 20 ms hop at 2 kHz -> 50 frames per second
FRAME_RATE = FS / HOP
N_MELS = 24
N_MFCC = 13
WINDOW_S = 5.0  # fixed-length windows (s)
MIN_SECONDS = 2.2  # shortest recording the window pipeline can use (one heart-cycle search needs 2 s)
HOP_S = 2.5  # windows overlap by half
ENERGY_BANDS = [(25, 45), (45, 80), (80, 150), (150, 250), (250, 400), (400, 1000)]
STATES = ["S1", "systole", "S2", "diastole"]
KINDS = ("robust", "ensemble", "mlp")  # model kinds of train_model; the first is the command line's default


def _feature_names() -> list[str]:
    names = [f"mfcc{i}_mean" for i in range(N_MFCC)] + [f"mfcc{i}_std" for i in range(N_MFCC)]
    bands = [f"{a}-{b}Hz" for a, b in ENERGY_BANDS]
    names += [f"share_{b}_mean" for b in bands] + [f"share_{b}_std" for b in bands]
    names += ["centroid_mean", "centroid_std", "flatness_mean", "flatness_std"]
    names += [f"log_energy_p{p}_minus_median" for p in (5, 25, 50, 75, 95)]
    names += ["cycle_s", "systole_s", "autocorr_cycle", "autocorr_systole", "systole_fraction", "segmented_fraction"]
    for a, b in (("systole", "S1"), ("diastole", "S2"), ("systole", "diastole")):
        names += [f"{a}_minus_{b}_{band}" for band in bands]
    return names


FEATURE_NAMES: list[str] = _feature_names()


# --------------------------------------------------------------------------- reading


def read_recording(path_wav: str | os.PathLike[str], min_seconds: float = 0.0) -> tuple[np.ndarray, int]:
    """Read a PhysioNet WAV: ``(signal float32 in [-1, 1], fs)``. Why: every model sees the same scale.

    Empty, NaN and shorter-than-``min_seconds`` recordings are refused with an error naming the file
    (the reader is :func:`medtutor.data.read_pcg_wav`, shared with ``data.load``).
    """
    from medtutor import data

    return data.read_pcg_wav(path_wav, min_seconds=min_seconds)


def read_label(path_hea: str | os.PathLike[str]) -> int:
    """Label from a WFDB header's last line: ``# Abnormal`` -> 1, ``# Normal`` -> 0."""
    path = Path(path_hea)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass the .hea header next to the .wav file.")
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    last = lines[-1].lstrip("#").strip().lower() if lines else ""
    if last not in ("normal", "abnormal"):
        raise ValueError(f"{path}: last line must be '# Normal' or '# Abnormal' (PhysioNet 2016), got {last!r}.")
    return int(last == "abnormal")


def _reference(folder: Path) -> dict[str, int]:
    """``{record: 1 abnormal | 0 normal}`` from a folder's REFERENCE.csv (the one parser lives in ``data``)."""
    from medtutor import data

    return {rec: int(label == 1) for rec, label in data._read_reference(folder / "REFERENCE.csv")}


def read_folder(
    folder: str | os.PathLike[str], sites: list[str] | str | None = None
) -> tuple[list[str], list[np.ndarray], np.ndarray, int]:
    """Read a PhysioNet-format folder: ``(records, signals, labels, fs)``; labels 1 abnormal, 0 normal.

    ``folder`` holds ``<rec>.wav`` with ``<rec>.hea`` headers or a ``REFERENCE.csv``; or it holds
    ``training-<site>/`` sub-folders (then ``sites``, e.g. ``"abcd"``, chooses them; default: all).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: pass a PhysioNet-format folder (WAV + .hea).")
    subs = sorted(p for p in folder.glob("training-*") if p.is_dir())
    if subs:
        wanted = set(sites) if sites else {p.name[len("training-") :] for p in subs}
        chosen = [p for p in subs if p.name[len("training-") :] in wanted]
        missing = wanted - {p.name[len("training-") :] for p in chosen}
        if missing:
            raise FileNotFoundError(f"{folder} has no training-{sorted(missing)[0]}/; sites present: {subs}.")
        out: tuple[list[str], list[np.ndarray], list[int]] = ([], [], [])
        fs = FS
        for sub in chosen:
            r, s, y, fs = read_folder(sub)
            out[0].extend(r), out[1].extend(s), out[2].extend(y.tolist())
        return out[0], out[1], np.asarray(out[2], dtype=np.int64), fs
    from medtutor import data

    wavs = data.wav_files(folder)  # .wav and .WAV alike
    if not wavs:
        raise FileNotFoundError(f"{folder} has no .wav files: pass a PhysioNet-format folder (WAV + .hea).")
    ref = _reference(folder) if (folder / "REFERENCE.csv").is_file() else {}
    records, signals, labels, rates = [], [], [], set()
    for wav in wavs:
        rec = wav.stem
        if rec in ref:
            label = ref[rec]
        elif wav.with_suffix(".hea").is_file():
            label = read_label(wav.with_suffix(".hea"))
        else:
            raise FileNotFoundError(f"{wav.name} has no label: add {rec}.hea or a REFERENCE.csv row '{rec},-1|1'.")
        sig, fs = read_recording(wav, min_seconds=MIN_SECONDS)
        records.append(rec), signals.append(sig), labels.append(label), rates.add(fs)
    if len(rates) != 1:
        raise ValueError(f"{folder}: recordings have different sampling rates {sorted(rates)}; resample them first.")
    return records, signals, np.asarray(labels, dtype=np.int64), rates.pop()


# --------------------------------------------------------------------------- signal processing


def _check_signal(x: Any, min_len: int = N_FFT) -> np.ndarray:
    sig = np.asarray(x)
    if sig.ndim != 1:
        raise ValueError(f"signal must be 1-D (T,), got shape {sig.shape}; pass one recording at a time.")
    if not np.issubdtype(sig.dtype, np.floating):
        raise TypeError(f"signal must be float (got {sig.dtype}); use read_recording() or x / 32768.0.")
    if not np.all(np.isfinite(sig)):
        raise ValueError("signal contains NaN or inf; clean or drop the recording first.")
    if len(sig) < min_len:
        raise ValueError(f"signal has {len(sig)} samples, need at least {min_len}; the recording is too short.")
    return sig.astype(np.float32, copy=False)


def _check_fs(fs: Any) -> int:
    """``fs`` as an int: 2000, 2000.0 and np.int64(2000) are the same rate; anything else is refused."""
    if isinstance(fs, bool) or not isinstance(fs, (int, float, np.integer, np.floating)) or fs != FS:
        raise ValueError(f"fs must be {FS} Hz (PhysioNet 2016), got {fs!r}; resample with scipy.signal.resample_poly.")
    return int(fs)


def bandpass(x: np.ndarray, fs: int = FS, low: float = BAND[0], high: float = BAND[1], order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass: keeps heart sounds, drops breathing rumble and hiss."""
    from scipy import signal as sps

    sig = _check_signal(x, min_len=3 * (2 * order + 1))
    if not 0 < low < high < fs / 2:
        raise ValueError(f"need 0 < low < high < fs/2 = {fs / 2}, got low={low}, high={high}.")
    sos = sps.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    return sps.sosfiltfilt(sos, sig).astype(np.float32)


def normalize(x: np.ndarray) -> np.ndarray:
    """Robust scale (10 x median |x| -> 1) and clip at +-10: loudness varies by device, spikes are artefacts."""
    sig = _check_signal(x, min_len=1)
    scale = float(np.median(np.abs(sig))) * 10.0
    if scale <= 0:
        raise ValueError("signal is silent (median |x| = 0); the recording holds no heart sound.")
    return np.clip(sig / scale, -10.0, 10.0).astype(np.float32)


def power_frames(x: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Short-time power spectrum ``(n_frames, n_fft // 2 + 1)``, Hann window; 50 frames/s at the defaults."""
    from numpy.lib.stride_tricks import sliding_window_view

    sig = _check_signal(x, min_len=n_fft)
    frames = sliding_window_view(sig, n_fft)[::hop] * np.hanning(n_fft).astype(np.float32)
    return (np.abs(np.fft.rfft(frames, axis=1)) ** 2).astype(np.float32)


def frame_freqs(n_fft: int = N_FFT, fs: int = FS) -> np.ndarray:
    """Centre frequency (Hz) of each power_frames column."""
    return np.fft.rfftfreq(n_fft, 1.0 / fs)


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, fs: int = FS, fmin: float = 25, fmax: float = 800):
    """Triangular filters equally spaced on the mel scale ``(n_mels, n_fft // 2 + 1)``: finer at low pitch."""
    if not 0 <= fmin < fmax <= fs / 2 or n_mels < 1:
        raise ValueError(f"need n_mels >= 1 and 0 <= fmin < fmax <= fs/2, got {n_mels}, {fmin}, {fmax}.")
    mel = np.linspace(2595 * np.log10(1 + fmin / 700), 2595 * np.log10(1 + fmax / 700), n_mels + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    freqs = frame_freqs(n_fft, fs)
    fb = np.zeros((n_mels, len(freqs)), np.float32)
    for i in range(n_mels):
        lo, c, hi = hz[i : i + 3]
        fb[i] = np.clip(np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)), 0, None)
    return fb


def log_mel(power: np.ndarray) -> np.ndarray:
    """Log mel energies ``(n_frames, N_MELS)`` of a power_frames array (the ear's, and murmurs', scale)."""
    p = np.asarray(power, dtype=np.float32)
    if p.ndim != 2 or p.shape[1] != N_FFT // 2 + 1:
        raise ValueError(f"power must be (n_frames, {N_FFT // 2 + 1}) from power_frames(), got {p.shape}.")
    return np.log(p @ mel_filterbank().T + 1e-6).astype(np.float32)


def envelope(power: np.ndarray) -> np.ndarray:
    """Standardised log energy in the 25-400 Hz band per frame, lightly smoothed: S1/S2 are its peaks."""
    p = np.asarray(power, dtype=np.float32)
    if p.ndim != 2 or p.shape[1] != N_FFT // 2 + 1 or len(p) < 3:
        raise ValueError(f"power must be (n_frames >= 3, {N_FFT // 2 + 1}) from power_frames(), got {p.shape}.")
    f = frame_freqs()
    e = np.log(p[:, (f >= BAND[0]) & (f < BAND[1])].sum(1) + 1e-9)
    e = np.convolve(e, np.ones(3) / 3, mode="same")
    return ((e - e.mean()) / (e.std() + 1e-8)).astype(np.float32)


def heart_cycle(env: np.ndarray, frame_rate: float = FRAME_RATE) -> tuple[float, float, float, float]:
    """``(cycle_s, systole_s, ac_cycle, ac_systole)`` from the envelope's autocorrelation.

    The highest autocorrelation peak at 0.45-2 s lag is one heart cycle (30-133 beats/min); the highest
    between 0.2 s and half a cycle is S1 -> S2, the systole (Springer et al., 2016). The peak heights say
    how regular the rhythm is.
    """
    e = np.asarray(env, dtype=np.float64)
    if e.ndim != 1 or len(e) < int(2.0 * frame_rate) + 1:
        raise ValueError(f"env must be 1-D and longer than 2 s ({int(2 * frame_rate) + 1} frames), got {e.shape}.")
    n = len(e)
    spec = np.fft.rfft(e - e.mean(), 2 * n)
    ac = np.fft.irfft(np.abs(spec) ** 2)[:n]
    ac = ac / (ac[0] + 1e-12)
    lo, hi = int(0.45 * frame_rate), int(2.0 * frame_rate)
    k = lo + int(np.argmax(ac[lo:hi]))
    lo2 = int(0.2 * frame_rate)
    hi2 = max(lo2 + 1, k // 2)
    ks = lo2 + int(np.argmax(ac[lo2:hi2]))
    return k / frame_rate, ks / frame_rate, float(ac[k]), float(ac[ks])


def segment_states(
    env: np.ndarray, cycle_s: float, systole_s: float, frame_rate: float = FRAME_RATE
) -> tuple[np.ndarray, np.ndarray]:
    """Label each frame 0 S1, 1 systole, 2 S2, 3 diastole, -1 unsure; returns ``(states, s1_frames)``.

    Envelope peaks are candidate heart sounds; a peak followed by a gap close to the systole and preceded
    by a gap close to the diastole is an S1, the next peak its S2 (systole is the shorter, steadier interval).
    A simplified version of the duration-based segmentation of Springer et al. (2016).
    """
    from scipy.signal import find_peaks

    e = np.asarray(env, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError(f"env must be 1-D, got shape {e.shape}.")
    if not 0 < systole_s < cycle_s:
        raise ValueError(f"need 0 < systole_s < cycle_s, got {systole_s}, {cycle_s}; use heart_cycle().")
    peaks, _ = find_peaks(e, distance=max(1, int(0.12 * frame_rate)), prominence=0.3)
    states = -np.ones(len(e), dtype=np.int64)
    if len(peaks) < 4:
        return states, np.zeros(0, dtype=np.int64)
    gaps = np.diff(peaks) / frame_rate
    dia = cycle_s - systole_s
    w = int(0.06 * frame_rate)
    s1 = []
    for i in range(1, len(peaks) - 2):
        if abs(gaps[i] - systole_s) < 0.25 * systole_s + 0.04 and abs(gaps[i - 1] - dia) < 0.35 * dia + 0.06:
            a, b, c = peaks[i], peaks[i + 1], peaks[i + 2]
            states[max(a - w, 0) : a + w] = 0
            states[a + w : b - w] = 1
            states[b - w : b + w] = 2
            states[b + w : max(c - w, b + w)] = 3
            s1.append(a)
    return states, np.asarray(s1, dtype=np.int64)


# --------------------------------------------------------------------------- features


_BAND_MASKS = np.stack([(frame_freqs() >= a) & (frame_freqs() < b) for a, b in ENERGY_BANDS]).astype(np.float32)
_DCT: np.ndarray | None = None


def _dct_matrix() -> np.ndarray:
    global _DCT
    if _DCT is None:
        from scipy.fft import dct

        _DCT = dct(np.eye(N_MELS), type=2, axis=0, norm="ortho")[:N_MFCC].T.astype(np.float32)
    return _DCT


def _features_from_power(p: np.ndarray) -> np.ndarray:
    """One feature vector (FEATURE_NAMES order) from the power frames of one window."""
    freqs = frame_freqs()
    mfcc = log_mel(p) @ _dct_matrix()
    env = envelope(p)
    cyc, sys_, ac_c, ac_s = heart_cycle(env)
    tot = p.sum(1) + 1e-9
    share = (p @ _BAND_MASKS.T) / tot[:, None]
    centroid = (p * freqs).sum(1) / tot / 100.0
    flat = np.exp(np.mean(np.log(p + 1e-12), 1)) / (p.mean(1) + 1e-12)
    q = np.percentile(np.log(tot), [5, 25, 50, 75, 95])
    states, _ = segment_states(env, cyc, sys_)
    band_log = np.log(p @ _BAND_MASKS.T + 1e-9)
    per_state = np.zeros((4, len(ENERGY_BANDS)), np.float32)
    for s in range(4):
        m = states == s
        if m.sum() >= 3:
            per_state[s] = band_log[m].mean(0)
    rel = [per_state[1] - per_state[0], per_state[3] - per_state[2], per_state[1] - per_state[3]]
    parts = [
        mfcc.mean(0),
        mfcc.std(0),
        share.mean(0),
        share.std(0),
        [centroid.mean(), centroid.std(), flat.mean(), flat.std()],
        q - q[2],
        [cyc, sys_, ac_c, ac_s, sys_ / cyc, float((states >= 0).mean())],
        *rel,
    ]
    return np.concatenate([np.ravel(v) for v in parts]).astype(np.float32)


def window_features(
    x: np.ndarray, fs: int = FS, window_s: float = WINDOW_S, hop_s: float = HOP_S
) -> tuple[np.ndarray, np.ndarray]:
    """Features of fixed-length windows of one recording: ``(F (n_windows, n_features), start_seconds)``.

    The recording is band-passed, normalised and turned into power frames once; each window is a slice of
    those frames. A recording shorter than one window gives a single (shorter) window.
    """
    feats, starts, _ = _windows(x, fs, window_s, hop_s, False)
    return feats, starts


def _windows(x: np.ndarray, fs: int, window_s: float, hop_s: float, sequences: bool) -> tuple[np.ndarray, ...]:
    _check_fs(fs)
    sig = _check_signal(x, min_len=int(2.2 * fs))
    if not (window_s >= 2.2 and 0 < hop_s <= window_s):
        raise ValueError(f"need window_s >= 2.2 and 0 < hop_s <= window_s, got {window_s}, {hop_s}.")
    p = power_frames(normalize(bandpass(sig, fs)))
    win, hop = int(round(window_s * FRAME_RATE)), int(round(hop_s * FRAME_RATE))
    starts = list(range(0, max(len(p) - win, 0) + 1, hop))
    feats = np.stack([_features_from_power(p[s : s + win]) for s in starts])
    seq = None
    if sequences:  # log-mel at 25 frames/s, zero-padded to the full window length
        lm = log_mel(p)
        lm = lm[: len(lm) // 2 * 2].reshape(-1, 2, N_MELS).mean(1)
        seq = np.zeros((len(starts), win // 2, N_MELS), np.float32)
        for k, s in enumerate(starts):
            part = lm[s // 2 : s // 2 + win // 2]
            seq[k, : len(part)] = part
    return feats, np.asarray(starts, dtype=np.float64) / FRAME_RATE, seq


def recording_features(signals: list[np.ndarray], fs: int = FS, sequences: bool = False) -> tuple[np.ndarray, ...]:
    """Window features of many recordings: ``(F, group)`` with ``group[i]`` = the recording of window i.

    ``sequences=True`` adds a third array: each window's log-mel frames at 25 frames/s
    ``(n_windows, 125, N_MELS)``, the input of a sequence model (Conv1D + GRU).
    """
    if isinstance(signals, np.ndarray) and signals.ndim == 1:
        raise ValueError("signals must be a list of recordings; wrap a single recording as [x].")
    if len(signals) == 0:
        raise ValueError("signals is empty: pass at least one recording.")
    feats, groups, seqs = [], [], []
    for i, x in enumerate(signals):
        try:
            f, _, seq = _windows(x, fs, WINDOW_S, HOP_S, sequences)
        except (ValueError, TypeError) as err:
            raise type(err)(f"recording {i}: {err}") from err
        feats.append(f)
        seqs.append(seq)
        groups.append(np.full(len(f), i, dtype=np.int64))
    out = (np.concatenate(feats), np.concatenate(groups))
    return (*out, np.concatenate(seqs)) if sequences else out


# --------------------------------------------------------------------------- model


def macc_scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Challenge score: ``{"se", "sp", "macc"}`` with MAcc = (sensitivity + specificity) / 2."""
    y = np.asarray(y_true)
    p = np.asarray(y_pred)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y.shape} and {p.shape}.")
    if not (np.isin(y, (0, 1)).all() and np.isin(p, (0, 1)).all()):
        raise ValueError("y_true and y_pred must hold 0/1 labels (threshold probabilities first).")
    if y.min() == y.max():
        raise ValueError("y_true holds one class only: sensitivity and specificity both need both classes.")
    se = float(((p == 1) & (y == 1)).sum() / (y == 1).sum())
    sp = float(((p == 0) & (y == 0)).sum() / (y == 0).sum())
    return {"se": se, "sp": sp, "macc": (se + sp) / 2}


def build_model(features: np.ndarray, seed: int = 0, hidden: int = 64, dropout: float = 0.3) -> Any:
    """A small MLP for window features; its first layer standardises with the training windows' statistics."""
    import keras

    f = np.asarray(features, dtype=np.float32)
    if f.ndim != 2 or f.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"features must be (n_windows, {len(FEATURE_NAMES)}) from recording_features(), got {f.shape}."
        )
    keras.utils.set_random_seed(seed)
    norm = keras.layers.Normalization(name="standardize")
    norm.adapt(f)
    inp = keras.Input((f.shape[1],), name="features")
    z = norm(inp)
    z = keras.layers.Dense(hidden, activation="relu")(z)
    z = keras.layers.Dropout(dropout)(z)
    z = keras.layers.Dense(hidden // 2, activation="relu")(z)
    out = keras.layers.Dense(1, activation="sigmoid", name="prob")(z)
    model = keras.Model(inp, out, name=f"pcg_window_mlp_{len(FEATURE_NAMES)}")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    return model


def _window_weights(y_win: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each recording weighs 1 in total (long ones do not dominate), each class half the total."""
    counts = np.bincount(group)
    w = 1.0 / counts[group]
    for c in (0, 1):
        m = y_win == c
        w[m] *= 0.5 / w[m].sum()
    return (w * len(w)).astype(np.float32)


def build_sequence_model(sequences: np.ndarray, seed: int = 0, units: int = 32) -> Any:
    """Conv1D + GRU on log-mel windows ``(n, steps, N_MELS)``: convolutions find local sound patterns and
    shorten the sequence 4 times, the GRU reads them in time order; the first layer standardises each band."""
    import keras

    q = np.asarray(sequences, dtype=np.float32)
    if q.ndim != 3 or q.shape[2] != N_MELS:
        raise ValueError(f"sequences must be (n_windows, steps, {N_MELS}) from recording_features(), got {q.shape}.")
    keras.utils.set_random_seed(seed)
    norm = keras.layers.Normalization(axis=-1, name="standardize_bands")
    norm.adapt(q.reshape(-1, N_MELS))
    inp = keras.Input(q.shape[1:], name="log_mel")
    z = norm(inp)
    z = keras.layers.Conv1D(units, 5, strides=2, padding="same", activation="relu")(z)
    z = keras.layers.Conv1D(units, 5, strides=2, padding="same", activation="relu")(z)
    z = keras.layers.GRU(units)(z)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="prob")(z), name="pcg_conv_gru")
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    return model


def train_model(
    signals: list[np.ndarray],
    labels: Any,
    fs: int = FS,
    epochs: int = 40,
    seed: int = 0,
    verbose: bool = False,
    features: tuple[np.ndarray, ...] | None = None,
    kind: str = "mlp",
    gru_epochs: int = 6,
    sites: Any = None,
) -> Any:
    """Train a window model on recordings (every window carries its recording's label); returns the model.

    ``kind="mlp"``: the feature MLP (input: window features). ``kind="ensemble"``: also a Conv1D + GRU on the
    windows' log-mel frames, and returns one two-input model ``[features, log_mel] -> mean of both
    probabilities`` (the average of two different models is usually steadier than either). ``features`` = a
    ``recording_features(signals[, sequences=True])`` result, to skip recomputing it. ``kind="robust"``: the
    site-robust linear model of :func:`fit_site_robust` on each recording's mean window features; it needs
    ``sites`` (the site of each recording) and is what ``medtutor heart train`` trains by default.
    """
    import keras

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    _check_epochs(epochs, "epochs")
    _check_epochs(gru_epochs, "gru_epochs")
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(signals):
        raise ValueError(f"labels must be 1-D with one label per recording ({len(signals)}), got shape {y.shape}.")
    if not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise ValueError("labels must be 0 (normal) / 1 (abnormal) and contain both classes.")
    need_seq = kind == "ensemble"
    if features is None:
        features = recording_features(signals, fs, sequences=need_seq)
    if need_seq and len(features) != 3:
        raise ValueError("kind='ensemble' needs features=recording_features(signals, fs, sequences=True).")
    feats, group = features[0], features[1]
    if kind == "robust":
        if sites is None or len(sites) != len(y):
            raise ValueError("kind='robust' needs sites=<the site of each recording> (e.g. heart.folder_sites()).")
        return fit_site_robust(recording_table(feats, group, len(y)), y, sites)
    y_win = y[group].astype(np.float32)
    weights = _window_weights(y_win, group)
    mlp = build_model(feats, seed=seed)
    mlp.fit(feats, y_win, sample_weight=weights, epochs=epochs, batch_size=256, verbose=int(verbose))
    if not need_seq:
        return mlp
    gru = build_sequence_model(features[2], seed=seed)
    gru.fit(features[2], y_win, sample_weight=weights, epochs=gru_epochs, batch_size=64, verbose=int(verbose))
    f_in = keras.Input(mlp.input_shape[1:], name="features")
    q_in = keras.Input(gru.input_shape[1:], name="log_mel")
    out = keras.layers.Average(name="prob")([mlp(f_in), gru(q_in)])
    return keras.Model([f_in, q_in], out, name=f"pcg_ensemble_{len(FEATURE_NAMES)}")


def _check_epochs(value: Any, name: str) -> int:
    """Refuse 0, negative and non-integer epoch counts: zero epochs would save an untrained model."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1 (0 epochs leaves the model untrained), got {value!r}.")
    return int(value)


def _is_ensemble(model: Any) -> bool:
    return len(getattr(model, "inputs", []) or []) == 2


def _check_model(model: Any) -> None:
    shape = getattr(model, "input_shape", None)
    if _is_ensemble(model):
        ok = tuple(shape[0])[-1] == len(FEATURE_NAMES) and tuple(shape[1])[-1] == N_MELS
    else:
        ok = shape is not None and len(tuple(shape)) == 2 and tuple(shape)[-1] == len(FEATURE_NAMES)
    if not ok:
        raise ValueError(
            f"model expects input {shape}, but heart features have {len(FEATURE_NAMES)} values "
            f"(and log-mel frames {N_MELS} bands): retrain it with `medtutor heart train` (the feature set changed)."
        )


def _predict_windows(model: Any, features: tuple[np.ndarray, ...]) -> np.ndarray:
    if _is_ensemble(model):
        if len(features) != 3:
            raise ValueError("an ensemble model needs features=recording_features(signals, fs, sequences=True).")
        inputs: Any = [features[0], features[2]]
    else:
        inputs = features[0]
    return np.asarray(model.predict(inputs, batch_size=512, verbose=0)).reshape(-1)


def predict_recordings(
    model: Any, signals: list[np.ndarray], fs: int = FS, features: tuple[np.ndarray, ...] | None = None
) -> np.ndarray:
    """Probability of "abnormal" per recording = mean of its windows' probabilities."""
    _check_model(model)
    if features is None:
        features = recording_features(signals, fs, sequences=_is_ensemble(model))
    group = features[1]
    if _is_recording_level(model):  # one Dense layer: NumPy is exact and avoids a TensorFlow trace per model
        w, b = model.get_layer("prob").get_weights()
        z = recording_table(features[0], group, len(signals)).astype(np.float64) @ w[:, 0] + b[0]
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    p_win = _predict_windows(model, features)
    return (np.bincount(group, p_win, minlength=len(signals)) / np.bincount(group, minlength=len(signals))).astype(
        np.float32
    )


def window_probabilities(model: Any, x: np.ndarray, fs: int = FS) -> tuple[np.ndarray, np.ndarray]:
    """Time-wise view of one recording: ``(start_seconds, p_abnormal)`` of each window (which moments drive it)."""
    _check_model(model)
    feats, starts, seq = _windows(x, fs, WINDOW_S, HOP_S, _is_ensemble(model))
    return starts, _predict_windows(model, (feats, np.zeros(len(feats), np.int64), seq))


def _save_atomic(model: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _load(path: Path) -> Any:
    import keras

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: train one with `medtutor heart train --out {path}`.")
    try:
        model = keras.models.load_model(path)
    except Exception as err:
        raise ValueError(f"{path} is not a readable Keras model ({err}); retrain with `medtutor heart train`.") from err
    _check_model(model)
    return model


def cache_key(kind: str, sites: str, epochs: int, seed: int, source: str) -> dict[str, Any]:
    """What a cached heart model depends on: recipe, data source and package version (issue 12).

    A cached file is reused only when every field matches, so a model trained on the synthetic stand-in, by
    an older recipe or by another medtutor version is never reused silently.
    """
    import medtutor

    return {
        "kind": kind,
        "sites": "".join(sorted(sites)),
        "epochs": int(epochs),
        "seed": int(seed),
        "n_features": len(FEATURE_NAMES),
        "source": source,
        "medtutor": medtutor.__version__,
    }


def load_or_train_model(
    sites: str = "abcd", epochs: int = 40, seed: int = 0, kind: str = "ensemble", verbose: bool = True
) -> Any:
    """The heart-sound model (see :func:`train_model`) trained on all recordings of ``sites``, cached in
    ``cache_dir()/models``.

    The cache is keyed on :func:`cache_key` (recipe, data source, package version), written next to the model
    as ``<model>.json``. A cached file whose key differs (or is missing or unreadable) is retrained, with a
    printed banner saying why. Use it for demos; for an honest score, evaluate on recordings it never saw.
    """
    import hashlib
    import json

    from medtutor import data

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    _check_epochs(epochs, "epochs")
    ds = data.load("physionet2016", sites=sites)
    key = cache_key(kind, sites, epochs, seed, ds.source)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = data.cache_dir() / "models" / f"pcg_{kind}_{key['sites']}_{digest}.keras"
    sidecar = path.with_suffix(".json")
    reason = "no cached model"
    if path.is_file():
        try:
            stored = json.loads(sidecar.read_text()) if sidecar.is_file() else None
            if stored != key:
                reason = f"the cached model's key {stored} differs from {key}"
            else:
                model = _load(path)
                if verbose:
                    print(f"loaded {path} ({key['source']} data, recipe {kind})")
                return model
        except (ValueError, OSError) as err:
            reason = f"the cached model is unreadable ({err})"
    if verbose and path.is_file():
        print(f"*** retraining the heart model: {reason} ***")
    model = train_model(ds.x_all, ds.y_all, ds.meta["fs"], epochs=epochs, seed=seed, kind=kind, sites=ds.meta["sites"])
    _save_atomic(model, path)
    tmp = sidecar.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(key, sort_keys=True))
    os.replace(tmp, sidecar)
    if verbose:
        print(f"trained on {len(ds.y_all)} recordings of sites {sites} ({ds.source} data); saved {path}")
    return model


def evaluate_folder(model: Any, folder: str | os.PathLike[str], threshold: float = 0.5) -> dict[str, Any]:
    """Se, Sp, MAcc of ``model`` on a PhysioNet-format folder (recording-level, probability >= threshold)."""
    records, signals, labels, fs = read_folder(folder)
    prob = predict_recordings(model, signals, fs)
    scores = macc_scores(labels, (prob >= threshold).astype(np.int64))
    return {**scores, "n": len(records), "n_abnormal": int(labels.sum()), "prob": prob, "records": records}


# --------------------------------------------------------------------------- site-robust model


def folder_sites(folder: str | os.PathLike[str], sites: list[str] | str | None = None) -> list[str]:
    """The site of each recording, in :func:`read_folder`'s order (``training-a`` -> ``"a"``).

    Why: leave-one-site-out evaluation and the site-robust model need to know where each recording came from.
    """
    from medtutor import data

    folder = Path(folder)
    subs = sorted(p for p in folder.glob("training-*") if p.is_dir())
    if not subs:
        name = folder.name
        return [name[len("training-") :] if name.startswith("training-") else name] * len(data.wav_files(folder))
    wanted = set(sites) if sites else {p.name[len("training-") :] for p in subs}
    out: list[str] = []
    for sub in subs:
        site = sub.name[len("training-") :]
        if site in wanted:
            out += [site] * len(data.wav_files(sub))
    return out


def recording_table(features: np.ndarray, group: np.ndarray, n_recordings: int | None = None) -> np.ndarray:
    """Mean window features of each recording ``(n_recordings, n_features)``: one row per recording."""
    f, g = np.asarray(features, dtype=np.float64), np.asarray(group)
    if f.ndim != 2 or g.shape != (len(f),):
        raise ValueError(
            f"features (n_windows, n_features) and group (n_windows,) must match, got {f.shape}, {g.shape}."
        )
    n = int(g.max()) + 1 if n_recordings is None else n_recordings
    counts = np.bincount(g, minlength=n).astype(np.float64)
    if (counts == 0).any():
        raise ValueError(
            f"recording {int(np.flatnonzero(counts == 0)[0])} has no window; pass every recording's windows."
        )
    sums = np.stack([np.bincount(g, f[:, j], minlength=n) for j in range(f.shape[1])], axis=1)
    return (sums / counts[:, None]).astype(np.float32)


def consistent_features(x: np.ndarray, y: np.ndarray, sites: Any, min_site: int = 40) -> np.ndarray:
    """Indices of the features whose effect has the same sign at every site (per-site AUC all > or all < 0.5).

    Why: a feature that says "abnormal" at one site and "normal" at another is a site shortcut, not a
    sign of disease. Sites with fewer than ``min_site`` recordings (or one class only) do not vote: a per-site
    AUC from a few dozen recordings is too noisy to judge a direction.
    """
    from sklearn.metrics import roc_auc_score

    x, y, sites = np.asarray(x), np.asarray(y), np.asarray(sites)
    voters = [s for s in np.unique(sites) if (sites == s).sum() >= min_site and len(np.unique(y[sites == s])) == 2]
    if not voters:
        raise ValueError(f"no site has >= {min_site} recordings of both classes: cannot judge features across sites.")
    auc = np.array([[roc_auc_score(y[sites == s], x[sites == s, j]) for j in range(x.shape[1])] for s in voters])
    keep = np.flatnonzero(np.all(auc > 0.5, axis=0) | np.all(auc < 0.5, axis=0))
    if len(keep) == 0:
        raise ValueError("no feature has the same direction at every site: add sites or relax min_site.")
    return keep


def _fit_linear(x: np.ndarray, y: np.ndarray, sites: np.ndarray, c: float) -> dict[str, Any]:
    """Sign-consistent features, standardised, class-balanced L2 logistic regression (strongly regularised)."""
    from sklearn.linear_model import LogisticRegression

    cols = consistent_features(x, y, sites)
    mu, sd = x[:, cols].mean(0), x[:, cols].std(0) + 1e-6
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit((x[:, cols] - mu) / sd, y)
    return {"cols": cols, "mu": mu, "sd": sd, "coef": lr.coef_[0], "intercept": float(lr.intercept_[0])}


def _linear_prob(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    z = ((x[:, params["cols"]] - params["mu"]) / params["sd"]) @ params["coef"] + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def cross_site_threshold(x: Any, y: Any, sites: Any, c: float = 0.01) -> float:
    """Threshold chosen by leave-one-site-out cross-validation INSIDE the given (training) sites.

    Each training site in turn is predicted by a model fitted on the others; the threshold maximises the
    mean MAcc over those held-out sites (sites with >= 20 recordings of both classes). Why: 0.5 is right
    only for the sites a model was fitted on; a threshold that worked at sites the model had not seen is
    the honest guess for a new one.
    """
    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    prob = np.full(len(y), np.nan)
    for s in np.unique(sites):
        m = sites == s
        if len(np.unique(sites[~m])) >= 2:
            prob[m] = _linear_prob(_fit_linear(x[~m], y[~m], sites[~m], c), x[m])
    scored = [s for s in np.unique(sites) if (sites == s).sum() >= 20 and len(np.unique(y[sites == s])) == 2]
    scored = [s for s in scored if np.isfinite(prob[sites == s]).all()]
    if not scored:
        return 0.5
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    mean_macc = [np.mean([_balanced(y[sites == s], prob[sites == s] >= t) for s in scored]) for t in grid]
    return float(grid[int(np.argmax(mean_macc))])


def _balanced(y: np.ndarray, pred: np.ndarray) -> float:
    return 0.5 * (float(np.mean(pred[y == 1])) + float(np.mean(~pred[y == 0])))


def fit_site_robust(x: Any, y: Any, sites: Any, c: float = 0.01) -> Any:
    """The site-robust heart-sound model, as a one-layer Keras model on a recording's mean window features.

    Recipe (every choice inside the training sites): keep the features whose effect has the same sign at
    every training site (:func:`consistent_features`), standardise, fit a class-balanced logistic regression,
    and move the decision threshold to the one chosen by :func:`cross_site_threshold`; the threshold is folded
    into the bias, so ``probability >= 0.5`` is the decision (with one training site: no cross-validation,
    threshold 0.5). The model's name is ``pcg_site_robust``.
    """
    import keras

    x, y, sites = np.asarray(x, np.float64), np.asarray(y), np.asarray(sites)
    if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES) or len(y) != len(x) or len(sites) != len(x):
        raise ValueError(
            f"x must be (n_recordings, {len(FEATURE_NAMES)}) with one label and site per row, got {x.shape}."
        )
    params = _fit_linear(x, y, sites, c)
    thr = cross_site_threshold(x, y, sites, c)
    w = np.zeros(len(FEATURE_NAMES))
    w[params["cols"]] = params["coef"] / params["sd"]
    b = params["intercept"] - float(np.sum(params["coef"] * params["mu"] / params["sd"])) - np.log(thr / (1 - thr))
    inp = keras.Input((len(FEATURE_NAMES),), name="features")
    out = keras.layers.Dense(1, activation="sigmoid", name="prob")(inp)
    model = keras.Model(inp, out, name="pcg_site_robust")
    model.get_layer("prob").set_weights([w[:, None].astype(np.float32), np.array([b], np.float32)])
    return model


def _is_recording_level(model: Any) -> bool:
    return getattr(model, "name", "") == "pcg_site_robust"


def loso_table(
    features: tuple[np.ndarray, ...], labels: Any, sites: Any, kind: str = "robust", epochs: int = 40, seed: int = 0
) -> list[dict[str, Any]]:
    """Leave-one-site-out: for each site, train on the others (all choices inside them), score the site.

    Returns one row per site: ``site, n, n_abnormal, se, sp, macc, ci`` (95 % bootstrap interval of MAcc,
    recordings resampled within each class, 2000 draws, seed 0).
    """
    y, sites = np.asarray(labels), np.asarray(sites)
    feats, group = features[0], features[1]
    rows = []
    for s in sorted(set(sites.tolist())):
        tr, te = np.flatnonzero(sites != s), np.flatnonzero(sites == s)
        m_tr = np.isin(group, tr)
        sub = (feats[m_tr], np.searchsorted(tr, group[m_tr]))
        sub_te = (feats[~m_tr], np.searchsorted(te, group[~m_tr]))
        model = train_model([None] * len(tr), y[tr], epochs=epochs, seed=seed, features=sub, kind=kind, sites=sites[tr])
        pred = (predict_recordings(model, [None] * len(te), features=sub_te) >= 0.5).astype(np.int64)
        sc = macc_scores(y[te], pred)
        rows.append({"site": s, "n": len(te), "n_abnormal": int(y[te].sum()), **sc, "ci": macc_ci(y[te], pred)})
    return rows


def macc_ci(y_true: Any, y_pred: Any, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of MAcc, resampling recordings within each class (keeps both classes)."""
    y, p = np.asarray(y_true), np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    pos, neg = p[y == 1], p[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("MAcc needs both classes in y_true.")
    se = rng.choice(pos, (n_boot, len(pos))).mean(1)
    sp = 1 - rng.choice(neg, (n_boot, len(neg))).mean(1)
    lo, hi = np.percentile((se + sp) / 2, [2.5, 97.5])
    return float(lo), float(hi)
