"""Scan files: the format round-trips; wrong size, wrong type, a missing energy channel and the like are refused
with a code, before anything is stored."""

import io
import json

import numpy as np
import pytest
from sqlalchemy import func, select

from smartcustoms.nii import scanfile, service
from smartcustoms.nii.scanfile import ScanFileError
from smartcustoms.nii.tables import nii_analyses, nii_findings, nii_scans

META = {"format": scanfile.FORMAT, "kind": "parcel", "pixel_cm": 0.2, "tare_kg": 0.0, "container_id": "ABCU1234567",
        "settings": {"kvp": 160.0, "filter_al_mm": 4.0, "filter_cu_mm": 0.0, "bits": 14}}


def npz(**entries) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **entries)
    return buffer.getvalue()


def good(rows=64, cols=64) -> dict:
    image = np.full((rows, cols), 12000, np.uint16)
    return {"low": image, "high": image.copy(), "meta": np.array(json.dumps(META))}


def test_a_written_scan_reads_back():
    entries = good()
    content = scanfile.write(entries["low"], entries["high"], {k: v for k, v in META.items() if k != "format"})
    scan = scanfile.read(content)
    assert np.array_equal(scan.low, entries["low"]) and scan.kind == "parcel" and scan.settings.bits == 14


def _bad_files():
    entries = good()
    yield "nii_scan_missing_channel", npz(low=entries["low"], meta=entries["meta"])
    yield "nii_scan_missing_channel", npz(high=entries["high"], meta=entries["meta"])
    yield "nii_scan_bad_type", npz(low=entries["low"].astype(np.float32), high=entries["high"], meta=entries["meta"])
    yield "nii_scan_bad_size", npz(**{**good(8, 8)})
    yield "nii_scan_bad_size", npz(low=np.zeros((64, 64, 3), np.uint16), high=np.zeros((64, 64, 3), np.uint16),
                                   meta=entries["meta"])
    yield "nii_scan_shape_mismatch", npz(low=entries["low"], high=good(64, 80)["high"], meta=entries["meta"])
    yield "nii_scan_not_npz", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    yield "nii_scan_unreadable", b"PK\x03\x04 not really a zip"
    yield "nii_scan_missing_meta", npz(low=entries["low"], high=entries["high"])
    yield "nii_scan_bad_meta", npz(low=entries["low"], high=entries["high"],
                                   meta=np.array(json.dumps({**META, "kind": "truck"})))
    yield "nii_scan_bad_meta", npz(low=entries["low"], high=entries["high"],
                                   meta=np.array(json.dumps({**META, "settings": {**META["settings"], "bits": 8}})))
    yield "nii_scan_bad_meta", npz(low=entries["low"] + 40000, high=entries["high"], meta=entries["meta"])


BAD = list(_bad_files())


@pytest.mark.parametrize("code,content", BAD, ids=[f"{i}-{code}" for i, (code, _) in enumerate(BAD)])
def test_bad_scan_files_are_refused_with_a_code(code, content):
    with pytest.raises(ScanFileError) as refused:
        scanfile.read(content)
    assert refused.value.code == code
    assert refused.value.field == "file"


def test_a_pickled_object_is_not_loaded():
    buffer = io.BytesIO()
    np.savez(buffer, low=np.array([object()], dtype=object), high=good()["high"], meta=good()["meta"])
    with pytest.raises(ScanFileError) as refused:
        scanfile.read(buffer.getvalue())
    assert refused.value.code == "nii_scan_unreadable"


def test_too_large_a_file_is_refused_before_it_is_parsed():
    with pytest.raises(ScanFileError) as refused:
        scanfile.read(b"PK" + b"\x00" * (scanfile.MAX_BYTES + 1))
    assert refused.value.code == "nii_scan_too_large"


def test_a_refused_file_stores_nothing(engine, quiet_model):
    for _code, content in BAD[:4]:
        with pytest.raises(ScanFileError):
            service.submit_scan(engine, content, container_id="ABCU1234567", model_path=quiet_model)
    with engine.connect() as conn:
        for table in (nii_scans, nii_analyses, nii_findings):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
