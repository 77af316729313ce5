"""Evidence uploads: allowed types, size limits, content that must match its type, checksums, shared storage."""

import hashlib
import io
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from smartcustoms.control.evidence import EvidenceError, EvidenceLimits, content_matches, safe_filename
from smartcustoms.control.service import evidence_frame, open_controls, read_evidence, store_evidence, task_frame
from smartcustoms.control.tables import evidence
from smartcustoms.control.workflow import NotFoundError
from smartcustoms.declarations.service import import_file
from smartcustoms.risk.repository import record_assessment
from support import csv_bytes, item_row

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 40
PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}


@pytest.fixture
def task(engine, tmp_path):
    """Declarations E1 (with a red task) and E2 stored; returns the task ID."""
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes([item_row("E1"), item_row("E2")]))
    import_file(engine, path)
    record_assessment(engine, pd.DataFrame({"declaration_id": ["E1"], "lane": "red", "source": "screen",
                                            "random": False, "risk_score": 1.0, "duty_at_risk": 1.0,
                                            "explanation": json.dumps({"lane": "red"})}), PROVENANCE, actor="t")
    open_controls(engine, lane_time="lodged")
    return int(task_frame(engine)["task_id"].iloc[0])


def stored_files(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(evidence)).scalar_one()


def test_evidence_is_stored_under_its_checksum_and_read_back_verified(engine, tmp_path, task):
    folder = tmp_path / "evidence"
    evidence_id = store_evidence(engine, folder, declaration_id="E1", task_id=task, filename="invoice.pdf", data=PDF,
                                 content_type="application/pdf; charset=binary", uploaded_by="trader")
    digest = hashlib.sha256(PDF).hexdigest()
    record, data = read_evidence(engine, folder, evidence_id)
    assert data == PDF
    assert (record.sha256, record.size_bytes, record.kind, record.content_type) == (
        digest, len(PDF), "document", "application/pdf")
    assert record.path == f"{digest[:2]}/{digest}" and stored_files(folder) == [folder / digest[:2] / digest]
    assert not list((folder / "tmp").iterdir())  # no temporary file left behind


def test_the_same_content_is_stored_once(engine, tmp_path, task):
    folder = tmp_path / "evidence"
    first = store_evidence(engine, folder, declaration_id="E1", task_id=task, filename="a.png", data=PNG,
                           content_type="image/png", uploaded_by="trader")
    second = store_evidence(engine, folder, declaration_id="E2", filename="b.png", data=io.BytesIO(PNG),
                            content_type="image/png", uploaded_by="broker")
    frame = evidence_frame(engine)
    assert frame["evidence_id"].tolist() == [first, second] and frame["sha256"].nunique() == 1
    assert len(stored_files(folder)) == 1
    assert evidence_frame(engine, declaration_id="E2")["uploaded_by"].tolist() == ["broker"]
    assert read_evidence(engine, folder, second)[1] == PNG


@pytest.mark.parametrize(("data", "content_type", "limits", "message"), [
    (PDF * 10, "application/pdf", EvidenceLimits({"application/pdf": 100}), "too large: more than 100 bytes"),
    (b"MZ\x90\x00 executable", "application/x-msdownload", None, "type 'application/x-msdownload' are not accepted"),
    (PDF, "image/png", None, "the content is not image/png"),
    (PNG, "image/jpeg", None, "the content is not image/jpeg"),
    (b"\x00\x01binary", "text/csv", None, "the content is not text/csv"),
    (b"", "application/pdf", None, "the file is empty"),
    (PNG, "", None, "type '\\(none\\)' are not accepted"),
])
def test_refused_uploads_leave_no_row_and_no_file(engine, tmp_path, task, data, content_type, limits, message):
    folder = tmp_path / "evidence"
    with pytest.raises(EvidenceError, match=message):
        store_evidence(engine, folder, declaration_id="E1", task_id=task, filename="x", data=data,
                       content_type=content_type, uploaded_by="trader", limits=limits)
    assert rows(engine) == 0 and stored_files(folder) == []


def test_a_large_stream_is_stopped_at_the_limit(engine, tmp_path, task):
    class Endless(io.RawIOBase):  # a stream that never ends: the limit must stop it
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = (PDF * (len(buffer) // len(PDF) + 1))[:len(buffer)]
            return len(buffer)

    with pytest.raises(EvidenceError, match="too large"):
        store_evidence(engine, tmp_path / "ev", declaration_id="E1", filename="big.pdf",
                       data=io.BufferedReader(Endless()), content_type="application/pdf", uploaded_by="trader",
                       limits=EvidenceLimits({"application/pdf": 3 * 1024 * 1024}))
    assert rows(engine) == 0 and stored_files(tmp_path / "ev") == []


def test_uploads_must_belong_to_a_known_declaration_and_its_task(engine, tmp_path, task):
    folder = tmp_path / "evidence"
    with pytest.raises(EvidenceError, match=f"task {task} is about declaration E1, not E2"):
        store_evidence(engine, folder, declaration_id="E2", task_id=task, filename="x.pdf", data=PDF,
                       content_type="application/pdf", uploaded_by="trader")
    with pytest.raises(NotFoundError, match="no declaration NOPE"):
        store_evidence(engine, folder, declaration_id="NOPE", filename="x.pdf", data=PDF,
                       content_type="application/pdf", uploaded_by="trader")
    with pytest.raises(EvidenceError, match="who uploads must be named"):
        store_evidence(engine, folder, declaration_id="E1", filename="x.pdf", data=PDF,
                       content_type="application/pdf", uploaded_by="")
    assert rows(engine) == 0 and stored_files(folder) == []


def test_a_damaged_or_missing_file_is_reported_on_reading(engine, tmp_path, task):
    folder = tmp_path / "evidence"
    evidence_id = store_evidence(engine, folder, declaration_id="E1", task_id=task, filename="photo.jpg",
                                 data=JPEG, content_type="image/jpeg", uploaded_by="trader")
    (path,) = stored_files(folder)
    path.write_bytes(JPEG[:-1] + b"\x01")
    with pytest.raises(EvidenceError, match=f"evidence {evidence_id}: the stored file does not match its checksum"):
        read_evidence(engine, folder, evidence_id)
    path.unlink()
    with pytest.raises(EvidenceError, match="is missing"):
        read_evidence(engine, folder, evidence_id)
    with pytest.raises(NotFoundError, match="no evidence 999"):
        read_evidence(engine, folder, 999)


def test_content_types_are_told_by_their_first_bytes():
    for data, content_type in ((PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
                               (MP4, "video/mp4"), (WEBM, "video/webm"), (b"a,b\n1,2\n", "text/csv")):
        assert content_matches(content_type, data)
        others = {"application/pdf", "image/png", "image/jpeg", "video/mp4", "video/webm"} - {content_type}
        assert not any(content_matches(other, data) for other in others)
    assert not content_matches("video/webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska")  # not webm


def test_filenames_are_sanitised():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\Évidence photo?.png") == "Evidence photo_.png"
    assert safe_filename("...") == "evidence"
    long = safe_filename("a" * 300 + ".pdf")
    assert len(long) <= 200 and long.endswith(".pdf")
