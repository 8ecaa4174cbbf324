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

import functools
from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "BAND",
    "FEATURE_NAMES",
    "FRAME_RATE",
    "HSMM_FEATURE_NAMES",
    "WINDOW_FEATURE_NAMES",
    "bandpass",
    "envelope",
    "frame_freqs",
    "heart_cycle",
    "hsmm_durations",
    "hsmm_segment",
    "pcg_envelopes",
    "segment_features",
    "state_runs",
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


WINDOW_FEATURE_NAMES: list[str] = _feature_names()
SEG_BANDS = [(25, 45), (45, 80), (80, 150), (150, 250), (250, 400)]  # bands of the HSMM state contrasts
S1_S = (0.122, 0.022)  # S1 duration (s): mean, sd (Springer et al., 2016)
S2_S = (0.094, 0.022)  # S2 duration (s): mean, sd


def _hsmm_feature_names() -> list[str]:
    names = []
    for q in ("cycle", "S1", "systole", "S2", "diastole", "sys_over_cycle", "dia_over_cycle", "sys_over_dia"):
        names += [f"hsmm_{q}_mean", f"hsmm_{q}_sd"]
    names += ["hsmm_amp_sys_over_S1_mean", "hsmm_amp_sys_over_S1_sd", "hsmm_amp_dia_over_S2_mean"]
    names += ["hsmm_amp_dia_over_S2_sd", "hsmm_S2_over_S1"]
    bands = [f"{a}-{b}Hz" for a, b in SEG_BANDS]
    for a, b in (("systole", "S1"), ("diastole", "S2"), ("systole", "diastole"), ("S2", "S1")):
        names += [f"hsmm_{a}_minus_{b}_{band}" for band in bands]
    names += ["hsmm_sys_flatness", "hsmm_dia_flatness", "hsmm_sys_energy_cv", "hsmm_dia_energy_cv", "hsmm_fit"]
    names += [f"hsmm_sys_p90_minus_dia_p50_{b}" for b in bands] + [f"hsmm_dia_p90_minus_sys_p50_{b}" for b in bands]
    for a, b in (("sys", "dia"), ("sys", "S1"), ("dia", "S2")):
        names += [f"hsmm_cycle_median_{a}_minus_{b}_{band}" for band in bands]
    names += ["hsmm_centroid_sys_minus_dia", "hsmm_centroid_sys_minus_S1"]
    names += [f"hsmm_mfcc{i}_sys_minus_dia" for i in range(1, 8)]
    return names


# per-state MFCCs (Potes et al., 2016): what each heart-cycle state sounds like, in absolute terms (device-dependent)
STATE_MFCC_NAMES: list[str] = [f"state_mfcc{i}_{s}_{q}" for q in ("mean", "sd") for s in STATES for i in range(N_MFCC)]
HSMM_FEATURE_NAMES: list[str] = _hsmm_feature_names() + STATE_MFCC_NAMES
# every window carries its own features and its recording's HSMM features (one HSMM per recording)
FEATURE_NAMES: list[str] = WINDOW_FEATURE_NAMES + HSMM_FEATURE_NAMES


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
    return sps.sosfiltfilt(_bandpass_sos(order, low, high, fs), sig).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _bandpass_sos(order: int, low: float, high: float, fs: int) -> np.ndarray:
    """The Butterworth band-pass of :func:`bandpass`, designed once per setting."""
    from scipy import signal as sps

    return sps.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")


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
    return np.log(p @ _default_mel().T + 1e-6).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _default_mel() -> np.ndarray:
    """The default mel filterbank, built once (log_mel runs for every window)."""
    fb = mel_filterbank()
    fb.setflags(write=False)
    return fb


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
    """``(features, start_seconds, log-mel frames or None)`` of one recording's windows: what the models read.

    Each window's row is its own window features followed by the recording's HSMM features
    (:func:`segment_features`, the same for every window of the recording).
    """
    sig, p = _clean_power(x, fs, window_s, hop_s)
    feats, starts, seq = _window_block(p, window_s, hop_s, sequences)
    env = pcg_envelopes(sig, fs, clean=sig, power=p)
    states = hsmm_segment([env])[0][0]
    return _with_hsmm(feats, segment_features(p, env, states)), starts, seq


