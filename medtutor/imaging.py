"""DICOM reading, Hounsfield units, window/level and basic de-identification.

Notebook 01 writes each of these steps out by hand and checks it against pydicom; later notebooks
(05, the capstone) reuse them from here. Everything works on NumPy arrays and ``pydicom.Dataset``
objects; nothing here imports TensorFlow.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

__all__ = [
    "CTSeries",
    "PHI_KEYWORDS",
    "WINDOW_PRESETS",
    "apply_window",
    "deidentify",
    "find_phi",
    "read_dicom_series",
    "read_dicom",
    "to_hu",
    "window_bounds",
]

#: Standard CT display windows as ``(center, width)`` in Hounsfield units (HU).
#: Values as tabulated by Radiopaedia, "Windowing (CT)"; scanners and sites vary a little.
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
}

#: Header keywords that identify a patient, a clinician, a place or a moment (a teaching subset of
#: the DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile). UIDs are handled
#: separately (they are replaced, not removed) and private tags are always dropped.
PHI_KEYWORDS: tuple[str, ...] = (
    # the patient
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "MedicalRecordLocator",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    "MilitaryRank",
    "CountryOfResidence",
    "RegionOfResidence",
    # clinicians and operators
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "OperatorsName",
    "RequestingPhysician",
    "PhysiciansOfRecord",
    # places, devices, visits
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "AccessionNumber",
    "StudyID",
    "AdmissionID",
    "RequestAttributesSequence",
    # moments (a date plus a rare condition can identify someone)
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "InstanceCreationDate",
    "AcquisitionDateTime",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "InstanceCreationTime",
    "TimezoneOffsetFromUTC",
    # free text that often carries names
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
)

#: Type-2 elements (must be present, may be empty in a valid file): blanked rather than removed.
_BLANK_KEYWORDS: frozenset[str] = frozenset(
    {
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "ReferringPhysicianName",
        "AccessionNumber",
        "StudyID",
        "StudyDate",
        "StudyTime",
    }
)

#: UIDs that link an image to its study; they are replaced by new, consistent ones.
_UID_KEYWORDS: tuple[str, ...] = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
    "InstanceCreatorUID",
)


def read_dicom(path: str | os.PathLike) -> Dataset:
    """Read one DICOM file (header and pixel data) and return the ``pydicom.Dataset``.

    Unlike ``pydicom.dcmread(..., force=True)`` this refuses files that are not DICOM, so a PNG
    or a text file fails here with a clear message instead of deep inside the pixel decoder.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"read_dicom expects a file path (str or pathlib.Path), got {type(path).__name__}; "
            "pass the path of a .dcm file, e.g. medtutor.data.dicom_path('CT_small.dcm')."
        )
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"No DICOM file at {p}; check the path (for the course files use "
            "medtutor.data.dicom_path('CT_small.dcm') or 'MR_small.dcm')."
        )
    try:
        return pydicom.dcmread(p)
    except InvalidDicomError as err:
        raise ValueError(
            f"{p} is not a DICOM file (no 'DICM' marker after the 128-byte preamble). "
            "Pass a .dcm file; for a PNG/JPEG photo load it with an image library instead; "
            "for a headerless legacy DICOM you trust, use pydicom.dcmread(path, force=True)."
        ) from err


def _require_dataset(ds: object) -> Dataset:
    """Check that ``ds`` is a pydicom Dataset carrying pixel data (why: clear errors early)."""
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"Expected a pydicom.Dataset, got {type(ds).__name__}; "
            "read the file first with medtutor.imaging.read_dicom(path)."
        )
    if "PixelData" not in ds:
        raise ValueError(
            "This DICOM dataset has no Pixel Data (7FE0,0010): it holds no image "
            "(a structured report or a header-only file?). Use a file that contains an image."
        )
    return ds


