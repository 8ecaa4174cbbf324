"""Brain MRI for notebook 12: real anatomy (MNI152), simulated acute strokes, your own NIfTI folder.

No openly redistributable, labelled stroke MRI set can be fetched by the course, so notebook 12 uses
**real brain anatomy** (the MNI152 2009a template and its grey/white-matter maps, shipped inside nilearn's
wheel) and **simulated** ischaemic lesions. The simulation follows the physics of diffusion-weighted
imaging: every voxel has a baseline signal ``S0`` (T2-weighted) and an apparent diffusion coefficient
(ADC); the DWI signal at diffusion weighting ``b`` is ``S0 * exp(-b * ADC)``. An acute infarct restricts
water diffusion (cytotoxic oedema), its ADC drops, so it is *bright* on DWI. Lesions are blobs in the
vascular territories of the middle, anterior and posterior cerebral arteries and small deep (lacunar)
infarcts, of varied size, position and contrast, with a smooth bias field and Rician noise.

Arrays are in the template's voxel order ``(x, y, z)`` (RAS: x to the subject's right, y anterior, z up).
:func:`axial_image` turns one axial slice into a display image (anterior at the top, the subject's left on
the image's left: the neurological convention). Real scans in an ISLES'22/BIDS folder are read, checked and registered
to MNI152 (SimpleITK) by
:func:`load_stroke_case` and :func:`register_to_mni`. TensorFlow is imported only inside the functions
that build or train a model (for ``medtutor stroke``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "ADC",
    "LESION_ADC_DROP",
    "LESION_S0_RISE",
    "LESION_Z",
    "Brain",
    "MNIRegistration",
    "S0",
    "StrokeCase",
    "TERRITORIES",
    "axial_image",
    "dice_score",
    "dwi_signal",
    "load_brain",
    "load_nifti_folder",
    "load_stroke_case",
    "make_stroke_slices",
    "model_slices",
    "predict_lesion_volume",
    "register_to_mni",
    "simulate_dwi",
    "simulate_lesion",
    "slices_to_volume",
    "stroke_subjects",
    "stroke_unet",
    "train_stroke_unet",
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

# Ranges the simulated cohort draws each lesion's contrast from: ADC falls to LESION_ADC_DROP of normal,
# S0 (T2-weighted signal) rises by LESION_S0_RISE. Notebook 12 checks that a real ISLES'22 lesion's ADC and
# DWI contrast fall inside what these ranges produce (the S0 rise reaches 0.35 because real DWI lesions are
# brighter than diffusion alone explains: T2 shine-through of oedema).
LESION_ADC_DROP = (0.45, 0.8)
LESION_S0_RISE = (0.05, 0.35)
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
    rng = _validate.as_rng(rng)
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
    """A smooth multiplicative field exp(linear + quadratic terms), about +-``strength`` over the volume.

    Each axis' term depends on that coordinate only, so it is computed on the axis and broadcast (no 3D meshgrid:
    the same numbers, drawn in the same order, with a fraction of the work for the notebook's 110 scans).
    """
    log_field = np.zeros((1,) * len(shape), np.float32)
    for axis, size in enumerate(shape):
        g = np.linspace(-1, 1, size, dtype=np.float32).reshape([-1 if k == axis else 1 for k in range(len(shape))])
        log_field = log_field + (rng.normal(0, strength) * g + rng.normal(0, strength / 2) * g**2)
    return np.exp(log_field).astype(np.float32)


def simulate_dwi(
    brain: Brain,
    lesion: Any | None,
    rng: Any,
    adc_drop: float = 0.5,
    b: float = 1000.0,
    noise: float = 0.03,
    bias: float = 0.1,
    s0_rise: float = 0.05,
) -> dict[str, np.ndarray]:
    """A simulated acute-stroke scan: ``{"dwi", "adc", "s0"}`` float32 volumes on the brain's grid.

    ADC and S0 are mixtures of the tissue values (``ADC``, ``S0``) weighted by the tissue maps; inside the
    lesion the ADC falls to ``adc_drop`` times normal (0.5 = a 50 % drop, typical of acute infarcts) and
    S0 rises by ``s0_rise`` (5 % by default, early oedema; more in older lesions: T2 shine-through). DWI = S0 exp(-b
    ADC), times a smooth bias field of relative
    strength ``bias``, with Rician noise of standard deviation ``noise`` (magnitude images are Rician).
    """
    brain = _check_brain(brain)
    rng = _validate.as_rng(rng)
    if not 0 < adc_drop <= 1:
        raise ValueError(f"adc_drop must be in (0, 1] (fraction of normal ADC left), got {adc_drop!r}.")
    if noise < 0 or bias < 0 or s0_rise < 0:
        raise ValueError("noise, bias and s0_rise must be >= 0.")
    les = np.zeros(brain.shape, np.float32) if lesion is None else np.asarray(lesion, dtype=np.float32)
    if les.shape != brain.shape:
        raise ValueError(f"lesion has shape {les.shape}, the brain {brain.shape}: simulate it with this brain.")
    adc = ADC["gm"] * brain.gm + ADC["wm"] * brain.wm + ADC["csf"] * brain.csf
    s0 = S0["gm"] * brain.gm + S0["wm"] * brain.wm + S0["csf"] * brain.csf
    adc = adc * (1.0 - les * (1.0 - adc_drop))
    s0 = s0 * (1.0 + s0_rise * les)
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

    Each subject has a stroke with probability ``p_stroke`` (random territory, side, size, ADC drop in
    LESION_ADC_DROP and S0 rise in LESION_S0_RISE), a random bias field and noise level. Returns ``x`` (N, H, W)
    float32 images, ``mask``
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
            adc_drop = float(rng.uniform(*LESION_ADC_DROP))
            s0_rise = float(rng.uniform(*LESION_S0_RISE))
            info["adc_drop"], info["s0_rise"] = adc_drop, s0_rise
        else:
            s0_rise = 0.0
        scan = simulate_dwi(
            brain, lesion, rng, adc_drop=adc_drop, noise=float(rng.uniform(0.02, 0.05)), s0_rise=s0_rise
        )
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


# --------------------------------------------------------------------------- a BIDS / ISLES'22 root (real scans)

# Slices (2 mm MNI index z) the lesion models are applied to: every slice of the training range, not only
# the every-other slice used to train (the models are 2D, so any slice of that range is in distribution).
LESION_Z = tuple(range(DEFAULT_Z[0], DEFAULT_Z[-1] + 2))


@dataclass
class StrokeCase:
    """One subject of a BIDS/ISLES'22 root: nibabel images of DWI and ADC (one grid), FLAIR and mask or None."""

    subject: str
    dwi: Any
    adc: Any
    flair: Any | None
    mask: Any | None
    files: dict[str, Path]

    def array(self, key: str) -> np.ndarray:
        """The float32 voxel array of ``"dwi"``, ``"adc"``, ``"flair"`` or ``"mask"``."""
        img = getattr(self, key)
        if img is None:
            raise ValueError(f"{self.subject} has no {key} image.")
        return np.asarray(img.dataobj, dtype=np.float32)

    @property
    def voxel_ml(self) -> float:
        """Volume of one DWI voxel in millilitres (|det| of the affine's 3x3 part, mm^3 / 1000)."""
        return float(abs(np.linalg.det(self.dwi.affine[:3, :3]))) / 1000.0


