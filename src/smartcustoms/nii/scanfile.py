"""The project's scan file: one ``.npz`` (NumPy zip, no pickles) with three entries.

- ``low``: the low-energy image (front detector layer), 2-D ``uint16``, rows = detector elements, columns = scan lines
- ``high``: the high-energy image (rear layer), the same shape and type
- ``meta``: a 0-d string array holding JSON:
  ``format`` ("smartcustoms-nii-scan/1"), ``scan_ref`` (the scanner's ID of the scan), ``scanner_id``,
  ``scanned_at`` (ISO 8601), ``kind`` (parcel | bag | container), ``pixel_cm`` (pixel pitch at the object, cm),
  ``tare_kg`` (mass of the transport unit itself, e.g. a container's plate; 0 for parcels), ``container_id`` and
  ``vehicle_id`` (optional), ``settings`` (kvp, filter_al_mm, filter_cu_mm, bits: how the images were taken;
  air reads 2**bits - 1).

A file that breaks any of this is refused with a code (``ScanFileError``), before anything is stored.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np

from smartcustoms.nii.physics import ScannerSettings
from smartcustoms.refusals import Kind, Refusal

FORMAT = "smartcustoms-nii-scan/1"
MAX_BYTES = 16 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 32, 2048
KINDS = ("parcel", "bag", "container")


class ScanFileError(Refusal):
    """A scan file refused: what is wrong is in ``code`` (nii_scan_*)."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(code, message, field="file", kind=Kind.TOO_LARGE if code == "nii_scan_too_large"
                         else Kind.INVALID, **params)


@dataclass
class ScanFile:
    low: np.ndarray
    high: np.ndarray
    meta: dict
    settings: ScannerSettings

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def pixel_cm(self) -> float:
        return float(self.meta["pixel_cm"])

    @property
    def tare_kg(self) -> float:
        return float(self.meta.get("tare_kg") or 0.0)


def write(low: np.ndarray, high: np.ndarray, meta: dict) -> bytes:
    """The bytes of a scan file (compressed)."""
    meta = {"format": FORMAT, **meta}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, low=np.asarray(low, np.uint16), high=np.asarray(high, np.uint16),
                        meta=np.array(json.dumps(meta, sort_keys=True)))
    return buffer.getvalue()


def _number(meta: dict, key: str, low: float, high: float) -> float:
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= float(value) <= high:
        raise ScanFileError("nii_scan_bad_meta", f"meta {key} must be a number from {low} to {high}", key=key)
    return float(value)


def read(content: bytes) -> ScanFile:
    """Parse and check a scan file; raises ScanFileError (nothing else) for anything malformed."""
    if len(content) > MAX_BYTES:
        raise ScanFileError("nii_scan_too_large", f"a scan file may have at most {MAX_BYTES} bytes",
                            limit=MAX_BYTES)
    if not content.startswith(b"PK"):
        raise ScanFileError("nii_scan_not_npz", "a scan file is a NumPy .npz archive (a zip): this is not one")
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            names = set(archive.files)
            for channel in ("low", "high"):
                if channel not in names:
                    raise ScanFileError("nii_scan_missing_channel", f"the scan has no {channel}-energy image",
                                        channel=channel)
            if "meta" not in names:
                raise ScanFileError("nii_scan_missing_meta", "the scan has no meta entry")
            low, high, meta_raw = archive["low"], archive["high"], archive["meta"]
    except ScanFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise ScanFileError("nii_scan_unreadable", f"the scan file cannot be read: {type(exc).__name__}") from exc
    for name, image in (("low", low), ("high", high)):
        if image.dtype != np.uint16:
            raise ScanFileError("nii_scan_bad_type", f"the {name} image must be uint16, not {image.dtype}",
                                channel=name, dtype=str(image.dtype))
        if image.ndim != 2 or not all(MIN_SIDE <= side <= MAX_SIDE for side in image.shape):
            raise ScanFileError("nii_scan_bad_size", f"the {name} image must be 2-D with sides of {MIN_SIDE} to "
                                f"{MAX_SIDE} pixels, not {image.shape}", channel=name, shape=list(image.shape))
    if low.shape != high.shape:
        raise ScanFileError("nii_scan_shape_mismatch", f"the two images differ in size: {low.shape} and "
                            f"{high.shape}")
    try:
        meta = json.loads(str(meta_raw.item()) if meta_raw.dtype.kind == "U" else "")
    except (ValueError, AttributeError) as exc:
        raise ScanFileError("nii_scan_bad_meta", "meta must be a JSON object in a string array",
                            key="meta") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ScanFileError("nii_scan_bad_meta", f"meta.format must be {FORMAT!r}", key="format")
    if meta.get("kind") not in KINDS:
        raise ScanFileError("nii_scan_bad_meta", f"meta.kind must be one of {', '.join(KINDS)}", key="kind")
    _number(meta, "pixel_cm", 0.01, 50.0)
    if meta.get("tare_kg") is not None:
        _number(meta, "tare_kg", 0.0, 50000.0)
    settings = meta.get("settings")
    if not isinstance(settings, dict):
        raise ScanFileError("nii_scan_bad_meta", "meta.settings must be an object", key="settings")
    kvp = _number(settings, "kvp", 40.0, 300.0)
    al = _number(settings, "filter_al_mm", 0.0, 30.0)
    cu = _number(settings, "filter_cu_mm", 0.0, 10.0) if "filter_cu_mm" in settings else 0.0
    bits = int(_number(settings, "bits", 12, 16))
    top = 2**bits - 1
    if int(max(low.max(), high.max())) > top:
        raise ScanFileError("nii_scan_bad_meta", f"values above {top}, the air value of {bits}-bit images",
                            key="bits")
    for key in ("scan_ref", "scanner_id", "container_id", "vehicle_id", "scanned_at"):
        value = meta.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 64):
            raise ScanFileError("nii_scan_bad_meta", f"meta.{key} must be a string of at most 64 characters",
                                key=key)
    return ScanFile(low=low, high=high, meta=meta,
                    settings=ScannerSettings(kvp=kvp, filter_al_mm=al, filter_cu_mm=cu, bits=bits))


def from_scene(scene, low: np.ndarray, high: np.ndarray, **meta) -> bytes:
    """A scan file of a generated scene (demo, benchmark, tests)."""
    s = scene.settings
    return write(low, high, {
        "kind": scene.kind, "pixel_cm": scene.pixel_cm, "tare_kg": round(scene.tare_kg, 3),
        "settings": {"kvp": s.kvp, "filter_al_mm": s.filter_al_mm, "filter_cu_mm": s.filter_cu_mm, "bits": s.bits},
        **meta})