def to_hu(ds: Dataset) -> np.ndarray:
    """Convert a CT dataset's stored pixel values to Hounsfield units (float32).

    HU = stored value x RescaleSlope + RescaleIntercept (DICOM PS3.3 C.11.1.1.2); water is 0 HU and
    air about -1000 HU. Only CT has Hounsfield units: for MR, ultrasound or X-ray the numbers
    have no physical scale, so a non-CT dataset is refused with a pointer to the right call.
    """
    ds = _require_dataset(ds)
    modality = str(ds.get("Modality", "")).upper()
    if modality != "CT":
        raise ValueError(
            f"Hounsfield units exist only for CT, but this dataset's Modality is "
            f"{modality or 'missing'!r}. For other modalities use "
            "pydicom.pixels.apply_modality_lut(ds.pixel_array, ds) (arbitrary units) or "
            "ds.pixel_array directly; if you know the file is CT, set ds.Modality = 'CT'."
        )
    stored = ds.pixel_array
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        return np.asarray(apply_modality_lut(stored, ds), dtype=np.float32)
    slope = float(ds.get("RescaleSlope", 1.0))
    intercept = float(ds.get("RescaleIntercept", 0.0))
    return (stored.astype(np.float64) * slope + intercept).astype(np.float32)


def window_bounds(center: float, width: float) -> tuple[float, float]:
    """Return the (lowest, highest) value that a window maps strictly inside black..white.

    DICOM's LINEAR window (PS3.3 C.11.2.1.2.1) shows values <= c - 0.5 - (w - 1)/2 as black and
    values > c - 0.5 + (w - 1)/2 as white; the popular "c +/- w/2" is the same to within 1 HU.
    """
    center, width = _check_window(center, width)
    return center - 0.5 - (width - 1.0) / 2.0, center - 0.5 + (width - 1.0) / 2.0


def _check_window(center: float, width: float) -> tuple[float, float]:
    """Validate a (center, width) pair: finite numbers, width >= 1 as DICOM LINEAR requires."""
    try:
        center, width = float(center), float(width)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"center and width must be numbers (HU), got {center!r} and {width!r}; "
            "e.g. center, width = medtutor.imaging.WINDOW_PRESETS['lung']."
        ) from err
    if not (np.isfinite(center) and np.isfinite(width)):
        raise ValueError(f"center and width must be finite numbers, got {center} and {width}.")
    if width < 1.0:
        raise ValueError(
            f"Window width must be >= 1 (DICOM LINEAR windowing), got {width}; "
            "a typical lung window is 1500 HU wide, a brain window 80 HU."
        )
    return center, width


def apply_window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Map an image in HU to display brightness in [0, 1] with a window ``(center, width)``.

    Implements DICOM's LINEAR VOI function (PS3.3 C.11.2.1.2.1) scaled to [0, 1]:
    y = clip(((x - (c - 0.5)) / (w - 1) + 0.5), 0, 1). Why: a monitor shows ~256 grey levels but
    CT spans ~3000 HU, so a window spends all grey levels on the tissue range of interest.
    """
    center, width = _check_window(center, width)
    arr = np.asarray(hu)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(
            f"hu must be a numeric array (Hounsfield units), got dtype {arr.dtype}; "
            "convert first with medtutor.imaging.to_hu(ds)."
        )
    if arr.size == 0:
        raise ValueError("hu is empty; pass an image array such as to_hu(ds) of shape (rows, cols).")
    x = arr.astype(np.float64)
    if np.isnan(x).any():
        raise ValueError(
            "hu contains NaN values; replace them first, e.g. np.nan_to_num(hu, nan=-1024.0) (air), or mask them out."
        )
    if width == 1.0:  # DICOM: a 1-wide window is a pure threshold at c - 0.5
        return (x > center - 0.5).astype(np.float32)
    y = (x - (center - 0.5)) / (width - 1.0) + 0.5
    return np.clip(y, 0.0, 1.0).astype(np.float32)


def find_phi(ds: Dataset) -> list[str]:
    """List the identifying elements still present (non-empty) in ``ds``, nested ones included.

    Why: de-identification must be *verified*, not assumed; an empty list is the check.
    Reports PHI keywords with a value, any person name (VR PN) anywhere, and private tags.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"find_phi expects a pydicom.Dataset, got {type(ds).__name__}; "
            "read the file first with medtutor.imaging.read_dicom(path)."
        )
    found: list[str] = []
    phi = set(PHI_KEYWORDS)

    def visit(dataset: Dataset, elem: pydicom.DataElement) -> None:
        if elem.tag.is_private:
            found.append(f"{elem.tag} private tag ({elem.name})")
        elif (elem.keyword in phi or elem.VR == "PN") and (elem.VR == "SQ" or elem.value not in (None, "", b"")):
            found.append(f"{elem.tag} {elem.keyword}")

    ds.walk(visit)
    return found