def _check_root(root: str | Path) -> Path:
    root = Path(root)
    if not (root / "rawdata").is_dir():
        raise FileNotFoundError(
            f"{root} has no rawdata/ folder: pass a BIDS/ISLES'22 root that holds "
            "rawdata/<sub>/ses-*/<sub>_ses-*_dwi.nii.gz (e.g. medtutor.data.dataset_dir('isles22'))."
        )
    return root


def stroke_subjects(root: str | Path) -> list[str]:
    """The subjects (``sub-*`` folders) under ``root/rawdata`` that hold at least one DWI file, sorted."""
    root = _check_root(root)
    subjects = sorted(
        p.name for p in (root / "rawdata").glob("sub-*") if p.is_dir() and any(p.glob("ses-*/*_dwi.nii*"))
    )
    if not subjects:
        raise FileNotFoundError(
            f"no subjects in {root / 'rawdata'}: expected rawdata/sub-XXX/ses-YYY/sub-XXX_ses-YYY_dwi.nii.gz."
        )
    return subjects


def _one(paths: list[Path], what: str, subject: str, required: bool) -> Path | None:
    if not paths:
        if required:
            raise FileNotFoundError(
                f"{subject} has no {what} file (rawdata/{subject}/ses-*/{subject}_ses-*_{what}.nii.gz): "
                f"add it; the stroke model reads DWI and checks the lesion is dark on ADC."
            )
        return None
    return sorted(paths)[0]  # several sessions: the first, in sorted order


