"""Brain MRI for notebook 10: real anatomy (MNI152), simulated acute strokes, your own NIfTI folder.

No openly redistributable, labelled stroke MRI set can be fetched by the course, so notebook 10 uses
**real brain anatomy** (the MNI152 2009a template and its grey/white-matter maps, shipped inside nilearn's
wheel) and **simulated** ischaemic lesions. The simulation follows the physics of diffusion-weighted
imaging: every voxel has a baseline signal ``S0`` (T2-weighted) and an apparent diffusion coefficient
(ADC); the DWI signal at diffusion weighting ``b`` is ``S0 * exp(-b * ADC)``. An acute infarct restricts
water diffusion (cytotoxic oedema), its ADC drops, so it is *bright* on DWI. Lesions are blobs in the
vascular territories of the middle, anterior and posterior cerebral arteries and small deep (lacunar)
infarcts, of varied size, position and contrast, with a smooth bias field and Rician noise.

Arrays are in the template's voxel order ``(x, y, z)`` (RAS: x to the subject's right, y anterior, z up).
:func:`axial_image` turns one axial slice into a display image (anterior at the top, the subject's left on
the image's left: the neurological convention). No TensorFlow here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ADC",
    "Brain",
    "S0",
    "TERRITORIES",
    "axial_image",
    "dwi_signal",
    "load_brain",
    "load_nifti_folder",
    "make_stroke_slices",
    "model_slices",
    "simulate_dwi",
    "simulate_lesion",
]

# Apparent diffusion coefficients (10^-3 mm^2/s) of normal tissue at 1.5-3 T, rounded textbook values.
ADC = {"gm": 0.80, "wm": 0.70, "csf": 3.00}
# Relative T2-weighted (b = 0) signal: CSF brightest, grey matter above white matter.
S0 = {"gm": 0.80, "wm": 0.65, "csf": 1.00}

# Vascular territories, as ellipsoids in MNI millimetres for the LEFT hemisphere (x < 0; mirrored for the
# right): centre, largest semi-axes (x, y, z) and how often a simulated stroke falls there. Coarse
# approximations of published territory atlases (Tatu et al. 1998), enough to place plausible lesions.
TERRITORIES: dict[str, dict[str, Any]] = {
    "MCA": {"centre": (-42.0, -10.0, 15.0), "radii": (16.0, 28.0, 22.0), "p": 0.55},
    "ACA": {"centre": (-8.0, 15.0, 45.0), "radii": (8.0, 26.0, 18.0), "p": 0.10},
    "PCA": {"centre": (-22.0, -75.0, 5.0), "radii": (14.0, 18.0, 14.0), "p": 0.15},
    "lacunar": {"centre": (-22.0, 0.0, 5.0), "radii": (7.0, 7.0, 8.0), "p": 0.20},
}

# Axial slices (2 mm voxel index z) covering the cerebral hemispheres, and the in-plane crop of the 2 mm
# grid (98 x 116) to a size that halves twice: x 1..96, y 2..113.
DEFAULT_Z = tuple(range(26, 72, 2))
_CROP_X, _CROP_Y = slice(1, 97), slice(2, 114)


@dataclass
class Brain:
    """Tissue maps of the MNI152 template on one grid: T1, grey/white matter, CSF, brain mask (float32)."""

    t1: np.ndarray
    gm: np.ndarray
    wm: np.ndarray
    csf: np.ndarray
    mask: np.ndarray
    affine: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.t1.shape  # type: ignore[return-value]

    def voxel_to_mm(self, ijk: Any) -> np.ndarray:
        """MNI millimetre coordinates of voxel indices ``(..., 3)`` via the affine."""
        ijk = np.asarray(ijk, dtype=np.float64)
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]


def _nilearn_data_file(name: str) -> Path:
    """A file bundled in nilearn's wheel, verified against its MD5 in the dataset registry (entry mni152)."""
    from medtutor import data

    return data._package_file("mni152", name)


