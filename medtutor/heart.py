"""Heart sounds (PhysioNet/CinC 2016 phonocardiograms): signal processing and window features.

Notebook 13 teaches every step below by hand first; this module is the same pipeline, reusable from the
``medtutor heart train|evaluate`` command and from later notebooks. Reading the files lives in
:mod:`medtutor.data` (:func:`~medtutor.data.read_physionet_folder`, :func:`~medtutor.data.read_pcg_wav`), the
models in :mod:`medtutor.heart_model`.

1. :func:`bandpass` (25-400 Hz, where S1, S2 and most murmurs live) and :func:`normalize`.
2. :func:`power_frames` - a short-time power spectrum at 50 frames/s; :func:`envelope` (log energy),
   :func:`heart_cycle` (cycle and systole durations from the envelope's autocorrelation) and
   :func:`segment_states` (S1 / systole / S2 / diastole labels per frame).
3. :func:`window_features` - one feature vector per fixed-length window (MFCC-like, band energies,
   spectral shape, heart-cycle timing, state-wise energy ratios); :func:`recording_features` for many
   recordings and :func:`recording_table` for one row per recording.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "BAND",
    "FEATURE_NAMES",
    "FRAME_RATE",
    "bandpass",
    "envelope",
    "frame_freqs",
    "heart_cycle",
    "log_mel",
    "mel_filterbank",
    "normalize",
    "power_frames",
    "recording_features",
    "recording_table",
    "segment_states",
    "window_arrays",
    "window_features",
]

FS = 2000  # PhysioNet 2016 sampling rate (Hz)
BAND = (25.0, 400.0)  # band-pass edges (Hz): heart sounds and most murmurs
N_FFT = 128  # 64 ms analysis frames at 2 kHz
HOP = 40  # 20 ms hop at 2 kHz -> 50 frames per second
FRAME_RATE = FS / HOP
N_MELS = 24
N_MFCC = 13
WINDOW_S = 5.0  # fixed-length windows (s)
HOP_S = 2.5  # windows overlap by half
ENERGY_BANDS = [(25, 45), (45, 80), (80, 150), (150, 250), (250, 400), (400, 1000)]
STATES = ["S1", "systole", "S2", "diastole"]


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


# --------------------------------------------------------------------------- signal processing


def _check_signal(x: Any, min_len: int = N_FFT) -> np.ndarray:
    sig = _validate.check_signal(x, "use data.read_pcg_wav() or x / 32768.0", min_len)
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
    feats, starts, _ = window_arrays(x, fs, window_s, hop_s, False)
    return feats, starts


def window_arrays(
    x: np.ndarray, fs: int = FS, window_s: float = WINDOW_S, hop_s: float = HOP_S, sequences: bool = False
) -> tuple[np.ndarray, ...]:
    """``(features, start_seconds, log-mel frames or None)`` of one recording's windows: what the models read."""
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
            f, _, seq = window_arrays(x, fs, WINDOW_S, HOP_S, sequences)
        except (ValueError, TypeError) as err:
            raise type(err)(f"recording {i}: {err}") from err
        feats.append(f)
        seqs.append(seq)
        groups.append(np.full(len(f), i, dtype=np.int64))
    out = (np.concatenate(feats), np.concatenate(groups))
    return (*out, np.concatenate(seqs)) if sequences else out


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
