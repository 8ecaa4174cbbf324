"""Heart sounds: reading PhysioNet folders (data), signal processing and window features (heart), the model
(heart_model) and the CLI."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from medtutor import data, heart, heart_model, synthetic

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PHYSIONET = Path(os.environ.get("MEDTUTOR_DATA_DIR") or _SHARED) / "physionet2016"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A small synthetic PhysioNet-format folder (WAV + .hea + REFERENCE.csv)."""
    return synthetic.write_physionet_folder(tmp_path_factory.mktemp("pcg") / "training-s", n_records=12, seed=3)


@pytest.fixture(scope="module")
def recording(folder) -> np.ndarray:
    return data.read_pcg_wav(folder / "s0001.wav")[0]


# --------------------------------------------------------------------------- reading


def test_read_recording_scales_to_unit_range(folder):
    x, fs = data.read_pcg_wav(folder / "s0001.wav")
    assert fs == 2000 and x.dtype == np.float32 and x.ndim == 1
    assert np.abs(x).max() <= 1.0
    _, raw = wavfile.read(folder / "s0001.wav")
    assert np.allclose(x, raw / 32768.0)


def test_read_recording_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.read_pcg_wav(tmp_path / "missing.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(ValueError, match="not a readable WAV"):
        data.read_pcg_wav(tmp_path / "text.wav")
    wavfile.write(tmp_path / "stereo.wav", 2000, np.zeros((100, 2), np.int16))
    with pytest.raises(ValueError, match="mono"):
        data.read_pcg_wav(tmp_path / "stereo.wav")
    wavfile.write(tmp_path / "int32.wav", 2000, np.zeros(100, np.int32))
    with pytest.raises(ValueError, match="16-bit"):
        data.read_pcg_wav(tmp_path / "int32.wav")


def test_read_label(tmp_path, folder):
    hea = tmp_path / "r.hea"
    hea.write_bytes(b"r 1 2000 10\r\nr.wav 16+44 1 16 0 0 0 0 PCG\r\n# Abnormal\r\n")
    assert data.read_pcg_label(hea) == 1
    hea.write_text("r 1 2000 10\n# Normal\n")
    assert data.read_pcg_label(hea) == 0
    hea.write_text("r 1 2000 10\n# Unsure\n")
    with pytest.raises(ValueError, match="# Normal"):
        data.read_pcg_label(hea)
    with pytest.raises(FileNotFoundError, match=".hea header"):
        data.read_pcg_label(tmp_path / "none.hea")


def test_read_folder_reference_and_headers_agree(folder, tmp_path):
    records, signals, labels, fs = data.read_physionet_folder(folder)
    assert len(records) == len(signals) == len(labels) == 12 and fs == 2000
    assert labels.dtype == np.int64 and set(labels) <= {0, 1}
    from_headers = [data.read_pcg_label(folder / f"{r}.hea") for r in records]
    assert list(labels) == from_headers
    # a copy without REFERENCE.csv reads its labels from the headers
    copy = tmp_path / "no_ref"
    copy.mkdir()
    for f in folder.iterdir():
        if f.suffix in (".wav", ".hea"):
            (copy / f.name).write_bytes(f.read_bytes())
    assert list(data.read_physionet_folder(copy)[2]) == list(labels)


def test_read_folder_of_sites_and_bad_folders(tmp_path):
    root = tmp_path / "root"
    synthetic.write_physionet_folder(root / "training-a", n_records=3, seed=1)
    synthetic.write_physionet_folder(root / "training-b", n_records=2, seed=2)
    assert len(data.read_physionet_folder(root)[0]) == 5
    records = data.read_physionet_folder(root, sites="b")[0]
    assert records == ["b0001", "b0002"]
    with pytest.raises(FileNotFoundError, match="training-c"):
        data.read_physionet_folder(root, sites="c")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.read_physionet_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .wav"):
        data.read_physionet_folder(tmp_path / "empty")
    lone = tmp_path / "lone"
    lone.mkdir()
    wavfile.write(lone / "x1.wav", 2000, np.zeros(5000, np.int16))
    with pytest.raises(FileNotFoundError, match="no label"):
        data.read_physionet_folder(lone)


# --------------------------------------------------------------------------- signal processing


def test_bandpass_keeps_the_band_and_rejects_the_rest():
    t = np.arange(8000) / 2000
    for f, lo, hi in ((100, 0.95, 1.05), (5, 0.0, 0.01), (800, 0.0, 0.05)):
        out = heart.bandpass(np.sin(2 * np.pi * f * t).astype(np.float32))
        gain = np.abs(out[2000:-2000]).max()
        assert lo <= gain <= hi, (f, gain)


@pytest.mark.parametrize(
    "bad, err, match",
    [
        (np.zeros((2, 100), np.float32), ValueError, "1-D"),
        (np.zeros(100, np.int16), TypeError, "float"),
        (np.array([0.0, np.nan] * 50, np.float32), ValueError, "NaN"),
        (np.zeros(5, np.float32), ValueError, "too short"),
    ],
)
def test_signal_bad_inputs(bad, err, match):
    with pytest.raises(err, match=match):
        heart.bandpass(bad)


def test_bandpass_bad_band_and_normalize_silence(recording):
    with pytest.raises(ValueError, match="fs/2"):
        heart.bandpass(recording, low=400, high=25)
    with pytest.raises(ValueError, match="silent"):
        heart.normalize(np.zeros(100, np.float32))
    z = heart.normalize(recording)
    assert np.abs(z).max() <= 10 and np.isclose(np.median(np.abs(z)), 0.1, rtol=1e-3)


def test_power_frames_matches_a_hand_fft(recording):
    p = heart.power_frames(recording)
    assert p.shape == (1 + (len(recording) - heart.N_FFT) // heart.HOP, heart.N_FFT // 2 + 1)
    k = 7
    frame = recording[k * heart.HOP : k * heart.HOP + heart.N_FFT] * np.hanning(heart.N_FFT)
    assert np.allclose(p[k], np.abs(np.fft.rfft(frame)) ** 2, rtol=1e-4, atol=1e-6)
    lm = heart.log_mel(p)
    assert lm.shape == (len(p), heart.N_MELS) and np.isfinite(lm).all()
    with pytest.raises(ValueError, match="power_frames"):
        heart.log_mel(p[:, :10])
    with pytest.raises(ValueError, match="power_frames"):
        heart.envelope(p[:, :10])


def test_mel_filterbank_is_a_partition_in_the_middle():
    fb = heart.mel_filterbank()
    assert fb.shape == (heart.N_MELS, heart.N_FFT // 2 + 1) and fb.min() >= 0
    f = heart.frame_freqs()
    inner = (f > 150) & (f < 600)
    assert np.allclose(fb[:, inner].sum(0), 1, atol=0.05)
    with pytest.raises(ValueError, match="fmin"):
        heart.mel_filterbank(fmin=900, fmax=800)


def test_heart_cycle_and_segmentation_on_a_synthetic_pulse():
    fr = heart.FRAME_RATE
    t = np.arange(int(12 * fr)) / fr
    phase = (t * 75 / 60) % 1.0  # 75 beats/min: cycle 0.8 s, S2 0.3 s after S1
    env = np.exp(-(((phase - 0.1) / 0.03) ** 2)) + 0.7 * np.exp(-(((phase - 0.475) / 0.03) ** 2))
    env = ((env - env.mean()) / env.std()).astype(np.float32)
    cycle, systole, ac_c, _ = heart.heart_cycle(env)
    assert abs(cycle - 0.8) <= 1 / fr and abs(systole - 0.3) <= 1 / fr and ac_c > 0.9
    states, s1 = heart.segment_states(env, cycle, systole)
    assert len(s1) >= 10
    assert np.all(np.abs(((s1 / fr * 75 / 60) % 1.0) - 0.1) < 0.05)  # every S1 found at the S1 phase
    assert set(np.unique(states)) == {-1, 0, 1, 2, 3}
    with pytest.raises(ValueError, match="longer than 2 s"):
        heart.heart_cycle(env[:50])
    with pytest.raises(ValueError, match="systole_s < cycle_s"):
        heart.segment_states(env, 0.3, 0.8)


# --------------------------------------------------------------------------- features


def test_window_features_shapes_and_checks(recording):
    feats, starts = heart.window_features(recording, 2000)
    assert feats.shape == (len(starts), len(heart.FEATURE_NAMES)) and np.isfinite(feats).all()
    assert starts[0] == 0 and np.allclose(np.diff(starts), heart.HOP_S)
    with pytest.raises(ValueError, match="2000 Hz"):
        heart.window_features(recording, 4000)
    with pytest.raises(ValueError, match="too short"):
        heart.window_features(recording[:1000], 2000)
    with pytest.raises(ValueError, match="hop_s"):
        heart.window_features(recording, 2000, window_s=5, hop_s=6)


def test_recording_features_groups_and_sequences(folder):
    _, signals, _, fs = data.read_physionet_folder(folder)
    feats, group, seqs = heart.recording_features(signals[:3], fs, sequences=True)
    assert len(feats) == len(group) == len(seqs) and set(group) == {0, 1, 2}
    assert seqs.shape[1:] == (int(heart.WINDOW_S * heart.FRAME_RATE) // 2, heart.N_MELS)
    assert len(heart.recording_features(signals[:1], fs)) == 2
    with pytest.raises(ValueError, match="list of recordings"):
        heart.recording_features(signals[0], fs)
    with pytest.raises(ValueError, match="empty"):
        heart.recording_features([], fs)


def test_macc_scores_matches_sklearn():
    from sklearn.metrics import balanced_accuracy_score

    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    res = heart_model.macc_scores(y, p)
    assert np.isclose(res["macc"], balanced_accuracy_score(y, p))
    assert np.isclose(res["macc"], (res["se"] + res["sp"]) / 2)
    with pytest.raises(ValueError, match="same length"):
        heart_model.macc_scores(y, p[:-1])
    with pytest.raises(ValueError, match="0/1"):
        heart_model.macc_scores(y, p * 0.5)
    with pytest.raises(ValueError, match="one class"):
        heart_model.macc_scores(np.ones(5, int), np.ones(5, int))


# --------------------------------------------------------------------------- model and CLI


@pytest.fixture(scope="module")
def trained(folder):
    _, signals, labels, fs = data.read_physionet_folder(folder)
    return heart_model.train_model(signals, labels, fs, epochs=15, seed=0), signals, labels


def test_train_and_predict(trained):
    model, signals, labels = trained
    p = heart_model.predict_recordings(model, signals)
    assert p.shape == (len(signals),) and ((0 <= p) & (p <= 1)).all()
    starts, p_win = heart_model.window_probabilities(model, signals[0])
    assert len(starts) == len(p_win) and np.isclose(p_win.mean(), p[0], atol=1e-5)


def test_ensemble_saves_loads_and_predicts(folder, tmp_path):
    _, signals, labels, fs = data.read_physionet_folder(folder)
    feats = heart.recording_features(signals, fs, sequences=True)
    model = heart_model.train_model(signals, labels, fs, epochs=3, gru_epochs=1, features=feats, kind="ensemble")
    p = heart_model.predict_recordings(model, signals, features=feats)
    loaded = heart_model.load_model(heart_model.save_model(model, tmp_path / "e.keras"))
    assert np.allclose(heart_model.predict_recordings(loaded, signals), p, atol=1e-5)
    starts, p_win = heart_model.window_probabilities(loaded, signals[1])
    assert np.isclose(p_win.mean(), p[1], atol=1e-5)
    with pytest.raises(ValueError, match="sequences=True"):
        heart_model.predict_recordings(model, signals, features=feats[:2])
    with pytest.raises(ValueError, match="sequences=True"):
        heart_model.train_model(signals, labels, fs, features=feats[:2], kind="ensemble")
    with pytest.raises(ValueError, match="kind"):
        heart_model.train_model(signals, labels, fs, kind="forest")
    with pytest.raises(ValueError, match="recording_features"):
        heart_model.build_sequence_model(np.zeros((4, 10, 3), np.float32))


def test_model_bad_inputs(trained):
    model, signals, labels = trained
    with pytest.raises(ValueError, match="one label per recording"):
        heart_model.train_model(signals, labels[:-1])
    with pytest.raises(ValueError, match="both classes"):
        heart_model.train_model(signals, np.zeros(len(signals), int))
    with pytest.raises(ValueError, match="recording_features"):
        heart_model.build_model(np.zeros((4, 3), np.float32))
    import keras

    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="retrain"):
        heart_model.predict_recordings(other, signals)


def test_cli_train_and_evaluate_end_to_end(tmp_path, capsys):
    from medtutor.cli import main

    root = tmp_path / "data"
    synthetic.write_physionet_folder(root / "training-a", n_records=8, seed=5)
    synthetic.write_physionet_folder(root / "training-b", n_records=8, seed=6)
    new_site = synthetic.write_physionet_folder(tmp_path / "training-z", n_records=6, seed=7)
    out = tmp_path / "m" / "heart.keras"
    args = ["heart", "train", "--data", str(root), "--sites", "a", "b", "--out", str(out), "--epochs", "5"]
    assert main([*args, "--kind", "mlp"]) == 0
    assert out.is_file() and "16 recordings" in capsys.readouterr().out
    assert main(["heart", "evaluate", "--model", str(out), "--folder", str(new_site)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-3].startswith("Se=") and lines[-2].startswith("Sp=")
    assert re.fullmatch(r"MAcc=[01]\.\d{4}", lines[-1])
    se, sp = float(lines[-3][3:]), float(lines[-2][3:])
    assert np.isclose(float(lines[-1][5:]), (se + sp) / 2, atol=1e-4)
    # clear errors, exit code 2
    assert main(["heart", "train", "--data", str(root), "--out", str(tmp_path / "m.h5")]) == 2
    assert ".keras" in capsys.readouterr().err
    assert main(["heart", "evaluate", "--model", str(tmp_path / "none.keras"), "--folder", str(new_site)]) == 2
    assert "heart train" in capsys.readouterr().err
    assert main(["heart", "evaluate", "--model", str(out), "--folder", str(tmp_path / "nowhere")]) == 2


def test_load_or_train_model_cache_is_keyed_on_recipe_source_and_version(
    trained, folder, tmp_path, monkeypatch, capsys
):
    """Issue 12: a cached heart model is reused only when recipe, data source and package version match."""
    from medtutor import data

    monkeypatch.setenv("MEDTUTOR_CACHE_DIR", str(tmp_path))
    records, signals, labels, fs = data.read_physionet_folder(folder)
    source = {"now": "synthetic"}

    def fake_load(name, sites):
        meta = {"fs": fs, "sites": ["s"] * len(records), "records": records}
        return data.Dataset(name, source["now"], ["normal", "abnormal"], {"all": (signals, labels)}, {}, meta)

    calls = []
    monkeypatch.setattr(data, "load", fake_load)
    monkeypatch.setattr(heart_model, "train_model", lambda *a, **k: calls.append(k) or trained[0])
    heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=3, verbose=False)
    heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=3, verbose=False)
    assert len(calls) == 1  # the second call loaded the cache
    heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=4, verbose=False)
    assert len(calls) == 2  # another recipe: retrained
    source["now"] = "real"
    heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=3, verbose=False)
    assert len(calls) == 3  # real data never reuses a stand-in's model
    sidecars = sorted((tmp_path / "models").glob("*.json"))
    assert len(sidecars) == 3 and not list((tmp_path / "models").glob("*.tmp*"))
    for car in sidecars:  # a model written by another package version is retrained, with a banner
        car.write_text(
            car.read_text().replace(heart_model.cache_key("mlp", "abcd", 3, 0, "real")["medtutor_version"], "0.0.0")
        )
    heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=3, verbose=True)
    assert len(calls) == 4 and "NOT reusing the cached model" in capsys.readouterr().out
    loaded = heart_model.load_or_train_model(sites="abcd", kind="mlp", epochs=3, verbose=False)
    x = np.zeros((2, len(heart.FEATURE_NAMES)), np.float32)
    assert len(calls) == 4 and np.allclose(loaded.predict(x, verbose=0), trained[0].predict(x, verbose=0))


