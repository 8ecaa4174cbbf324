"""Hand-made image features for a classical baseline: intensity, edges, texture and shape.

Notebook 02 explains each feature on one image with scikit-image and checks these batch versions
against it; the functions here compute the same numbers for thousands of small images at once
(vectorised NumPy where scikit-image has no batch API), so that the baseline fits the time budget.

Every function takes raw ``uint8`` images of shape ``(N, H, W)`` (as ``medtutor.data.load`` returns
MedMNIST) and returns a float64 matrix with one row per image.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "GLCM_PROPS",
    "block_features",
    "canny_features",
    "check_images",
    "extract_features",
    "glcm",
    "glcm_features",
    "glcm_offsets",
    "hog_features",
    "intensity_features",
    "lbp_features",
    "quantize",
    "shape_features",
    "sobel_features",
    "sobel_magnitude",
]

#: GLCM properties computed by :func:`glcm_features`, in scikit-image's ``graycoprops`` definitions.
GLCM_PROPS: tuple[str, ...] = ("contrast", "dissimilarity", "homogeneity", "ASM", "energy", "correlation")


def check_images(x: np.ndarray, grid: int = 1) -> np.ndarray:
    """Validate a batch of raw images: uint8, shape (N, H, W), sides divisible by ``grid``.

    Why: every feature below assumes 0..255 grey levels (GLCM quantisation, Otsu) and one channel;
    scaled or channel-last input would silently give wrong features, so it is refused here.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"images must be a NumPy array, got {type(x).__name__}; e.g. ds.x_train from medtutor.data.load."
        )
    if x.ndim == 4 and x.shape[-1] == 1:
        raise ValueError(f"images have a channel axis {x.shape}; pass x[..., 0] (shape (N, H, W)).")
    if x.ndim == 2:
        raise ValueError(f"got one image of shape {x.shape}; pass a batch, e.g. x[None] (shape (1, H, W)).")
    if x.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {x.shape}.")
    if x.dtype != np.uint8:
        raise TypeError(
            f"images must be raw uint8 (0..255), got {x.dtype}; if you scaled them to [0, 1], "
            "pass np.round(x * 255).astype(np.uint8), or the unscaled arrays from medtutor.data.load."
        )
    if len(x) == 0:
        raise ValueError("images is an empty batch (N = 0).")
    if x.shape[1] % grid or x.shape[2] % grid:
        raise ValueError(f"image sides {x.shape[1:]} must be divisible by grid={grid}; crop or resize them first.")
    return x


def intensity_features(x: np.ndarray) -> np.ndarray:
    """Grey-level statistics per image: mean, std, 10/25/50/75/90th percentiles, skewness, kurtosis.

    Why: consolidation in pneumonia makes lung fields brighter (more X-ray attenuation).
    """
    flat = check_images(x).reshape(len(x), -1).astype(np.float64) / 255.0
    mean = flat.mean(axis=1)
    std = flat.std(axis=1)
    pct = np.percentile(flat, [10, 25, 50, 75, 90], axis=1).T
    z = (flat - mean[:, None]) / np.maximum(std[:, None], 1e-12)
    skew = (z**3).mean(axis=1)
    kurt = (z**4).mean(axis=1) - 3.0
    return np.column_stack([mean, std, pct, skew, kurt])