def _block_mean(vol: np.ndarray, factor: int) -> np.ndarray:
    """Average non-overlapping ``factor``^3 blocks (dropping a ragged edge): a clean downsampling."""
    if factor == 1:
        return vol.astype(np.float32)
    sx, sy, sz = (s // factor for s in vol.shape)
    v = vol[: sx * factor, : sy * factor, : sz * factor].astype(np.float32)
    return v.reshape(sx, factor, sy, factor, sz, factor).mean(axis=(1, 3, 5))


def load_brain(resolution_mm: int = 2) -> Brain:
    """The MNI152 template's T1 and tissue maps at ``resolution_mm`` (1, 2 or 4 mm), values in [0, 1].

    The T1 comes from :func:`medtutor.data.load_mni152` (checksum-verified); the grey- and white-matter
    probability maps are the matching files in nilearn's wheel. CSF = brain mask - GM - WM (clipped), the
    brain mask is where the skull-stripped T1 is non-zero. Downsampling averages 2x2x2 blocks.
    """
    import nibabel as nib

    from medtutor import data

    if resolution_mm not in (1, 2, 4):
        raise ValueError(f"resolution_mm must be 1, 2 or 4, got {resolution_mm!r}.")
    t1_img = data.load_mni152()
    maps = {"t1": np.asanyarray(t1_img.dataobj)}
    for key in ("gm", "wm"):
        maps[key] = np.asanyarray(
            nib.load(_nilearn_data_file(f"mni_icbm152_{key}_tal_nlin_sym_09a_converted.nii.gz")).dataobj
        )
    scaled = {k: v.astype(np.float32) / 255.0 for k, v in maps.items()}
    scaled["mask"] = (maps["t1"] > 0).astype(np.float32)
    out = {k: _block_mean(v, resolution_mm) for k, v in scaled.items()}
    out["csf"] = np.clip(out["mask"] - out["gm"] - out["wm"], 0, 1)
    affine = t1_img.affine.copy()
    affine[:3, :3] *= resolution_mm
    affine[:3, 3] += (resolution_mm - 1) / 2.0  # the centre of a block of 1 mm voxels
    return Brain(out["t1"], out["gm"], out["wm"], out["csf"], out["mask"], affine)


def dwi_signal(s0: Any, adc: Any, b: float = 1000.0) -> np.ndarray:
    """Diffusion-weighted signal ``S0 * exp(-b * ADC)``; ``b`` in s/mm^2, ``ADC`` in 10^-3 mm^2/s."""
    s0, adc = np.asarray(s0, dtype=np.float32), np.asarray(adc, dtype=np.float32)
    if b < 0:
        raise ValueError(f"b must be >= 0 s/mm^2 (1000 is the clinical DWI value), got {b!r}.")
    if np.any(adc < 0) or not np.all(np.isfinite(adc)):
        raise ValueError("adc must be finite and >= 0 (units of 10^-3 mm^2/s, e.g. 0.8 for grey matter).")
    return (s0 * np.exp(-b * 1e-3 * adc)).astype(np.float32)


def _check_brain(brain: Any) -> Brain:
    if not isinstance(brain, Brain):
        raise TypeError(f"brain must be a medtutor.mri.Brain from load_brain(), got {type(brain).__name__}.")
    return brain


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator or a non-negative int seed, got {rng!r}.")


def simulate_lesion(
    brain: Brain,
    rng: Any,
    territory: str | None = None,
    side: str | None = None,
    size: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """A soft lesion map in [0, 1] (float32, the brain's shape) and a dict describing it.

    The lesion is an ellipsoid inside one vascular ``territory`` (random by the TERRITORIES
    frequencies when None) of one hemisphere (``side`` "left"/"right", random when None), scaled by
    ``size`` in (0, 1] (random in [0.3, 1] when None), with a lobulated, irregular border (random
    low-frequency ripples of the radius) and a soft edge; it is confined to grey and white matter of that
    hemisphere, since infarcts are parenchymal and arterial territories do not cross the midline.
    """
    brain = _check_brain(brain)
    rng = _rng(rng)
    names = list(TERRITORIES)
    if territory is None:
        p = np.array([TERRITORIES[n]["p"] for n in names])
        territory = names[int(rng.choice(len(names), p=p / p.sum()))]
    if territory not in TERRITORIES:
        raise ValueError(f"unknown territory {territory!r}; choose one of {names}.")
    if side is None:
        side = "left" if rng.random() < 0.5 else "right"
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}.")
    if size is None:
        size = float(rng.uniform(0.3, 1.0))
    if not 0 < size <= 1:
        raise ValueError(f"size must be in (0, 1], got {size!r}.")
    spec = TERRITORIES[territory]
    mirror = 1.0 if side == "left" else -1.0  # TERRITORIES are given for the left hemisphere (x < 0)
    centre = np.array(spec["centre"]) * np.array([mirror, 1, 1]) + rng.normal(0, 4.0, 3)
    radii = np.array(spec["radii"]) * size * rng.uniform(0.7, 1.0, 3)
    radii = np.maximum(radii, 4.0)
    # ripples of the border: a few random plane waves over the direction from the centre
    waves = rng.normal(0, 2.0, (4, 3))
    phases = rng.uniform(0, 2 * np.pi, 4)
    amps = rng.uniform(0.05, 0.2, 4)

    # work inside the lesion's bounding box only (fast)
    vox = np.abs(np.diag(brain.affine)[:3])
    inv = np.linalg.inv(brain.affine)
    c_vox = inv[:3, :3] @ centre + inv[:3, 3]
    half = np.ceil(radii * 1.5 / vox).astype(int) + 1
    lo = np.maximum(np.floor(c_vox).astype(int) - half, 0)
    hi = np.minimum(np.floor(c_vox).astype(int) + half + 1, brain.shape)
    lesion = np.zeros(brain.shape, dtype=np.float32)
    if np.any(hi <= lo):
        return lesion, {
            "territory": territory,
            "side": side,
            "size": size,
            "centre_mm": centre.tolist(),
            "volume_ml": 0.0,
        }
    grid = np.stack(np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij"), axis=-1)
    mm = brain.voxel_to_mm(grid) - centre
    r = np.sqrt(np.sum((mm / radii) ** 2, axis=-1)) + 1e-6
    unit = mm / (np.linalg.norm(mm, axis=-1, keepdims=True) + 1e-6)
    ripple = 1.0 + np.sum(amps * np.cos(unit @ waves.T + phases), axis=-1)
    soft = 1.0 / (1.0 + np.exp((r - ripple) / 0.08))
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    tissue = np.clip(brain.gm[box] + brain.wm[box], 0, 1)
    x_mm = brain.voxel_to_mm(grid)[..., 0]
    same_side = (x_mm * mirror) < -1.0
    lesion[box] = (soft * tissue * same_side).astype(np.float32)
    volume_ml = float(lesion.sum() * np.prod(vox) / 1000.0)
    info = {"territory": territory, "side": side, "size": size, "centre_mm": centre.tolist(), "volume_ml": volume_ml}
    return lesion, info


def _bias_field(shape: tuple[int, ...], rng: np.random.Generator, strength: float) -> np.ndarray:
    """A smooth multiplicative field exp(linear + quadratic terms), about +-``strength`` over the volume."""
    axes = [np.linspace(-1, 1, s, dtype=np.float32) for s in shape]
    grids = np.meshgrid(*axes, indexing="ij")
    log_field = sum(rng.normal(0, strength) * g + rng.normal(0, strength / 2) * g**2 for g in grids)
    return np.exp(log_field).astype(np.float32)


def simulate_dwi(
    brain: Brain,
    lesion: Any | None,
    rng: Any,
    adc_drop: float = 0.5,
    b: float = 1000.0,
    noise: float = 0.03,
    bias: float = 0.1,
) -> dict[str, np.ndarray]:
    """A simulated acute-stroke scan: ``{"dwi", "adc", "s0"}`` float32 volumes on the brain's grid.

    ADC and S0 are mixtures of the tissue values (``ADC``, ``S0``) weighted by the tissue maps; inside the
    lesion the ADC falls to ``adc_drop`` times normal (0.5 = a 50 % drop, typical of acute infarcts) and
    S0 rises slightly (5 %, early oedema). DWI = S0 exp(-b ADC), times a smooth bias field of relative
    strength ``bias``, with Rician noise of standard deviation ``noise`` (magnitude images are Rician).
    """
    brain = _check_brain(brain)
    rng = _rng(rng)
    if not 0 < adc_drop <= 1:
        raise ValueError(f"adc_drop must be in (0, 1] (fraction of normal ADC left), got {adc_drop!r}.")
    if noise < 0 or bias < 0:
        raise ValueError("noise and bias must be >= 0.")
    les = np.zeros(brain.shape, np.float32) if lesion is None else np.asarray(lesion, dtype=np.float32)
    if les.shape != brain.shape:
        raise ValueError(f"lesion has shape {les.shape}, the brain {brain.shape}: simulate it with this brain.")
    adc = ADC["gm"] * brain.gm + ADC["wm"] * brain.wm + ADC["csf"] * brain.csf
    s0 = S0["gm"] * brain.gm + S0["wm"] * brain.wm + S0["csf"] * brain.csf
    adc = adc * (1.0 - les * (1.0 - adc_drop))
    s0 = s0 * (1.0 + 0.05 * les)
    dwi = dwi_signal(s0, adc, b) * _bias_field(brain.shape, rng, bias)
    n1 = rng.normal(0, noise, brain.shape).astype(np.float32)
    n2 = rng.normal(0, noise, brain.shape).astype(np.float32)
    dwi = np.sqrt((dwi + n1) ** 2 + n2**2)  # Rician magnitude
    return {"dwi": dwi.astype(np.float32), "adc": adc.astype(np.float32), "s0": s0.astype(np.float32)}


def axial_image(volume: Any, z: int) -> np.ndarray:
    """Axial slice ``z`` of an (x, y, z) volume as a display image: rows anterior -> posterior, columns
    the subject's left -> right (neurological convention)."""
    vol = np.asarray(volume)
    if vol.ndim != 3:
        raise ValueError(f"volume must be 3D (x, y, z), got shape {vol.shape}.")
    if not 0 <= z < vol.shape[2]:
        raise IndexError(f"z = {z} is outside 0..{vol.shape[2] - 1}.")
    return vol[:, :, z].T[::-1]


def model_slices(volume: Any, z_indices: Any = DEFAULT_Z, downsample: int = 2, normalise: bool = True) -> np.ndarray:
    """Axial slices of a 2 mm MNI-space volume as model input ``(len(z), 112/d, 96/d)`` float32.

    Crops the 98 x 116 grid to 96 x 112, averages ``downsample`` x ``downsample`` blocks (2 -> 4 mm pixels)
    and, when ``normalise``, divides by the volume's 99th percentile inside the brain so that scans from
    different scanners share one intensity scale. Your own scans must first be registered to MNI space at
    2 mm (e.g. ``nilearn.image.resample_to_img(img, medtutor.mri.mni_2mm_reference())``).
    """
    vol = np.asarray(volume, dtype=np.float32)
    if vol.shape != (98, 116, 94):
        raise ValueError(
            f"expected a 2 mm MNI-space volume of shape (98, 116, 94), got {vol.shape}: register/resample your "
            "scan to the template first (nilearn.image.resample_to_img), or use load_brain(2)'s grid."
        )
    if not np.all(np.isfinite(vol)):
        raise ValueError("volume contains NaN or inf: clean it first (np.nan_to_num).")
    if downsample not in (1, 2, 4):
        raise ValueError(f"downsample must be 1, 2 or 4, got {downsample!r}.")
    z = np.asarray(z_indices, dtype=int)
    if z.ndim != 1 or z.size == 0 or z.min() < 0 or z.max() >= vol.shape[2]:
        raise IndexError(f"z_indices must be a non-empty list of slice numbers in 0..{vol.shape[2] - 1}.")
    if normalise:
        inside = vol[vol > 0.05 * vol.max()] if vol.max() > 0 else vol.ravel()
        scale = float(np.percentile(inside, 99)) if inside.size else 1.0
        vol = vol / (scale if scale > 0 else 1.0)
    crop = vol[_CROP_X, _CROP_Y, :][:, :, z]  # (96, 112, n)
    imgs = np.stack([crop[:, :, i].T[::-1] for i in range(len(z))])  # (n, 112, 96)
    if downsample > 1:
        n, h, w = imgs.shape
        imgs = imgs.reshape(n, h // downsample, downsample, w // downsample, downsample).mean(axis=(2, 4))
    return imgs.astype(np.float32)


def make_stroke_slices(
    n_subjects: int,
    seed: int = 0,
    p_stroke: float = 0.6,
    z_indices: Any = DEFAULT_Z,
    downsample: int = 2,
    brain: Brain | None = None,
) -> dict[str, Any]:
    """Simulated DWI scans of ``n_subjects``, cut into axial model slices with lesion masks and labels.

    Each subject has a stroke with probability ``p_stroke`` (random territory, side, size and ADC drop in
    [0.45, 0.8]), a random bias field and noise level. Returns ``x`` (N, H, W) float32 images, ``mask``
    (N, H, W) uint8 (lesion fraction >= 0.5 after downsampling), ``y`` (N,) int64 (1 when the slice holds
    at least one lesion pixel), ``subject`` and ``z`` (N,) int64, and ``lesions``, one info dict per subject
    (None when healthy). Split by ``subject``, never by slice: slices of one brain are not independent.
    """
    if not isinstance(n_subjects, (int, np.integer)) or n_subjects < 1:
        raise ValueError(f"n_subjects must be a positive integer, got {n_subjects!r}.")
    if not 0 <= p_stroke <= 1:
        raise ValueError(f"p_stroke must be a probability in [0, 1], got {p_stroke!r}.")
    brain = load_brain(2) if brain is None else _check_brain(brain)
    if brain.shape != (98, 116, 94):
        raise ValueError("make_stroke_slices needs the 2 mm brain: load_brain(2).")
    rng = np.random.default_rng(seed)
    xs, masks, ys, subjects, zs, infos = [], [], [], [], [], []
    z = np.asarray(z_indices, dtype=int)
    for s in range(n_subjects):
        lesion, info = (None, None)
        adc_drop = 1.0
        if rng.random() < p_stroke:
            lesion, info = simulate_lesion(brain, rng)
            adc_drop = float(rng.uniform(0.45, 0.8))
            info["adc_drop"] = adc_drop
        scan = simulate_dwi(brain, lesion, rng, adc_drop=adc_drop, noise=float(rng.uniform(0.02, 0.05)))
        xs.append(model_slices(scan["dwi"], z, downsample))
        if lesion is None:
            m = np.zeros_like(xs[-1], dtype=np.uint8)
        else:
            m = (model_slices(lesion, z, downsample, normalise=False) >= 0.5).astype(np.uint8)
        masks.append(m)
        ys.append((m.reshape(len(z), -1).sum(axis=1) > 0).astype(np.int64))
        subjects.append(np.full(len(z), s, dtype=np.int64))
        zs.append(z.astype(np.int64))
        infos.append(info)
    return {
        "x": np.concatenate(xs),
        "mask": np.concatenate(masks),
        "y": np.concatenate(ys),
        "subject": np.concatenate(subjects),
        "z": np.concatenate(zs),
        "lesions": infos,
    }


def mni_2mm_reference() -> Any:
    """A nibabel image on the 2 mm grid of :func:`load_brain` (the T1), to resample your own scans onto."""
    import nibabel as nib

    brain = load_brain(2)
    return nib.Nifti1Image(brain.t1, brain.affine)


# --------------------------------------------------------------------------- your own NIfTI folder


def _read_nifti(path: Path, what: str) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    import nibabel as nib

    try:
        img = nib.load(str(path))
    except Exception as err:  # nibabel raises several types for non-NIfTI files
        raise ValueError(f"{path} ({what}) is not a readable NIfTI file (.nii or .nii.gz): {err}") from err
    arr = np.asanyarray(img.dataobj).astype(np.float32)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim != 3:
        raise ValueError(f"{path} ({what}) has shape {arr.shape}: expected one 3D volume (x, y, z).")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{path} ({what}) contains NaN or inf voxels: clean it (np.nan_to_num) and save it again.")
    return arr, img.affine, tuple(float(z) for z in img.header.get_zooms()[:3])


def load_nifti_folder(folder: str | Path, labels_csv: str | Path | None = None) -> Any:
    """Load your own labelled NIfTI scans: a :class:`medtutor.data.Dataset` with a single split ``all``.

    ``labels_csv`` (default ``folder/labels.csv``) has a header row and one row per scan::

        file,label,mask
        sub-01_dwi.nii.gz,1,sub-01_lesion.nii.gz
        sub-02_dwi.nii.gz,0,

    ``file`` is relative to ``folder``, ``label`` is 1 (lesion) or 0 (no lesion), the optional ``mask`` is
    a lesion mask NIfTI of the same shape. ``ds.x_all`` is a list of float32 (x, y, z) volumes, ``ds.y_all``
    the labels; ``ds.meta`` holds ``files``, ``affines``, ``zooms`` and ``masks`` (arrays or None).
    """
    from medtutor.data import Dataset

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: pass the folder that holds your .nii/.nii.gz scans.")
    csv_path = Path(labels_csv) if labels_csv is not None else folder / "labels.csv"
    if not csv_path.is_file():
        raise FileNotFoundError(
            f"labels CSV {csv_path} not found: create it with a header 'file,label' (optional ',mask') and one "
            "row per scan, label 1 = lesion, 0 = none."
        )
    import io

    from medtutor._validate import read_text_file

    with io.StringIO(read_text_file(csv_path, "labels CSV"), newline="") as fh:  # a UTF-8 BOM is fine
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        if "file" not in columns or "label" not in columns:
            raise ValueError(
                f"{csv_path} must start with a header row 'file,label' (optional ',mask'); found {columns}."
            )
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    rows = [r for r in rows if r.get("file")]
    if not rows:
        raise ValueError(f"{csv_path} lists no scans: add one row 'file,label' per scan.")
    volumes, labels, files, affines, zooms, masks = [], [], [], [], [], []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        name = row["file"]
        if name in seen:
            raise ValueError(f"{csv_path} line {line}: {name} is listed twice; each scan once.")
        seen.add(name)
        if row["label"] not in ("0", "1"):
            raise ValueError(f"{csv_path} line {line}: label {row['label']!r} for {name}; use 1 (lesion) or 0 (none).")
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"{csv_path} line {line} names {name}, but {path} does not exist: fix the name.")
        vol, affine, zoom = _read_nifti(path, "scan")
        mask = None
        if row.get("mask"):
            mpath = folder / row["mask"]
            if not mpath.is_file():
                raise FileNotFoundError(f"{csv_path} line {line}: mask {row['mask']} not found in {folder}.")
            mask, _, _ = _read_nifti(mpath, "mask")
            if mask.shape != vol.shape:
                raise ValueError(
                    f"{csv_path} line {line}: mask shape {mask.shape} differs from scan shape {vol.shape}."
                )
            mask = (mask > 0.5).astype(np.uint8)
            if row["label"] == "0" and mask.any():
                raise ValueError(f"{csv_path} line {line}: label 0 (no lesion) but the mask of {name} is not empty.")
            if row["label"] == "1" and not mask.any():
                raise ValueError(
                    f"{csv_path} line {line}: label 1 (lesion) but the mask of {name} is empty: "
                    "fix the label, or give the mask that outlines the lesion."
                )
        volumes.append(vol)
        labels.append(int(row["label"]))
        files.append(name)
        affines.append(affine)
        zooms.append(zoom)
        masks.append(mask)
    y = np.asarray(labels, dtype=np.int64)
    info = {"title": f"NIfTI folder {folder}", "format": "nifti-folder", "labels_csv": str(csv_path)}
    meta = {"files": files, "affines": affines, "zooms": zooms, "masks": masks, "folder": str(folder)}
    return Dataset(folder.name, "real", ["no lesion", "lesion"], {"all": (volumes, y)}, info, meta)