def _clean_power(x: np.ndarray, fs: int, window_s: float, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Checked, band-passed, normalised signal and its power frames."""
    _check_fs(fs)
    sig = _check_signal(x, min_len=int(2.2 * fs))
    if not (window_s >= 2.2 and 0 < hop_s <= window_s):
        raise ValueError(f"need window_s >= 2.2 and 0 < hop_s <= window_s, got {window_s}, {hop_s}.")
    clean = normalize(bandpass(sig, fs))
    return clean, power_frames(clean)


def _with_hsmm(feats: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Append one recording's HSMM features to each of its windows (undefined ones, e.g. no full cycle: 0)."""
    seg = np.nan_to_num(seg, nan=0.0, posinf=0.0, neginf=0.0)
    return np.hstack([feats, np.tile(seg, (len(feats), 1))]).astype(np.float32)


def _window_block(p: np.ndarray, window_s: float, hop_s: float, sequences: bool) -> tuple[Any, ...]:
    """Window features (WINDOW_FEATURE_NAMES), start seconds and log-mel sequences from power frames."""
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
    ``(n_windows, 125, N_MELS)``, the input of a sequence model (Conv1D + GRU). The HSMM of all recordings
    runs in batches (:func:`hsmm_segment`), much faster than one recording at a time.
    """
    if isinstance(signals, np.ndarray) and signals.ndim == 1:
        raise ValueError("signals must be a list of recordings; wrap a single recording as [x].")
    if len(signals) == 0:
        raise ValueError("signals is empty: pass at least one recording.")
    blocks, summaries, envs = [], [], []
    for i, x in enumerate(signals):
        try:
            sig, p = _clean_power(x, fs, WINDOW_S, HOP_S)
        except (ValueError, TypeError) as err:
            raise type(err)(f"recording {i}: {err}") from err
        blocks.append(_window_block(p, WINDOW_S, HOP_S, sequences))
        summaries.append(frame_summary(p))
        envs.append(pcg_envelopes(sig, fs, clean=sig, power=p))
    states, _ = hsmm_segment(envs)
    feats = [_with_hsmm(b[0], _segment_features(m, e, s)) for b, m, e, s in zip(blocks, summaries, envs, states)]
    del summaries, envs, states
    groups = [np.full(len(f), i, dtype=np.int64) for i, f in enumerate(feats)]
    out = (np.concatenate(feats), np.concatenate(groups))
    return (*out, _stack_freeing([b[2] for b in blocks], blocks)) if sequences else out


def _stack_freeing(parts: list[Any], owners: list[Any]) -> np.ndarray:
    """``np.concatenate(parts)``, dropping each part (and its owner) once copied: the log-mel sequences of all
    windows are the largest array here, and holding them twice would double the peak memory."""
    out = np.empty((sum(len(q) for q in parts), *parts[0].shape[1:]), parts[0].dtype)  # pages committed on write
    k = 0
    for i in range(len(parts)):
        out[k : k + len(parts[i])] = parts[i]
        k += len(parts[i])
        parts[i] = owners[i] = None
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


# --------------------------------------------------------------------------- HSMM segmentation


def pcg_envelopes(
    x: np.ndarray, fs: int = FS, clean: np.ndarray | None = None, power: np.ndarray | None = None
) -> np.ndarray:
    """Three z-scored envelopes of a PCG at 50 frames/s ``(n_frames, 3)``: homomorphic, Hilbert, low-band PSD.

    The envelopes of Springer et al. (2016): the homomorphic envelope (exp of the low-passed log of the
    Hilbert amplitude) follows S1/S2 smoothly, the Hilbert envelope keeps their sharp onsets, the 25-80 Hz
    power is where S1/S2 are loudest. Frame k is centred on sample ``k * HOP + N_FFT // 2``, so it lines up
    with :func:`power_frames`. ``clean`` / ``power`` = the band-passed, normalised signal and its power frames,
    when already computed.
    """
    from scipy import fft as sfft
    from scipy import signal as sps

    _check_fs(fs)
    sig = normalize(bandpass(_check_signal(x, min_len=int(2.2 * fs)), fs)) if clean is None else clean
    sig = np.asarray(sig, dtype=np.float64)
    n = len(sig)
    amp_full = np.abs(sps.hilbert(sig, N=sfft.next_fast_len(n))[:n])
    q = 10  # the envelopes are slow: low-pass them at 200 Hz
    m = n // q * q
    amp = amp_full[:m].reshape(-1, q).mean(1)
    log_amp = np.log(amp_full[:m] + 1e-6).reshape(-1, q).mean(1)
    homo = np.exp(sps.sosfiltfilt(_lowpass_sos(1, 8.0, fs / q), log_amp))
    hil = sps.sosfiltfilt(_lowpass_sos(2, 15.0, fs / q), amp)
    p = power_frames(sig.astype(np.float32)) if power is None else power
    f = frame_freqs()
    psd = np.log(p[:, (f >= 25) & (f <= 80)].sum(1) + 1e-9)
    centres = np.minimum((np.arange(len(p)) * HOP + N_FFT // 2) // q, len(homo) - 1)
    env = np.stack([homo[centres], hil[centres], psd], axis=1)
    return ((env - env.mean(0)) / (env.std(0) + 1e-8)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _lowpass_sos(order: int, cutoff: float, fs: float) -> np.ndarray:
    """A Butterworth low-pass (second-order sections), designed once per setting."""
    from scipy import signal as sps

    return sps.butter(order, cutoff, btype="low", fs=fs, output="sos")


def hsmm_durations(cycle_s: float, systole_s: float, frame_rate: float = FRAME_RATE) -> np.ndarray:
    """Log probability of each state's duration ``(4, d_max + 1)`` (column = frames; -inf outside mean +- 3 sd).

    Gaussian durations as in Springer et al. (2016): S1 0.122 +- 0.022 s, S2 0.094 +- 0.022 s, systole =
    the S1-to-S2 interval minus S1 (+- 0.025 s), diastole = the rest of the cycle (sd 7 % of it + 6 ms).
    ``cycle_s`` and ``systole_s`` come from the envelope's autocorrelation (:func:`heart_cycle`).
    """
    if not 0 < systole_s < cycle_s:
        raise ValueError(f"need 0 < systole_s < cycle_s, got {systole_s}, {cycle_s}; use heart_cycle().")
    mean_sys = max(systole_s - S1_S[0], 0.05)
    mean_dia = max(cycle_s - systole_s - S2_S[0], 0.1)
    means = np.array([S1_S[0], mean_sys, S2_S[0], mean_dia]) * frame_rate
    sds = np.array([S1_S[1], 0.025, S2_S[1], 0.07 * mean_dia + 0.006]) * frame_rate
    lo = np.maximum(np.floor(means - 3 * sds), 1)
    hi = np.ceil(means + 3 * sds)
    d = np.arange(int(hi.max()) + 1)
    lp = -0.5 * ((d[None, :] - means[:, None]) / sds[:, None]) ** 2 - np.log(sds[:, None])
    lp[(d[None, :] < lo[:, None]) | (d[None, :] > hi[:, None])] = -np.inf
    return lp


def _hsmm_emissions(env: np.ndarray, states: np.ndarray | None) -> np.ndarray:
    """Log emission ``(T, 4)`` of each state. Without labels: a sound score (the mean envelope) through a
    logistic link, S1/S2 loud and systole/diastole quiet. With the previous pass's labels: one diagonal
    Gaussian per state fitted to this recording (unsupervised refinement; no annotations exist offline)."""
    if states is None:
        z = env.mean(1)
        z = (z - np.median(z)) / (z.std() + 1e-8)
        c = np.quantile(z, 0.75)  # S1 + S2 last about a quarter of a cycle
        loud, quiet = -np.logaddexp(0.0, -3.0 * (z - c)), -np.logaddexp(0.0, 3.0 * (z - c))
        return np.stack([loud, quiet, loud, quiet], 1)
    out = np.empty((len(env), 4))
    for s in range(4):
        m = states == s
        if m.sum() < 3:
            return _hsmm_emissions(env, None)
        mu, sd = env[m].mean(0), env[m].std(0) + 0.1
        out[:, s] = (-0.5 * ((env - mu) / sd) ** 2 - np.log(sd)).sum(1)
    return out / env.shape[1]


def _hsmm_viterbi(logbs: list[np.ndarray], logdurs: list[np.ndarray]) -> list[np.ndarray]:
    """Explicit-duration Viterbi over the cycle S1 -> systole -> S2 -> diastole -> S1, for a batch of recordings.

    ``delta[t, j]`` = best log probability of a labelling whose state-j segment ends at frame t; a segment of
    d frames adds its duration log probability and the sum of its frames' log emissions (from cumulative
    sums). The first and the last segment may be cut by the recording's edges (no duration penalty). One
    Python loop over time serves the whole batch, which keeps NumPy's per-call overhead small.
    """
    b, k = len(logbs), 4
    dmax = max(ld.shape[1] for ld in logdurs) - 1
    lens = np.array([len(lb) for lb in logbs])
    tmax = int(lens.max())
    d = np.arange(1, dmax + 1)
    cum = np.zeros((b, tmax + 1, k))
    ld = np.full((b, k, dmax), -np.inf)
    cut_ok = np.zeros((b, k, dmax), bool)
    for i, (lb, lg) in enumerate(zip(logbs, logdurs)):
        cum[i, 1 : len(lb) + 1] = np.cumsum(lb, 0)
        cum[i, len(lb) + 1 :] = cum[i, len(lb)]
        ld[i, :, : lg.shape[1] - 1] = lg[:, 1:]
        cut_ok[i] = d[None, :] <= np.array([np.flatnonzero(np.isfinite(r)).max() for r in lg])[:, None]
    prev = np.array([3, 0, 1, 2])
    delta = np.full((b, tmax, k), -np.inf)
    best_d = np.zeros((b, tmax, k), dtype=np.int16)
    cum_t = np.ascontiguousarray(cum.transpose(0, 2, 1))  # (b, k, T + 1)
    dsh = np.full((b, k, tmax), -np.inf)  # dsh[:, j, t] = delta[:, t, prev[j]]
    first = np.where(cut_ok, 0.0, -np.inf)
    for t in range(tmax):
        if t > dmax:  # every candidate segment starts inside the recording: contiguous slices
            seg = cum_t[:, :, t + 1, None] - cum_t[:, :, t : t - dmax : -1]
            cand = dsh[:, :, t - 1 : t - 1 - dmax : -1] + ld + seg
        else:
            start = t + 1 - d
            seg = cum[:, t + 1, :, None] - cum[:, np.clip(start, 0, None), :].transpose(0, 2, 1)
            dp = delta[:, np.clip(start - 1, 0, None), :][:, :, prev].transpose(0, 2, 1) + ld
            cand = np.where(start >= 1, dp, np.where(start == 0, first, -np.inf)) + seg
        j = np.argmax(cand, 2)
        best = np.take_along_axis(cand, j[:, :, None], 2)[:, :, 0]
        delta[:, t], dsh[:, :, t], best_d[:, t] = best, best[:, prev], j + 1
    return [_hsmm_backtrack(delta[i], best_d[i], cum[i], cut_ok[i], int(lens[i])) for i in range(b)]


def _hsmm_backtrack(delta: np.ndarray, best_d: np.ndarray, cum: np.ndarray, cut_ok: np.ndarray, n: int) -> np.ndarray:
    """States of one recording from its Viterbi tables; the last segment may be cut by the end."""
    prev = np.array([3, 0, 1, 2])
    d = np.arange(1, cut_ok.shape[1] + 1)
    start = n - d
    cut = np.where((start[None, :] >= 1) & cut_ok, delta[np.clip(start - 1, 0, None)][:, prev].T, -np.inf)
    cut = cut + cum[n][:, None] - cum[np.clip(start, 0, None)].T
    s_full = int(np.argmax(delta[n - 1]))
    s_cut, d_cut = np.unravel_index(int(np.argmax(cut)), cut.shape)
    if cut[s_cut, d_cut] > delta[n - 1, s_full]:
        s, length = int(s_cut), int(d[d_cut])
    else:
        s, length = s_full, int(best_d[n - 1, s_full])
    states = np.empty(n, dtype=np.int64)
    end = n
    while True:
        states[max(end - length, 0) : end] = s
        end -= length
        if end <= 0:
            return states
        s = int(prev[s])
        length = int(best_d[end - 1, s])


def hsmm_segment(
    envs: list[np.ndarray], frame_rate: float = FRAME_RATE, refine: int = 1, batch: int = 64
) -> tuple[list[np.ndarray], list[tuple[float, float]]]:
    """Duration-dependent HSMM segmentation of many recordings: ``(states, [(cycle_s, systole_s), ...])``.

    ``envs`` = :func:`pcg_envelopes` arrays. Each frame gets 0 S1, 1 systole, 2 S2 or 3 diastole (every
    frame is labelled). Heart rate and systole come from the homomorphic envelope's autocorrelation
    (:func:`heart_cycle`), the durations from :func:`hsmm_durations`, the states from an explicit-duration
    Viterbi (Schmidt et al., 2010; Springer et al., 2016). Springer's emissions are a logistic regression
    trained on annotated recordings, which are not available offline: here the first pass scores frames as
    loud (S1/S2) or quiet, and ``refine`` passes re-fit one Gaussian per state on the previous labels.
    """
    if isinstance(envs, np.ndarray):
        raise ValueError("envs must be a list of (n_frames, 3) envelopes; wrap one recording as [env].")
    for e in envs:
        if np.ndim(e) != 2 or len(e) < int(2.0 * frame_rate) + 1:
            raise ValueError(f"each envelope must be (n_frames > 2 s, n_env) from pcg_envelopes(), got {np.shape(e)}.")
    cyc = [heart_cycle(e[:, 0], frame_rate)[:2] for e in envs]
    logdurs = [hsmm_durations(c, s, frame_rate) for c, s in cyc]
    order = np.argsort([len(e) for e in envs], kind="stable")  # similar lengths share a batch
    states: list[Any] = [None] * len(envs)
    for _ in range(1 + refine):
        for lo in range(0, len(order), batch):
            idx = order[lo : lo + batch]
            decoded = _hsmm_viterbi([_hsmm_emissions(envs[i], states[i]) for i in idx], [logdurs[i] for i in idx])
            for i, st in zip(idx, decoded):
                states[i] = st
    return states, cyc


def state_runs(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of one state ``(state, start_frame, length)``, without the first and last run (cut by the edges)."""
    st = np.asarray(states)
    starts = np.flatnonzero(np.diff(np.r_[-1, st]))
    lengths = np.diff(np.r_[starts, len(st)])
    return st[starts][1:-1], starts[1:-1], lengths[1:-1]