# --------------------------------------------------------------------------- issue 12: bad input


def test_epochs_zero_or_negative_is_refused(trained, tmp_path, capsys):
    from medtutor.cli import main

    _, signals, labels = trained
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="epochs must be a whole number >= 1"):
            heart_model.train_model(signals, labels, epochs=bad)
    for bad in ("0", "-1"):
        with pytest.raises(SystemExit) as exc:
            main(["heart", "train", "--data", str(tmp_path), "--out", str(tmp_path / "m.keras"), "--epochs", bad])
        assert exc.value.code == 2 and ">= 1" in capsys.readouterr().err
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    "samples, match",
    [
        (np.zeros(0, np.float32), "empty"),
        (np.full(5000, np.nan, np.float32), "NaN"),
        (np.zeros(400, np.int16), "lasts"),
    ],
)
def test_bad_wavs_are_refused_naming_the_file(tmp_path, samples, match):
    site = tmp_path / "training-q"
    site.mkdir()
    wavfile.write(site / "q0001.wav", 2000, samples)
    (site / "REFERENCE.csv").write_text("q0001,1\n")
    with pytest.raises(ValueError, match=match) as err:
        data.read_physionet_folder(site)
    assert "q0001.wav" in str(err.value)


def test_upper_case_wav_and_reference_variants_are_read(tmp_path, folder):
    copy = tmp_path / "upper"
    copy.mkdir()
    for f in sorted(folder.glob("*.wav"))[:4]:
        (copy / (f.stem + ".WAV")).write_bytes(f.read_bytes())
    truth = data.read_physionet_folder(folder)[2][:4]
    records = [f.stem for f in sorted(folder.glob("*.wav"))[:4]]
    # a UTF-8 byte-order mark (Excel) and 0/1 labels are read, not skipped as "no label"
    rows = "\n".join(f"{r},{int(v)}" for r, v in zip(records, truth))
    (copy / "REFERENCE.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode())
    recs, sigs, labels, fs = data.read_physionet_folder(copy)
    assert recs == records and list(labels) == list(truth) and len(sigs) == 4 and fs == 2000
    (copy / "REFERENCE.csv").write_text(f"{records[0]},-1\n{records[1]},0\n")
    with pytest.raises(ValueError, match="mixes labels -1 and 0"):
        data.read_physionet_folder(copy)
    (copy / "REFERENCE.csv").write_text(f"{records[0]},maybe\n")
    with pytest.raises(ValueError, match="row 1"):
        data.read_physionet_folder(copy)


def test_float_sampling_rate_is_accepted(recording):
    f_int, _ = heart.window_features(recording, fs=2000)
    f_float, _ = heart.window_features(recording, fs=2000.0)
    assert np.array_equal(f_int, f_float)
    with pytest.raises(ValueError, match="2000 Hz"):
        heart.window_features(recording, fs=2000.5)
    with pytest.raises(ValueError, match="2000 Hz"):
        heart.window_features(recording, fs=True)


def test_out_path_is_checked_before_training(tmp_path, monkeypatch, capsys):
    from medtutor.cli import main

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setattr(data, "read_physionet_folder", lambda *a, **k: pytest.fail("read data before checking --out"))
    assert main(["heart", "train", "--data", str(tmp_path), "--out", str(blocker / "m.keras")]) == 2
    assert "cannot write" in capsys.readouterr().err


# --------------------------------------------------------------------------- the site-robust model


def test_consistent_features_and_recording_table():
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    sites = np.repeat(["a", "b"], n // 2)
    x = rng.normal(size=(n, 3))
    x[:, 0] += 2 * y  # same direction at both sites
    x[:, 1] += np.where(sites == "a", 2, -2) * y  # opposite directions: a site shortcut
    assert list(heart_model.consistent_features(x, y, sites)) == [0]
    with pytest.raises(ValueError, match="no site has"):
        heart_model.consistent_features(x[:30], y[:30], sites[:30])
    table = heart.recording_table(np.arange(8.0).reshape(4, 2), np.array([0, 0, 1, 1]))
    assert np.allclose(table, [[1, 2], [5, 6]])
    with pytest.raises(ValueError, match="has no window"):
        heart.recording_table(np.zeros((2, 2)), np.array([0, 2]))


def test_macc_ci_brackets_the_estimate():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 80)
    pred = np.where(rng.random(80) < 0.8, y, 1 - y)
    lo, hi = heart_model.macc_ci(y, pred)
    assert lo < heart_model.macc_scores(y, pred)["macc"] < hi and hi - lo < 0.4
    with pytest.raises(ValueError, match="both classes"):
        heart_model.macc_ci(np.ones(5, int), np.ones(5, int))


def test_site_robust_model_cli_and_loso(tmp_path, capsys):
    """The default pipeline: sign-consistent features, cross-site threshold folded into one Dense layer."""
    from medtutor.cli import main

    root = tmp_path / "data"
    for site, seed in (("a", 11), ("b", 12)):
        synthetic.write_physionet_folder(root / f"training-{site}", n_records=40, seed=seed)
    out = tmp_path / "robust.keras"
    assert main(["heart", "train", "--data", str(root), "--out", str(out), "--loso"]) == 0
    text = capsys.readouterr().out
    assert "leave-one-site-out" in text and re.search(r"mean MAcc over 2 unseen sites: [01]\.\d{3}", text)
    model = heart_model.load_model(out)
    assert model.name == "pcg_site_robust"
    _, signals, _, fs = data.read_physionet_folder(root / "training-b")
    feats = heart.recording_features(signals, fs)
    table = heart.recording_table(*feats, len(signals))
    p_keras = model.predict(table, verbose=0).ravel()  # the NumPy shortcut equals the Keras layer
    assert np.allclose(heart_model.predict_recordings(model, signals, features=feats), p_keras, atol=1e-5)
    assert main(["heart", "evaluate", "--model", str(out), "--folder", str(root / "training-b")]) == 0
    macc = float(capsys.readouterr().out.strip().splitlines()[-1][5:])
    assert macc > 0.8  # the synthetic murmur is learnable at both sites
    assert main(["heart", "train", "--data", str(root / "training-a"), "--out", str(out), "--loso"]) == 2
    assert "at least 2 sites" in capsys.readouterr().err


@pytest.mark.skipif(not (PHYSIONET / "training-c" / "REFERENCE.csv").is_file(), reason="real PhysioNet data absent")
def test_cli_on_real_sites(tmp_path, capsys):
    """Train on real site d, evaluate on real site c: a site never seen in training."""
    from medtutor.cli import main

    out = tmp_path / "d.keras"
    args = ["heart", "train", "--data", str(PHYSIONET), "--sites", "d", "--out", str(out), "--epochs", "10"]
    assert main([*args, "--kind", "mlp"]) == 0
    capsys.readouterr()
    assert main(["heart", "evaluate", "--model", str(out), "--folder", str(PHYSIONET / "training-c")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("recordings: 31 (24 abnormal)")
    assert re.fullmatch(r"MAcc=[01]\.\d{4}", lines[-1])


# --------------------------------------------------------------------------- ECG5000 labels (issue 13)

ECG_FILE = Path(os.environ.get("MEDTUTOR_DATA_DIR") or _SHARED) / "ecg5000" / "ecg.csv"


def test_ecg_labels_follow_disease_is_one():
    from medtutor import data

    assert list(data.ecg_labels(np.array([1.0, 0.0, 1.0]))) == [0, 1, 0]  # the file's 1 = normal
    with pytest.raises(ValueError, match="0 \\(abnormal\\) or 1 \\(normal\\)"):
        data.ecg_labels(np.array([2.0]))
    _, y = synthetic.ecg_beats(200, seed=0)
    assert data.info("ecg5000")["class_names"] == ["normal", "abnormal"] and 0.3 < y.mean() < 0.55


@pytest.mark.skipif(not ECG_FILE.is_file(), reason="real ECG5000 absent")
def test_real_ecg5000_abnormal_is_one(monkeypatch):
    from medtutor import data

    monkeypatch.setenv("MEDTUTOR_DATA_DIR", str(ECG_FILE.parents[1]))
    ds = data.load("ecg5000")
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    raw = np.loadtxt(ECG_FILE, delimiter=",", usecols=[140])
    assert ds.class_names == ["normal", "abnormal"] and int(y.sum()) == int((raw == 0).sum()) == 2079


# --------------------------------------------------------------------------- HSMM segmentation


def _synthetic_pcg(cycle_s: float = 0.85, s2_at: float = 0.33, seconds: float = 12.0, seed: int = 0):
    """A PCG with known states: S1 (0.12 s, 60 Hz) at each cycle start, S2 (0.09 s, 90 Hz) ``s2_at`` later."""
    fs = 2000
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    phase = t % cycle_s
    s1 = phase < 0.12
    s2 = (phase >= s2_at) & (phase < s2_at + 0.09)
    x = 0.02 * rng.normal(size=len(t))
    x += s1 * np.sin(2 * np.pi * 60 * t) * np.sin(np.pi * np.clip(phase / 0.12, 0, 1))
    x += 0.7 * s2 * np.sin(2 * np.pi * 90 * t) * np.sin(np.pi * np.clip((phase - s2_at) / 0.09, 0, 1))
    truth = np.where(s1, 0, np.where(phase < s2_at, 1, np.where(s2, 2, 3)))
    centres = np.arange((len(t) - heart.N_FFT) // heart.HOP + 1) * heart.HOP + heart.N_FFT // 2
    return x.astype(np.float32), truth[centres]


def test_hsmm_recovers_known_states_of_a_synthetic_pcg():
    x, truth = _synthetic_pcg()
    env = heart.pcg_envelopes(x, 2000)
    assert env.shape == (len(truth), 3) and np.isfinite(env).all()
    (states,), ((cycle_s, systole_s),) = heart.hsmm_segment([env])
    assert abs(cycle_s - 0.85) <= 2 / heart.FRAME_RATE and abs(systole_s - 0.33) <= 3 / heart.FRAME_RATE
    assert states.shape == truth.shape and set(np.unique(states)) == {0, 1, 2, 3}  # every frame labelled
    inner = slice(int(heart.FRAME_RATE), -int(heart.FRAME_RATE))
    assert np.mean(states[inner] == truth[inner]) > 0.85
    lab, start, length = heart.state_runs(states)
    s1_starts = start[lab == 0] / heart.FRAME_RATE
    assert np.allclose(np.diff(s1_starts), 0.85, atol=0.06)  # one S1 per cycle, none missed or doubled
    # a batch gives the same labels as one recording at a time
    x2, _ = _synthetic_pcg(cycle_s=0.7, s2_at=0.3, seconds=8.0, seed=1)
    batch, _ = heart.hsmm_segment([env, heart.pcg_envelopes(x2, 2000)], batch=2)
    assert np.array_equal(batch[0], states)
    with pytest.raises(ValueError, match="list of"):
        heart.hsmm_segment(env)
    with pytest.raises(ValueError, match="n_frames > 2 s"):
        heart.hsmm_segment([env[:40]])


def test_hsmm_durations_follow_the_heart_rate():
    lp = heart.hsmm_durations(1.0, 0.35)
    fr = heart.FRAME_RATE
    peak = np.argmax(lp, 1) / fr
    assert np.allclose(peak, [0.122, 0.35 - 0.122, 0.094, 1.0 - 0.35 - 0.094], atol=1.5 / fr)
    assert np.isneginf(lp[:, 0]).all()  # no state lasts zero frames
    faster = heart.hsmm_durations(0.6, 0.28)
    assert np.argmax(faster[3]) < np.argmax(lp[3])  # a faster heart shortens diastole most
    with pytest.raises(ValueError, match="systole_s < cycle_s"):
        heart.hsmm_durations(0.3, 0.5)


def test_segment_features_contrasts_ignore_the_device_gain():
    x, _ = _synthetic_pcg()
    clean = heart.normalize(heart.bandpass(x))
    p = heart.power_frames(clean)
    env = heart.pcg_envelopes(x)
    (states,), _ = heart.hsmm_segment([env])
    f = heart.segment_features(p, env, states)
    assert f.shape == (len(heart.HSMM_FEATURE_NAMES),) and np.isfinite(f).all()
    names = np.array(heart.HSMM_FEATURE_NAMES)
    assert abs(f[names == "hsmm_cycle_mean"][0] - 0.85) < 0.03
    assert f[names == "hsmm_systole_mean"][0] < f[names == "hsmm_diastole_mean"][0]
    band_gain = np.ones(p.shape[1], np.float32)
    freqs = heart.frame_freqs()
    for k, (lo, hi) in enumerate(heart.SEG_BANDS):  # a stethoscope: another gain in every band
        band_gain[(freqs >= lo) & (freqs < hi)] = 10.0 ** (k - 2)
    g = heart.segment_features(p * band_gain, env, states)
    contrast = np.char.find(names, "_minus_") >= 0
    contrast &= ~np.char.startswith(names, "hsmm_mfcc") & ~np.char.startswith(names, "hsmm_centroid")
    assert np.allclose(f[contrast], g[contrast], atol=1e-3)
    assert not np.allclose(f[names == "hsmm_sys_flatness"], g[names == "hsmm_sys_flatness"])


def test_robust_selection_stays_inside_the_training_sites():
    rng = np.random.default_rng(0)
    n = len(heart.FEATURE_NAMES)
    sites = np.repeat(["a", "b", "c"], 60)
    y = np.tile(np.repeat([0, 1], 30), 3)
    x = rng.normal(size=(len(y), n))
    j = heart.FEATURE_NAMES.index("hsmm_systole_minus_diastole_80-150Hz")
    x[:, j] += 1.5 * y  # a murmur-like contrast, the same at every site
    g, c, rule, scores = heart_model.robust_selection(x, y, sites)
    assert g in heart_model.robust_groups() and c in heart_model.ROBUST_C and rule in heart_model.THRESHOLD_RULES
    assert len(scores) == 4 * len(heart_model.ROBUST_C) * len(heart_model.THRESHOLD_RULES)
    assert g != "window" and scores[(g, c, rule)] == max(scores.values())
    model = heart_model.fit_site_robust(x, y, sites)
    w = model.get_layer("prob").get_weights()[0][:, 0]
    assert abs(w[j]) == np.abs(w).max()
    assert heart_model.robust_selection(x[:120], y[:120], sites[:120])[:3] == ("hsmm", 0.01, "worst")  # 2 sites
    with pytest.raises(ValueError, match="group must be"):
        heart_model.fit_site_robust(x, y, sites, c=0.01, group="everything")


def test_state_mfcc_block_and_robust_groups_leave_it_out():
    env = np.zeros((500, 3), np.float32)
    states = np.tile(np.repeat([0, 1, 2, 3], [6, 14, 5, 25]), 10)
    env[:, 0] = np.isin(states, (0, 2)) * 2.0 - 1.0
    p = np.full((len(states), heart.N_FFT // 2 + 1), 1e-3, np.float32)
    p[states == 1, 10:20] = 1.0  # a "murmur": systole louder than diastole in 150-300 Hz
    f = heart.segment_features(p, env, states)
    names = np.array(heart.HSMM_FEATURE_NAMES)
    assert len(heart.STATE_MFCC_NAMES) == 2 * 4 * heart.N_MFCC and np.isfinite(f).all()
    assert f[names == "state_mfcc0_systole_mean"][0] > f[names == "state_mfcc0_diastole_mean"][0]
    assert f[names == "state_mfcc0_diastole_sd"][0] == pytest.approx(0.0, abs=1e-4)  # a constant state
    groups = heart_model.robust_groups()
    in_groups = np.unique(np.concatenate(list(groups.values())))
    state_cols = np.flatnonzero(np.isin(heart.FEATURE_NAMES, heart.STATE_MFCC_NAMES))
    assert len(state_cols) == len(heart.STATE_MFCC_NAMES) and not np.isin(state_cols, in_groups).any()
    assert len(groups["all"]) == len(heart.FEATURE_NAMES) - len(state_cols)


def test_cross_site_threshold_guards_the_worst_site():
    # site "a" (large, mostly abnormal) scores higher than the others: the mean rule follows its threshold,
    # the worst-site rule does not sacrifice the small sites
    rng = np.random.default_rng(0)
    n = len(heart.FEATURE_NAMES)
    j = heart.FEATURE_NAMES.index("hsmm_systole_minus_diastole_80-150Hz")
    sites = np.repeat(["a", "b", "c"], [300, 60, 60])
    y = np.concatenate([rng.random(300) < 0.8, np.tile([0, 1], 60)]).astype(int)
    x = rng.normal(size=(len(y), n))
    x[:, j] += 2.0 * y + np.where(sites == "a", 1.5, 0.0)  # site a's device adds to the contrast
    t_worst = heart_model.cross_site_threshold(x, y, sites, cols=[j])
    t_mean = heart_model.cross_site_threshold(x, y, sites, cols=[j], rule="mean")
    assert 0.05 <= t_worst <= 0.95 and 0.05 <= t_mean <= 0.95
    prob = {}
    for s in "abc":
        m = sites == s
        prob[s] = heart_model._linear_prob(heart_model._fit_linear(x[~m], y[~m], sites[~m], 0.01, [j]), x[m])

    def worst(t):
        return min(heart_model._balanced(y[sites == s], prob[s] >= t) for s in "abc")

    assert worst(t_worst) >= worst(t_mean) and worst(t_worst) == max(worst(t) for t in np.arange(0.05, 0.951, 0.01))
    with pytest.raises(ValueError, match="rule must be one of"):
        heart_model.cross_site_threshold(x, y, sites, cols=[j], rule="median")


def test_sequences_are_stacked_in_order():
    parts = [np.full((k, 2, 3), k, np.float32) for k in (1, 3, 2)]
    owners = [(p,) for p in parts]
    expected = np.concatenate(parts)
    got = heart._stack_freeing(list(parts), owners)
    assert np.array_equal(got, expected) and owners == [None, None, None]
