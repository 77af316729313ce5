"""Evidence for remote inspections: photos, videos and documents the trader uploads, stored by checksum.

A file is accepted only if its type is allowed, its size within that type's limit, and its first bytes are
those of the declared type (a "photo" that is an executable is refused). It is written to a temporary file
while its SHA-256 is computed, then renamed to ``<folder>/<sha256[:2]>/<sha256>``: the same content is stored
once, whoever uploads it. Reading it back checks the checksum again. The rows are written by
``control.repository.evidence``, in the use cases of ``control.service``.
"""

import hashlib
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from smartcustoms.control.workflow import ControlError
from smartcustoms.refusals import Kind

MB = 1024 * 1024
KIND = {"image/jpeg": "photo", "image/png": "photo", "video/mp4": "video", "video/webm": "video",
        "application/pdf": "document", "text/csv": "document"}
CHUNK = 1024 * 1024


class EvidenceError(ControlError):
    """An upload refused (type, size, content) or a stored file that no longer matches its checksum."""


@dataclass(frozen=True)
class EvidenceLimits:
    """Allowed content types and the largest file of each, in bytes."""

    max_bytes: dict[str, int] = field(default_factory=lambda: {
        "image/jpeg": 20 * MB, "image/png": 20 * MB, "video/mp4": 500 * MB, "video/webm": 500 * MB,
        "application/pdf": 50 * MB, "text/csv": 10 * MB})


@dataclass(frozen=True)
class Evidence:
    evidence_id: int
    declaration_id: str
    task_id: int | None
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    path: str
    uploaded_by: str
    uploaded_at: datetime


def content_matches(content_type: str, head: bytes) -> bool:
    """Whether the first bytes of a file are those of its declared type (magic numbers)."""
    if content_type == "application/pdf":
        return head.startswith(b"%PDF-")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "video/mp4":
        return head[4:8] == b"ftyp"
    if content_type == "video/webm":  # an EBML header whose DocType is webm
        return head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]
    if content_type == "text/csv":  # text, not a binary renamed
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the head is fine
            if exc.start < len(head) - 3:
                return False
        return b"\x00" not in head
    return False


def safe_filename(name: str) -> str:
    """The last part of a path, in plain characters: letters, digits, dot, dash, underscore and space."""
    name = unicodedata.normalize("NFKD", re.split(r"[\\/]", name or "")[-1])
    name = name.encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" ._")
    if len(name) > 200:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:190] + dot + suffix[:9]) if dot else name[:200]
    return name or "evidence"


def _write_temporary(folder: Path, stream: BinaryIO, limit: int, content_type: str) -> tuple[Path, str, int]:
    """Copy the stream to a temporary file in `folder`, hashing it and checking size and type on the way."""
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder / "tmp")
    digest, size, first = hashlib.sha256(), 0, True
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                if first and not content_matches(content_type, chunk[:4096]):
                    raise EvidenceError(f"the content is not {content_type}: its first bytes are those of "
                                        "another type", code="file_content", field="file")
                first = False
                size += len(chunk)
                if size > limit:
                    raise EvidenceError(f"the file is too large: more than {limit:,} bytes for {content_type}",
                                        code="file_too_large", field="file", kind=Kind.TOO_LARGE, limit=limit)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceError("the file is empty", code="file_empty", field="file")
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest(), size


def checked_upload(content_type: str, uploaded_by: str, limits: EvidenceLimits) -> tuple[str, str]:
    """The upload's content type (parameters dropped, lower case) and uploader, refused when the type is not
    accepted or the uploader not named."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    uploaded_by = (uploaded_by or "").strip()
    if content_type not in limits.max_bytes or content_type not in KIND:
        raise EvidenceError(f"files of type {content_type or '(none)'!r} are not accepted (accepted: "
                            f"{', '.join(t for t in limits.max_bytes if t in KIND)})", code="file_type", field="file")
    if not uploaded_by:
        raise EvidenceError("who uploads must be named")
    return content_type, uploaded_by


def write_file(folder: Path, data: bytes | BinaryIO, content_type: str, limits: EvidenceLimits) -> tuple[str, str, int]:
    """Check the file's size and content while writing it under its checksum in `folder` (the same content is
    stored once). Returns its path relative to `folder`, its SHA-256 and its size."""
    folder = Path(folder)
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    temporary, sha256, size = _write_temporary(folder, stream, limits.max_bytes[content_type], content_type)
    relative = f"{sha256[:2]}/{sha256}"
    target = folder / relative
    try:
        if not target.exists():  # the same content is stored once
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return relative, sha256, size


def read_file(folder: Path, record: Evidence) -> bytes:
    """The stored file of an evidence record; EvidenceError if it is gone or no longer matches its checksum."""
    path = Path(folder) / record.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceError(f"evidence {record.evidence_id}: the file {record.path} is missing") from None
    if len(data) != record.size_bytes or hashlib.sha256(data).hexdigest() != record.sha256:
        raise EvidenceError(f"evidence {record.evidence_id}: the stored file does not match its checksum (damaged "
                            "or altered)")
    return data