def _checked_image(path: Path, what: str) -> Any:
    """A nibabel image of a 3D volume, refusing non-NIfTI files, 2D images and NaN/inf voxels (one line each)."""
    import nibabel as nib

    if not path.name.endswith((".nii", ".nii.gz")):
        raise ValueError(f"{path} ({what}) is not NIfTI: convert it to .nii.gz (e.g. dcm2niix for DICOM).")
    arr, affine, _ = _read_nifti(path, what)
    if min(arr.shape) < 2:
        raise ValueError(f"{path} ({what}) is a 2D image, shape {arr.shape}: the model needs a 3D volume (x, y, z).")
    return nib.Nifti1Image(arr, affine)


def _same_grid(img: Any, ref: Any, what: str, path: Path) -> None:
    if img.shape != ref.shape or not np.allclose(img.affine, ref.affine, atol=1e-3):
        raise ValueError(
            f"{path} ({what}) is on another grid than the DWI (shape {img.shape} vs {ref.shape} or a different "
            "affine): resample it onto the DWI (nilearn.image.resample_to_img, nearest for a mask)."
        )


def load_stroke_case(root: str | Path, subject: str) -> StrokeCase:
    """Read one subject of a BIDS/ISLES'22 root, checked: DWI and ADC required, FLAIR and mask optional.

    Images: ``rawdata/<sub>/ses-*/<sub>_ses-*_{dwi,adc,flair}.nii.gz``; mask:
    ``derivatives/<sub>/ses-*/*_msk.nii.gz``. ADC and mask must share the DWI grid (FLAIR may not: it is
    resampled when needed). Every problem is a one-line error naming the fix.
    """
    root = _check_root(root)
    found = stroke_subjects(root)
    if subject not in found:
        raise KeyError(f"unknown subject {subject!r} in {root}: choose one of {', '.join(found)}.")
    raw = root / "rawdata" / subject
    paths: dict[str, Path] = {}
    for what, required in (("dwi", True), ("adc", True), ("flair", False)):
        hit = _one(list(raw.glob(f"ses-*/{subject}_ses-*_{what}.nii*")), what, subject, required)
        if hit is not None:
            paths[what] = hit
    msk = _one(list((root / "derivatives" / subject).glob("ses-*/*_msk.nii*")), "msk", subject, False)
    if msk is not None:
        paths["mask"] = msk
    images = {what: _checked_image(path, what) for what, path in paths.items()}
    for what in ("adc", "mask"):
        if what in images:
            _same_grid(images[what], images["dwi"], what, paths[what])
    if "mask" in images:
        m = np.asarray(images["mask"].dataobj)
        images["mask"] = type(images["mask"])((m > 0.5).astype(np.uint8), images["mask"].affine)
    return StrokeCase(subject, images["dwi"], images["adc"], images.get("flair"), images.get("mask"), paths)


# --------------------------------------------------------------------------- affine registration to MNI152


def _sitk_image(volume: Any, affine: np.ndarray) -> Any:
    """A SimpleITK image of an (x, y, z) array with a nibabel (RAS) affine; ITK's world is LPS."""
    import SimpleITK as sitk

    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ np.asarray(affine, dtype=np.float64)
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    img = sitk.GetImageFromArray(np.ascontiguousarray(np.asarray(volume, dtype=np.float32).transpose(2, 1, 0)))
    img.SetSpacing(spacing.tolist())
    img.SetDirection((lps[:3, :3] / spacing).ravel().tolist())
    img.SetOrigin(lps[:3, 3].tolist())
    return img


def _sitk_array(img: Any) -> np.ndarray:
    import SimpleITK as sitk

    return sitk.GetArrayFromImage(img).transpose(2, 1, 0).astype(np.float32)


@dataclass
class MNIRegistration:
    """An affine transform found by SimpleITK between a native scan and the 2 mm MNI152 grid of ``brain``.

    ``transform`` maps MNI points to native points (ITK's fixed-to-moving convention); ``brain_dice`` is the
    overlap of the registered native brain with the template's brain mask (a quick quality check).
    """

    transform: Any
    brain: Brain
    native_affine: np.ndarray
    native_shape: tuple[int, ...]
    brain_dice: float

    def to_mni(self, volume: Any, nearest: bool = False) -> np.ndarray:
        """Resample a native-grid volume onto the 2 mm MNI grid (linear, or nearest for labels)."""
        import SimpleITK as sitk

        interp = sitk.sitkNearestNeighbor if nearest else sitk.sitkLinear
        fixed = _sitk_image(np.zeros(self.brain.shape, np.float32), self.brain.affine)
        moving = _sitk_image(volume, self.native_affine)
        return _sitk_array(sitk.Resample(moving, fixed, self.transform, interp, 0.0))

    def to_native(self, volume: Any, nearest: bool = True) -> np.ndarray:
        """Bring an MNI-grid volume (e.g. a predicted mask) back onto the native grid (inverse transform)."""
        import SimpleITK as sitk

        interp = sitk.sitkNearestNeighbor if nearest else sitk.sitkLinear
        ref = _sitk_image(np.zeros(self.native_shape, np.float32), self.native_affine)
        mni = _sitk_image(volume, self.brain.affine)
        return _sitk_array(sitk.Resample(mni, ref, self.transform.GetInverse(), interp, 0.0))


