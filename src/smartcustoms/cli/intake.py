"""`smartcustoms import`: load declarations from CSV, JSON or UN/EDIFACT CUSDEC."""

from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, errors, fail, progress_bar
from smartcustoms.declarations.service import ImportResult, IntakeError, import_file, shipped_mappings
from smartcustoms.exports import defused
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate


def write_rejects(result: ImportResult, source: Path, target: Path | None) -> Path | None:
    if result.rejects.empty:
        return None
    target = target or get_settings().var_dir / "rejects" / f"{source.stem}-batch{result.batch_id}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    defused(result.rejects).to_csv(target, index=False)  # a value such as =cmd|... is text, not a formula
    return target


def run_import(path: Path, fmt: str | None, mapping: str, encoding: str, rejects: Path | None) -> ImportResult:
    e = engine()
    if migrate.current(e) != migrate.head(e):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"importing {path.name}", total=None)
            result = import_file(e, path, fmt, mapping, encoding, get_settings().import_batch_size,
                                 progress=lambda n: progress.advance(task, n),
                                 on_read=lambda count: progress.update(task, total=count))
    except IntakeError as exc:
        fail(f"{path}: {exc}. Nothing was imported.", 2)
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/] {warning}", highlight=False)
    shown = result.rejects.head(10)
    for row in shown.itertuples():
        errors.print(f"  {row.kind}: row {row.row_number}, {row.field}: {row.reason}"
                     + (f" (value {row.value!r})" if isinstance(row.value, str) else ""), highlight=False)
    if len(result.rejects) > len(shown):
        errors.print(f"  ... and {len(result.rejects) - len(shown):,} more", highlight=False)
    saved = write_rejects(result, path, rejects)
    console.print(result.summary() + (f" | rejects written to {saved}" if saved else ""), highlight=False)
    return result


def import_command(
    file: Annotated[Path, typer.Argument(help="Declarations file (.csv, .json/.jsonl, .edi).", exists=True,
                                         dir_okay=False)],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="csv, json or cusdec (default: from the "
                                                "file extension).")] = None,
    mapping: Annotated[str, typer.Option("--mapping", "-m", help=f"CSV column mapping: a shipped name "
                                         f"({', '.join(shipped_mappings())}) or a YAML file.")] = "own",
    encoding: Annotated[str, typer.Option(help="Text encoding of the file.")] = "utf-8-sig",
    rejects: Annotated[Path | None, typer.Option(help="Where to write the rejects CSV (default under "
                                                 "var/rejects/).")] = None,
) -> None:
    """Import declarations. Every record is validated against HS 2022 and ISO reference data; bad records go
    to the rejects table and a rejects file (row, field, reason), good ones are stored. Re-importing an
    identical declaration changes nothing; the same ID with other content is a conflict and is never
    overwritten. Exits 1 when nothing could be imported, 2 when the file cannot be read."""
    result = run_import(file, fmt, mapping, encoding, rejects)
    if result.nothing_imported:
        fail("nothing could be imported from this file", 1)