def _full_cycles(lab: np.ndarray) -> np.ndarray:
    """Indices of runs that start a complete S1, systole, S2, diastole sequence."""
    if len(lab) < 4:
        return np.zeros(0, dtype=np.int64)
    w = np.lib.stride_tricks.sliding_window_view(lab, 4)
    return np.flatnonzero((w == np.arange(4)).all(1))


def _mean_sd(v: Any) -> list[float]:
    v = np.asarray(v, dtype=np.float64)
    return [float(np.mean(v)), float(np.std(v))] if len(v) else [np.nan, np.nan]


def frame_summary(power: np.ndarray) -> np.ndarray:
    """What :func:`segment_features` needs of each frame ``(n_frames, 21)``: total energy, log energy in the
    SEG_BANDS, spectral flatness, centroid (100 Hz units) and MFCC 0-12. Why: 3 times smaller than the power
    frames, so all recordings' summaries fit in memory while the HSMM runs on them in batches."""
    p = np.asarray(power, np.float64)
    freqs = frame_freqs()
    masks = np.stack([(freqs >= a) & (freqs < b) for a, b in SEG_BANDS]).astype(np.float64)
    e = p.sum(1)
    flat = np.exp(np.mean(np.log(p + 1e-12), 1)) / (p.mean(1) + 1e-12)
    cen = (p * freqs).sum(1) / (e + 1e-9) / 100.0
    mf = log_mel(p.astype(np.float32)) @ _dct_matrix()
    return np.column_stack([e, np.log(p @ masks.T + 1e-9), flat, cen, mf]).astype(np.float32)