def block_features(x: np.ndarray, grid: int = 4) -> np.ndarray:
    """Mean and std of each cell of a ``grid`` x ``grid`` partition: where in the image it is bright.

    Returns ``2 * grid**2`` columns (all means, then all stds), rows then columns within each.
    """
    x = check_images(x, grid)
    n, h, w = x.shape
    blocks = (x.astype(np.float64) / 255.0).reshape(n, grid, h // grid, grid, w // grid)
    return np.column_stack([blocks.mean(axis=(2, 4)).reshape(n, -1), blocks.std(axis=(2, 4)).reshape(n, -1)])


def sobel_magnitude(x: np.ndarray) -> np.ndarray:
    """Sobel edge strength per pixel, identical to ``skimage.filters.sobel`` applied image by image.

    skimage's definition: kernels [1, 2, 1] x [1, 0, -1] / 4, magnitude sqrt((Gx^2 + Gy^2) / 2),
    borders reflected. Done along axes 1 and 2 only, so images in a batch never mix.
    """
    f = check_images(x).astype(np.float64) / 255.0
    smooth, diff = np.array([1.0, 2.0, 1.0]) / 4.0, np.array([1.0, 0.0, -1.0])
    gx = ndimage.correlate1d(ndimage.correlate1d(f, smooth, axis=1, mode="reflect"), diff, axis=2, mode="reflect")
    gy = ndimage.correlate1d(ndimage.correlate1d(f, diff, axis=1, mode="reflect"), smooth, axis=2, mode="reflect")
    return np.sqrt((gx**2 + gy**2) / 2.0)


def sobel_features(x: np.ndarray, grid: int = 4) -> np.ndarray:
    """Edge strength summary: mean and std of the Sobel magnitude, then its mean in each grid cell."""
    x = check_images(x, grid)
    mag = sobel_magnitude(x)
    n, h, w = mag.shape
    cells = mag.reshape(n, grid, h // grid, grid, w // grid).mean(axis=(2, 4)).reshape(n, -1)
    flat = mag.reshape(n, -1)
    return np.column_stack([flat.mean(axis=1), flat.std(axis=1), cells])


def quantize(x: np.ndarray, levels: int = 8) -> np.ndarray:
    """Reduce 256 grey levels to ``levels`` (a power of two <= 256) by integer division.

    Why: a GLCM over 256 levels has 65,536 cells, far more than a 28 x 28 image has pixel pairs.
    """
    if not isinstance(levels, (int, np.integer)) or levels < 2 or levels > 256 or 256 % levels:
        raise ValueError(f"levels must be a power of two between 2 and 256, got {levels!r} (e.g. 8).")
    return check_images(x) // (256 // levels)


def glcm_offsets(distance: int, angle: float) -> tuple[int, int]:
    """(row, col) step of a GLCM pixel pair, rounded exactly as ``skimage.feature.graycomatrix`` does.

    Angle 0 pairs a pixel with its right neighbour; note that at 45 degrees and distance 2 the step
    rounds to (1, 1), not (2, 2); with symmetric counting 45 degrees is the top-left/bottom-right diagonal.
    """
    if distance < 1:
        raise ValueError(f"distance must be a positive number of pixels, got {distance}.")
    return round(np.sin(angle) * distance), round(np.cos(angle) * distance)


def glcm(q: np.ndarray, levels: int, distance: int = 1, angle: float = 0.0) -> np.ndarray:
    """Symmetric, normalised grey-level co-occurrence matrices of quantised images, shape (N, L, L).

    P[n, i, j] = share of pixel pairs (p, p + offset) in image n with levels (i, j), counting each
    pair both ways; equals ``graycomatrix(img, [distance], [angle], levels, symmetric=True,
    normed=True)[:, :, 0, 0]`` image by image, but for the whole batch in one ``np.bincount``.
    """
    if not isinstance(q, np.ndarray) or q.ndim != 3:
        raise ValueError("q must be quantised images of shape (N, H, W); use medtutor.features.quantize(x, levels).")
    if not np.issubdtype(q.dtype, np.integer) or q.min() < 0 or q.max() >= levels:
        raise ValueError(f"q must hold integers in [0, {levels - 1}]; quantize the raw images first.")
    dr, dc = glcm_offsets(distance, angle)
    n, h, w = q.shape
    if abs(dr) >= h or abs(dc) >= w:
        raise ValueError(f"distance {distance} is too large for {h} x {w} images.")
    a = q[:, max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)].astype(np.int64)
    b = q[:, max(0, dr) : h - max(0, -dr), max(0, dc) : w - max(0, -dc)].astype(np.int64)
    index = (np.arange(n)[:, None, None] * levels * levels + a * levels + b).ravel()
    counts = np.bincount(index, minlength=n * levels * levels).reshape(n, levels, levels).astype(np.float64)
    counts += counts.transpose(0, 2, 1)
    return counts / np.maximum(counts.sum(axis=(1, 2), keepdims=True), 1.0)


def _glcm_props(p: np.ndarray) -> np.ndarray:
    """The ``GLCM_PROPS`` of a batch of normalised GLCMs (N, L, L), as ``graycoprops`` defines them."""
    levels = p.shape[1]
    i, j = np.ogrid[0:levels, 0:levels]
    contrast = (p * (i - j) ** 2).sum(axis=(1, 2))
    dissimilarity = (p * np.abs(i - j)).sum(axis=(1, 2))
    homogeneity = (p / (1.0 + (i - j) ** 2)).sum(axis=(1, 2))
    asm = (p**2).sum(axis=(1, 2))
    mu_i = (p * i).sum(axis=(1, 2))[:, None, None]
    mu_j = (p * j).sum(axis=(1, 2))[:, None, None]
    sd_i = np.sqrt((p * (i - mu_i) ** 2).sum(axis=(1, 2)))
    sd_j = np.sqrt((p * (j - mu_j) ** 2).sum(axis=(1, 2)))
    cov = (p * (i - mu_i) * (j - mu_j)).sum(axis=(1, 2))
    flat = (sd_i < 1e-15) | (sd_j < 1e-15)  # a uniform image: graycoprops defines correlation = 1
    corr = np.where(flat, 1.0, cov / np.where(flat, 1.0, sd_i * sd_j))
    return np.column_stack([contrast, dissimilarity, homogeneity, asm, np.sqrt(asm), corr])


def glcm_features(x: np.ndarray, levels: int = 8, distances: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Texture: the ``GLCM_PROPS`` per distance, each averaged over 0, 45, 90 and 135 degrees.

    Averaging over angles makes the texture measure roughly rotation invariant.
    """
    q = quantize(x, levels)
    angles = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
    out = [np.mean([_glcm_props(glcm(q, levels, d, a)) for a in angles], axis=0) for d in distances]
    return np.column_stack(out)


def hog_features(x: np.ndarray, cell: int = 7, orientations: int = 9) -> np.ndarray:
    """Histograms of oriented gradients (Dalal & Triggs 2005) with scikit-image, image by image.

    Why: HOG records which way edges run in each region (rib and diaphragm outlines, blurred by
    consolidation), normalised per block so overall brightness matters less.
    """
    from skimage.feature import hog

    x = check_images(x, cell)
    return np.stack(
        [
            hog(
                img,
                orientations=orientations,
                pixels_per_cell=(cell, cell),
                cells_per_block=(2, 2),
                feature_vector=True,
            )
            for img in x
        ]
    )


def lbp_features(x: np.ndarray, points: int = 8, radius: float = 1.0) -> np.ndarray:
    """Texture: histogram of uniform local binary patterns (Ojala et al. 2002), ``points + 2`` bins.

    Each pixel is coded by which of its neighbours are brighter; the histogram counts micro-patterns
    (flat, edge, corner, spot) independently of overall brightness.
    """
    from skimage.feature import local_binary_pattern

    x = check_images(x)
    bins = points + 2
    hist = [
        np.bincount(
            local_binary_pattern(img, points, radius, method="uniform").astype(np.int64).ravel(), minlength=bins
        )
        for img in x
    ]
    return np.asarray(hist, dtype=np.float64) / (x.shape[1] * x.shape[2])


def canny_features(x: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Edge density from the Canny detector: the whole image, then each of its four quadrants."""
    from skimage.feature import canny

    x = check_images(x, 2)
    n, h, w = x.shape
    edges = np.stack([canny(img / 255.0, sigma=sigma) for img in x]).astype(np.float64)
    quadrants = edges.reshape(n, 2, h // 2, 2, w // 2).mean(axis=(2, 4)).reshape(n, -1)
    return np.column_stack([edges.mean(axis=(1, 2)), quadrants])


def _largest_regions(mask: np.ndarray, k: int) -> np.ndarray:
    """Area share, centroid (row, col as image fractions) and eccentricity of the k largest regions.

    Same numbers as ``skimage.measure.regionprops`` (4-connectivity), computed from second moments.
    """
    labels, n = ndimage.label(mask)
    out = np.zeros((k, 4))
    if n == 0:
        return out
    h, w = mask.shape
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    for slot, region in enumerate(np.argsort(-areas, kind="stable")[:k]):
        rows, cols = np.nonzero(labels == region + 1)
        cov = np.cov(np.stack([rows, cols]).astype(np.float64), bias=True)
        big, small = np.sort(np.linalg.eigvalsh(cov))[::-1]
        ecc = np.sqrt(1.0 - small / big) if big > 0 else 0.0
        out[slot] = [areas[region] / mask.size, rows.mean() / h, cols.mean() / w, ecc]
    return out


def shape_features(x: np.ndarray, regions: int = 2) -> np.ndarray:
    """Shape of the dark (air-filled lung) regions found by Otsu's threshold, image by image.

    Columns: dark-area share, Otsu threshold / 255, then for the ``regions`` largest dark regions
    their area share, centroid row and column, and eccentricity (zeros when fewer regions exist).
    """
    from skimage.filters import threshold_otsu

    x = check_images(x)
    rows = []
    for img in x:
        t = threshold_otsu(img) if img.min() < img.max() else int(img[0, 0])
        dark = img < t
        rows.append(np.concatenate([[dark.mean(), t / 255.0], _largest_regions(dark, regions).ravel()]))
    return np.asarray(rows)


def extract_features(x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """All feature groups side by side: ``(features (N, F) float64, names (F,))``.

    The names say which group each column comes from (``"glcm_d1_contrast"``, ``"hog_17"``, ...),
    so a fitted linear model's weights can be read back per group.
    """
    x = check_images(x, 28)  # 4 x 4 blocks, 7-pixel HOG cells and quadrants all need sides divisible by 28
    groups: list[tuple[str, np.ndarray, list[str]]] = []
    stats = ["mean", "std", "p10", "p25", "p50", "p75", "p90", "skew", "kurtosis"]
    groups.append(("intensity", intensity_features(x), stats))
    grid = 4
    cells = [f"r{r}c{c}" for r in range(grid) for c in range(grid)]
    groups.append(("block", block_features(x, grid), [f"mean_{c}" for c in cells] + [f"std_{c}" for c in cells]))
    groups.append(("sobel", sobel_features(x, grid), ["mean", "std"] + [f"mean_{c}" for c in cells]))
    groups.append(("glcm", glcm_features(x), [f"d{d}_{p}" for d in (1, 2) for p in GLCM_PROPS]))
    hog = hog_features(x)
    groups.append(("hog", hog, [str(i) for i in range(hog.shape[1])]))
    groups.append(("lbp", lbp_features(x), [f"bin{i}" for i in range(10)]))
    groups.append(("canny", canny_features(x), ["density", "q00", "q01", "q10", "q11"]))
    region_cols = [f"region{k}_{p}" for k in (1, 2) for p in ("area", "row", "col", "eccentricity")]
    groups.append(("shape", shape_features(x), ["dark_share", "otsu", *region_cols]))
    names = [f"{group}_{name}" for group, _, cols in groups for name in cols]
    features = np.column_stack([block for _, block, _ in groups])
    if features.shape[1] != len(names):  # pragma: no cover - guards the name bookkeeping above
        raise AssertionError("feature names out of step with feature columns")
    return features, names