def register_to_mni(image: Any, brain: Brain | None = None, seed: int = 0) -> MNIRegistration:
    """Affine registration of a skull-stripped native scan (nibabel image, e.g. DWI) to the 2 mm MNI152 T1.

    SimpleITK, Mattes mutual information (the two contrasts differ), a moments-based initial alignment, then
    an affine fitted coarse to fine (4x then 2x shrink: an affine has 12 numbers, full resolution adds time, not
    accuracy). One thread and a fixed sampling seed, so the result
    is the same on every run.
    """
    import SimpleITK as sitk

    brain = load_brain(2) if brain is None else _check_brain(brain)
    vol = np.asarray(image.dataobj, dtype=np.float32)
    if vol.ndim != 3 or not np.all(np.isfinite(vol)):
        raise ValueError("register_to_mni needs a finite 3D volume: check the file with load_stroke_case().")
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    fixed = _sitk_image(brain.t1 * brain.mask, brain.affine)
    moving = _sitk_image(np.clip(vol, 0, None), image.affine)
    init = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.AffineTransform(3), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.1, int(seed) + 1)  # ITK: seed 0 would mean "wall clock"
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(learningRate=1.0, minStep=1e-3, numberOfIterations=100)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2])
    reg.SetSmoothingSigmasPerLevel([2.0, 1.0])
    reg.SetInitialTransform(init, inPlace=False)
    found = reg.Execute(fixed, moving)
    if isinstance(found, sitk.CompositeTransform) and found.GetNumberOfTransforms() == 1:
        found = found.GetNthTransform(0)
    transform = sitk.AffineTransform(found)  # one plain affine: GetMatrix(), GetTranslation(), GetInverse()
    out = MNIRegistration(transform, brain, np.asarray(image.affine), tuple(vol.shape), 0.0)
    warped = out.to_mni((vol > 0).astype(np.float32)) >= 0.5
    template = brain.mask > 0.5
    out.brain_dice = float(2 * np.logical_and(warped, template).sum() / (warped.sum() + template.sum()))
    return out


# --------------------------------------------------------------------------- the 2D models on a whole volume


def slices_to_volume(images: Any, z_indices: Any, downsample: int = 2) -> np.ndarray:
    """Inverse of :func:`model_slices`: model-space slices ``(n, H, W)`` back onto the 2 mm MNI grid.

    Each pixel is repeated ``downsample`` x ``downsample`` times; slices not listed and the cropped border
    are 0.
    """
    imgs = np.asarray(images, dtype=np.float32)
    z = np.asarray(z_indices, dtype=int)
    if imgs.ndim != 3 or len(imgs) != len(z):
        raise ValueError(f"expected (len(z_indices), H, W) slices, got {imgs.shape} for {len(z)} z indices.")
    full = np.repeat(np.repeat(imgs, downsample, axis=1), downsample, axis=2)  # (n, 112, 96)
    if full.shape[1:] != (112, 96):
        raise ValueError(f"slices of shape {imgs.shape[1:]} do not match downsample={downsample} (112 x 96 crop).")
    vol = np.zeros((98, 116, 94), np.float32)
    for k, zi in enumerate(z):
        vol[_CROP_X, _CROP_Y, zi] = full[k][::-1].T
    return vol


def predict_lesion_volume(model: Any, dwi_mni: Any, z_indices: Any = LESION_Z, downsample: int = 2) -> np.ndarray:
    """Lesion probability on the 2 mm MNI grid from a 2D segmentation model applied slice by slice.

    ``model`` is a Keras model (or any object with ``predict(x, verbose=0)``) trained on :func:`model_slices`
    images; the volume is normalised exactly as in training.
    """
    x = model_slices(dwi_mni, z_indices, downsample)[..., None]
    prob = np.asarray(model.predict(x, verbose=0))[..., 0]
    return slices_to_volume(prob, z_indices, downsample)