def segment_features(power: np.ndarray, env: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Per-recording features from an HSMM segmentation (HSMM_FEATURE_NAMES order; NaN where undefined).

    Timing (cycle, S1, systole, S2, diastole durations and their ratios, mean and spread over cycles; Potes
    et al., 2016), amplitude ratios (systole / S1, diastole / S2), and state contrasts per band (systole
    minus S1, diastole minus S2, systole minus diastole...; mean, 90th percentile, median over cycles).
    Why contrasts: they are differences of log energies within one recording, so a stethoscope's gain and
    frequency response (a constant per band) cancel out, while a murmur between S1 and S2 raises them.
    """
    return _segment_features(frame_summary(power), env, states)


def _run_means(v: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Mean of ``v`` (frames first) over every run of one state, edge runs included (np.add.reduceat)."""
    starts = np.flatnonzero(np.diff(np.r_[-1, states]))
    lengths = np.diff(np.r_[starts, len(states)])
    sums = np.add.reduceat(np.asarray(v, np.float64), starts, axis=0)
    return sums / (lengths[:, None] if sums.ndim == 2 else lengths)


def _segment_features(summ: np.ndarray, env: np.ndarray, states: np.ndarray) -> np.ndarray:
    st = np.asarray(states)
    nb = len(SEG_BANDS)
    e, bl, flat, cen, mf = summ[:, 0], summ[:, 1 : 1 + nb], summ[:, 1 + nb], summ[:, 2 + nb], summ[:, 3 + nb :]
    lab, start, length = state_runs(st)
    full = _full_cycles(lab)
    per = np.stack([length[full + i] for i in range(4)], 1) / FRAME_RATE if len(full) else np.full((0, 4), np.nan)
    cyc = per.sum(1)
    f = _mean_sd(np.diff(start[lab == 0]) / FRAME_RATE)
    for s in range(4):
        f += _mean_sd(length[lab == s] / FRAME_RATE)
    f += _mean_sd(per[:, 1] / cyc) + _mean_sd(per[:, 3] / cyc) + _mean_sd(per[:, 1] / per[:, 3])
    amp = np.sqrt(e)
    run_amp = _run_means(amp, st)[1:-1]
    f += _mean_sd(np.log(run_amp[full + 1] / run_amp[full])) + _mean_sd(np.log(run_amp[full + 3] / run_amp[full + 2]))
    has = [(st == s).any() for s in range(4)]
    state_amp = [amp[st == s].mean() if has[s] else np.nan for s in range(4)]
    f.append(float(np.log(state_amp[2] / state_amp[0])))
    ps = np.stack([bl[st == s].mean(0) if has[s] else np.full(nb, np.nan) for s in range(4)])
    for a, b in ((1, 0), (3, 2), (1, 3), (2, 0)):
        f += list(ps[a] - ps[b])
    f += [flat[st == s].mean() if has[s] else np.nan for s in (1, 3)]
    run_e = _run_means(e, st)[1:-1]
    for s in (1, 3):
        r = run_e[lab == s]
        f.append(float(r.std() / (r.mean() + 1e-12)) if len(r) > 1 else np.nan)
    z = env.mean(1)
    loud = np.isin(st, (0, 2))
    f.append(float(z[loud].mean() - z[~loud].mean()) if loud.any() and (~loud).any() else np.nan)
    sys_m, dia_m, s1_m = st == 1, st == 3, st == 0
    if has[1] and has[3]:
        f += list(np.percentile(bl[sys_m], 90, 0) - np.median(bl[dia_m], 0))
        f += list(np.percentile(bl[dia_m], 90, 0) - np.median(bl[sys_m], 0))
    else:
        f += [np.nan] * (2 * nb)
    if len(full):
        run_bl = _run_means(bl, st)[1:-1]
        for a, b in ((1, 3), (1, 0), (3, 2)):
            f += list(np.median(run_bl[full + a] - run_bl[full + b], 0))
    else:
        f += [np.nan] * (3 * nb)
    f.append(float(cen[sys_m].mean() - cen[dia_m].mean()) if has[1] and has[3] else np.nan)
    f.append(float(cen[sys_m].mean() - cen[s1_m].mean()) if has[1] and has[0] else np.nan)
    f += list(mf[sys_m, 1:8].mean(0) - mf[dia_m, 1:8].mean(0)) if has[1] and has[3] else [np.nan] * 7
    return np.asarray(f + _state_mfcc(mf, st, has), dtype=np.float32)


def _state_mfcc(mf: np.ndarray, st: np.ndarray, has: list[bool]) -> list[float]:
    """STATE_MFCC_NAMES: mean MFCC 0-12 of each state, and their spread over the state's frames."""
    out: list[float] = []
    for s in range(4):
        out += list(mf[st == s].mean(0)) if has[s] else [np.nan] * N_MFCC
    for s in range(4):
        out += list(mf[st == s].std(0)) if has[s] else [np.nan] * N_MFCC
    return out
