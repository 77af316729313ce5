"""Lodging a declarations file (CSV, JSON, CUSDEC) through the web: read it with the import's own reader, refuse
what the sender may not lodge, and lodge the rest through the micro-batcher."""

from pathlib import Path

from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.declarations.service import IntakeError, guess_format, read_declarations, shipped_mappings
from smartcustoms.frames import records
from smartcustoms.web.errors import Invalid, TooLarge, WebError
from smartcustoms.web.runtime.batcher import MicroBatcher
from smartcustoms.web.submissions import Assessed, may_lodge, split

FORMATS = ("csv", "json", "cusdec")


def _invalid(message: str, field: str = "file") -> Invalid:
    return Invalid([{"loc": ["body", field], "msg": message, "type": "file_unreadable" if field == "file"
                     else "value_error"}])


async def lodge_file(batcher: MicroBatcher, user: User, data: bytes, filename: str, fmt: str | None,
                     mapping: str, max_bytes: int, channel: str = "file") -> dict:
    """``{accepted, rejected, results, rejects, warnings}``: an Assessed per lodged declaration; a reject row
    (row_number, declaration_id, field, value, reason) per invalid row, conflicting or foreign declaration.
    Raises Invalid when the file cannot be read at all (nothing lodged), TooLarge above `max_bytes`."""
    if len(data) > max_bytes:
        raise TooLarge(f"the file has more than {max_bytes:,} bytes", loc=["body", "file"])
    if fmt and fmt not in FORMATS:
        raise _invalid(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", "format")
    if mapping not in shipped_mappings():
        raise _invalid(f"unknown mapping {mapping!r}: use {', '.join(shipped_mappings())}", "mapping")
    try:
        fmt = fmt or guess_format(Path(filename or "upload"))
        validated, warnings = await run_in_threadpool(read_declarations, data, fmt, mapping)
    except IntakeError as exc:
        raise _invalid(f"{filename}: {exc}") from exc
    if validated.declarations == 0 and validated.rejected_declarations == 0:
        raise _invalid(f"{filename}: no declarations in the file")
    rejects = records(validated.rejects)
    allowed = []
    for submission in split(validated.valid, user, channel):
        if may_lodge(user, submission.importer_id, submission.declarant_id):
            allowed.append(submission)
        else:
            rejects.append({"row_number": int(submission.rows[0][0]), "declaration_id": submission.declaration_id,
                            "field": "importer_id", "value": submission.importer_id,
                            "reason": f"{user.username} may not lodge declarations for importer "
                                      f"{submission.importer_id} with declarant {submission.declarant_id}"})
    results = []
    for submission, outcome in zip(allowed, await batcher.submit_many(allowed)):
        if isinstance(outcome, Assessed):
            results.append(outcome)
        elif isinstance(outcome, WebError):
            field = outcome.loc[-1] if outcome.loc else "declaration_id"  # the field refused (office_id, ...)
            value = getattr(submission, field, submission.declaration_id)
            rejects.append({"row_number": int(submission.rows[0][0]), "declaration_id": submission.declaration_id,
                            "field": field, "value": value, "reason": outcome.message})
        else:
            raise outcome
    refused = {r["declaration_id"] or f"row {r['row_number']}" for r in rejects}
    rejects.sort(key=lambda r: (r["row_number"] is None, r["row_number"] or 0))
    return {"accepted": len(results), "rejected": len(refused), "results": results, "rejects": rejects,
            "warnings": warnings}