def deidentify(ds: Dataset, salt: str = "medtutor") -> Dataset:
    """Return a de-identified copy of ``ds`` (the original is not modified).

        Removes private tags and every element in ``PHI_KEYWORDS`` (blanking, not removing, those a
    valid file must keep, such as PatientName), blanks any remaining person name,
        replaces study/series/instance UIDs by new ones derived from the old ones and ``salt`` (so the
        same input always gives the same output and images of one study stay linked), and records
        PatientIdentityRemoved = "YES". Teaching tool only: real projects use a validated tool and also
        check the pixels for burned-in text.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"deidentify expects a pydicom.Dataset, got {type(ds).__name__}; "
            "read the file first with medtutor.imaging.read_dicom(path)."
        )
    if not isinstance(salt, str) or not salt:
        raise ValueError("salt must be a non-empty string (keep it secret in a real project).")
    out = copy.deepcopy(ds)
    out.remove_private_tags()
    phi = set(PHI_KEYWORDS)

    def scrub(dataset: Dataset, elem: pydicom.DataElement) -> None:
        if elem.keyword in _BLANK_KEYWORDS:
            elem.value = ""
        elif elem.keyword in phi:
            del dataset[elem.tag]
        elif elem.VR == "PN":
            elem.value = ""

    out.walk(scrub)
    for keyword in _UID_KEYWORDS:
        if keyword in out:
            old = str(out.data_element(keyword).value)
            new = pydicom.uid.generate_uid(entropy_srcs=[salt, old])
            setattr(out, keyword, new)
    meta = getattr(out, "file_meta", None)
    if meta is not None and "SOPInstanceUID" in out:
        meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = "medtutor.imaging.deidentify (teaching subset of PS3.15 Annex E)"
    return out


# --------------------------------------------------------------------------- DICOM series -> 3D volume


@dataclass
class CTSeries:
    """A CT series read into one volume: Hounsfield units indexed ``(z, y, x)`` plus its geometry.

    ``hu[0]`` is the most superior slice (highest position along the slice normal), so coronal and
    sagittal views show the head at the top. ``spacing`` is ``(dz, dy, dx)`` in mm; ``positions`` the
    slice positions along the normal (mm), aligned with ``hu``; ``files`` and ``instance_numbers`` say
    which file each slice came from.
    """

    hu: np.ndarray
    spacing: tuple[float, float, float]
    positions: np.ndarray
    files: list[str]
    instance_numbers: list[int]
    series_uid: str
    header: Dataset = field(repr=False)

    def index_of_position(self, position: float, tol: float = 0.01) -> int:
        """The slice index whose position along the normal is ``position`` (mm), or a clear error."""
        hits = np.flatnonzero(np.abs(self.positions - float(position)) <= tol)
        if hits.size != 1:
            raise KeyError(
                f"no slice at position {position} mm in this series (range {self.positions.min()} .. "
                f"{self.positions.max()} mm): is the annotation from another series?"
            )
        return int(hits[0])


def _series_files(source: str | os.PathLike | list) -> list[Path]:
    """The files of a series: every visible file of a folder, or an explicit list of paths."""
    if isinstance(source, (list, tuple)):
        files = [Path(p) for p in source]
    elif isinstance(source, (str, os.PathLike)):
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder} is not a folder: pass the folder that holds one series' .dcm files "
                "(e.g. medtutor.data.lidc_series_dir())."
            )
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        raise TypeError(f"pass a folder path or a list of file paths, got {type(source).__name__}.")
    if len(files) < 2:
        raise ValueError(f"a series needs at least 2 slices, found {len(files)} file(s): point at the series folder.")
    return files


def _slice_normal(ds: Dataset) -> np.ndarray:
    """Unit normal of a slice: cross product of its row and column directions (ImageOrientationPatient)."""
    if "ImageOrientationPatient" not in ds or "ImagePositionPatient" not in ds:
        raise ValueError(
            f"{ds.filename}: no ImageOrientationPatient/ImagePositionPatient, so the slice cannot be placed "
            "in 3D; this is not a volumetric CT slice (a localizer or a secondary capture?)."
        )
    iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    return normal / np.linalg.norm(normal)


def _check_series_headers(headers: list[Dataset]) -> None:
    """One CT series with one geometry, or a clear error naming the offending file and the fix."""
    for ds in headers:
        modality = str(ds.get("Modality", "")).upper()
        if modality != "CT":
            raise ValueError(
                f"{ds.filename} has Modality {modality or 'missing'!r}, not CT: Hounsfield units exist only for "
                "CT. Remove non-CT files from the series folder."
            )
    uids = sorted({str(ds.get("SeriesInstanceUID", "")) for ds in headers})
    if len(uids) > 1:
        raise ValueError(
            f"mixed series: the files belong to {len(uids)} different SeriesInstanceUIDs ({', '.join(uids)}). "
            "Put each series in its own folder (or pass only one series' files)."
        )
    first = headers[0]
    for key in ("Rows", "Columns", "PixelSpacing", "ImageOrientationPatient"):
        ref = [float(v) for v in np.atleast_1d(first.get(key))]
        for ds in headers[1:]:
            if not np.allclose([float(v) for v in np.atleast_1d(ds.get(key))], ref, atol=1e-4):
                raise ValueError(
                    f"{ds.filename} has a different {key} from {first.filename}: the slices do not form one "
                    "volume. Keep only slices of one reconstruction in the folder."
                )


def read_dicom_series(source: str | os.PathLike | list, rel_tol: float = 0.1) -> CTSeries:
    """Read a CT series (a folder of .dcm files, or a list of paths) into one volume in Hounsfield units.

    Why each step: file names and even InstanceNumber need not follow anatomy, so slices are ordered by
    their ImagePositionPatient projected on the slice normal; a gap in those positions means a missing
    slice (the volume would be silently squashed), so the spacing must be constant within ``rel_tol``;
    each slice is converted to HU with its own RescaleSlope/Intercept. Errors name the file and the fix.
    """
    files = _series_files(source)
    headers = [read_dicom(p) for p in files]
    _check_series_headers(headers)
    normal = _slice_normal(headers[0])
    pos = np.array([float(np.dot(normal, np.asarray(ds.ImagePositionPatient, dtype=float))) for ds in headers])
    order = np.argsort(-pos, kind="stable")  # most superior slice first
    pos, headers = pos[order], [headers[i] for i in order]
    steps = -np.diff(pos)
    if np.any(steps < 1e-3):
        k = int(np.argmin(steps))
        raise ValueError(
            f"duplicate slice position {pos[k]:.2f} mm ({headers[k].filename} and {headers[k + 1].filename}): "
            "two copies of one slice or two series mixed; keep one."
        )
    dz = float(np.median(steps))
    bad = np.flatnonzero(np.abs(steps - dz) > rel_tol * dz)
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"inconsistent slice spacing: {steps[k]:.2f} mm between {Path(headers[k].filename).name} and "
            f"{Path(headers[k + 1].filename).name}, {dz:.2f} mm elsewhere - a missing slice? "
            "Re-download the complete series; do not stack an incomplete one."
        )
    hu = np.stack([to_hu(ds) for ds in headers]).astype(np.float32)
    dy, dx = (float(v) for v in headers[0].PixelSpacing)
    return CTSeries(
        hu=hu,
        spacing=(dz, dy, dx),
        positions=pos,
        files=[str(ds.filename) for ds in headers],
        instance_numbers=[int(ds.get("InstanceNumber", -1)) for ds in headers],
        series_uid=str(headers[0].get("SeriesInstanceUID", "")),
        header=headers[0],
    )