def dice_score(pred: Any, true: Any) -> float:
    """Dice overlap of two binary masks of one shape; 1.0 when both are empty (nothing to find, none found)."""
    p, t = np.asarray(pred) > 0.5, np.asarray(true) > 0.5
    if p.shape != t.shape:
        raise ValueError(f"masks have different shapes {p.shape} and {t.shape}: put them on one grid first.")
    total = int(p.sum() + t.sum())
    return 1.0 if total == 0 else float(2.0 * np.logical_and(p, t).sum() / total)


# --------------------------------------------------------------------------- the U-Net of `medtutor stroke train`


def stroke_unet(input_shape: tuple[int, int, int] = (56, 48, 1), filters: int = 8, levels: int = 2) -> Any:
    """The 2D U-Net of notebook 12 (section 7.3) as a builder: ``levels`` poolings, ``filters`` doubling per level,
    two 3x3 conv + batch-norm + ReLU per block, skip connections, a sigmoid lesion probability per pixel."""
    import keras
    from keras import layers

    def block(h: Any, n: int) -> Any:
        for _ in range(2):
            h = layers.Conv2D(n, 3, padding="same", use_bias=False)(h)
            h = layers.Activation("relu")(layers.BatchNormalization()(h))
        return h

    inputs = keras.Input(input_shape)
    skips, h = [], inputs
    for level in range(levels):
        h = block(h, filters * 2**level)
        skips.append(h)
        h = layers.MaxPooling2D(2)(h)
    h = block(h, filters * 2**levels)
    for level in reversed(range(levels)):
        h = block(layers.Concatenate()([layers.UpSampling2D(2)(h), skips[level]]), filters * 2**level)
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="lesion_prob")(h)
    return keras.Model(inputs, outputs, name="stroke_unet")


def _soft_dice_loss(y_true: Any, y_pred: Any) -> Any:
    """1 - soft Dice per image (smoothing 1), averaged over the batch (notebook 12, section 7.2)."""
    import keras

    ops = keras.ops
    n = ops.shape(y_true)[0]
    g = ops.reshape(ops.cast(y_true, "float32"), (n, -1))
    p = ops.reshape(y_pred, (n, -1))
    ratio = (2 * ops.sum(g * p, axis=1) + 1.0) / (ops.sum(g, axis=1) + ops.sum(p, axis=1) + 1.0)
    return 1.0 - ops.mean(ratio)


def train_stroke_unet(
    n_subjects: int = 120, epochs: int = 15, seed: int = 42, learning_rate: float = 3e-3, brain: Brain | None = None
) -> tuple[Any, float]:
    """Train :func:`stroke_unet` on simulated strokes only; returns (model, best validation Dice on lesion slices).

    Subjects are split 85 % / 15 % (training / validation, by subject); the U-Net trains on every training
    slice with a lesion plus as many lesion-free ones, and keeps the weights of the epoch with the best mean
    validation Dice. Seeded (Keras, NumPy), CPU.
    """
    import keras

    if n_subjects < 4 or epochs < 1:
        raise ValueError("train_stroke_unet needs n_subjects >= 4 and epochs >= 1.")
    keras.utils.set_random_seed(seed)
    cohort = make_stroke_slices(n_subjects, seed=seed, brain=brain)
    rng = np.random.default_rng(seed)
    val_subjects = rng.permutation(n_subjects)[: max(1, int(0.15 * n_subjects))]
    is_val = np.isin(cohort["subject"], val_subjects)
    has = cohort["y"] == 1
    pos = np.flatnonzero(~is_val & has)
    neg = np.flatnonzero(~is_val & ~has)
    train_idx = rng.permutation(np.concatenate([pos, rng.choice(neg, size=min(len(pos), len(neg)), replace=False)]))
    val_idx = np.flatnonzero(is_val & has)
    x = cohort["x"][..., None]
    m = cohort["mask"][..., None].astype(np.float32)
    model = stroke_unet(x.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=_soft_dice_loss)
    best, best_weights = -1.0, model.get_weights()
    for _ in range(epochs):
        model.fit(x[train_idx], m[train_idx], batch_size=16, epochs=1, verbose=0, shuffle=True)
        if len(val_idx) == 0:
            best, best_weights = float("nan"), model.get_weights()
            continue
        pred = model.predict(x[val_idx], verbose=0)[..., 0] >= 0.5
        score = float(np.mean([dice_score(p, t) for p, t in zip(pred, cohort["mask"][val_idx])]))
        if score > best:
            best, best_weights = score, model.get_weights()
    model.set_weights(best_weights)
    return model, best
