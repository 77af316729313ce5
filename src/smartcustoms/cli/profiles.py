"""`smartcustoms risk profiles`: commit, approve, publish, retire and suppress officer risk profiles."""

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from smartcustoms.cli.common import console, engine, fail, frame_table
from smartcustoms.risk import service as profile_store
from smartcustoms.risk.service import ProfileError, load_profile_dir, profile_files
from smartcustoms.store import migrate

app = typer.Typer(
    help="Risk profiles: targeting rules written by officers as YAML. A profile is committed (each change makes "
         "a new, immutable version), approved by a second person, then published; a published profile can be "
         "retired, or suppressed for one trader or commodity.",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="Who does it (recorded in the publication log).")]
Version = Annotated[int, typer.Option("--version", "-v", help="The version number (see `list` and `log`).",
                                      min=1)]


def _engine():
    e = engine()
    if migrate.current(e) != migrate.head(e):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    return e


def _files(path: Path) -> list[Path]:
    files = profile_files(path)
    if not files:
        fail(f"{path}: no .yaml or .yml files", 2)
    return files


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="A profile file, or a folder of them.", exists=True)],
) -> None:
    """Parse profiles without storing anything: prints each profile, or FILE line N: reason for each problem."""
    _files(path)
    try:
        profiles = load_profile_dir(path)
    except ProfileError as exc:
        fail(str(exc), 2)
    for profile in profiles:
        console.print(f"{profile.profile_id}: {profile.lane}, weight {profile.weight:g}, {profile.mode} | "
                      f"{profile.describe()}", highlight=False)
    console.print(f"{len(profiles)} profiles are valid", highlight=False)


@app.command()
def commit(
    path: Annotated[Path, typer.Argument(help="A profile file, or a folder of them (all committed together).",
                                         exists=True)],
    author: Annotated[str, typer.Option("--author", help="Who wrote them (may not approve them later).")],
) -> None:
    """Commit profiles: each new or changed profile becomes a new version; unchanged ones are left alone. If any
    profile of any file is invalid, nothing is committed and each problem is shown as FILE line N: reason."""
    files = _files(path)
    sources = [(file.read_text(encoding="utf-8"), str(file)) for file in files]
    try:
        created = profile_store.commit_sources(_engine(), sources, author)
    except ProfileError as exc:
        fail(f"{exc}\nNothing was committed.", 2)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    for profile_id, version in created:
        console.print(f"committed {profile_id} version {version}", highlight=False)
    if created:
        console.print(f"{len(created)} new versions from {len(files)} files: each needs a second person's "
                      f"approval before it can be published", highlight=False)
    else:
        console.print(f"nothing changed: every profile in {len(files)} files equals its latest version",
                      highlight=False)


@app.command()
def approve(
    profile_id: Annotated[str, typer.Argument(help="Profile ID, e.g. P-STEEL-AD.")],
    version: Version,
    by: By,
    note: Annotated[str | None, typer.Option(help="Why, or what was checked.")] = None,
) -> None:
    """Approve a committed version (maker-checker: its author cannot)."""
    try:
        profile_store.approve(_engine(), profile_id, version, by, note=note)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    console.print(f"{profile_id} version {version} approved by {by}", highlight=False)


@app.command()
def publish(
    profile_id: Annotated[str, typer.Argument(help="Profile ID.")],
    version: Version,
    by: By,
    note: Annotated[str | None, typer.Option(help="A note for the log.")] = None,
) -> None:
    """Publish an approved version: it takes part in selection (or runs in shadow) from now on, superseding the
    version published before it."""
    try:
        previous = profile_store.publish(_engine(), profile_id, version, by, note=note)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    console.print(f"{profile_id} version {version} published" +
                  (f" (supersedes version {previous})" if previous else ""), highlight=False)


@app.command()
def retire(
    profile_id: Annotated[str, typer.Argument(help="Profile ID.")],
    by: By,
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
) -> None:
    """Withdraw a profile's published version; its versions and log stay."""
    try:
        version = profile_store.retire(_engine(), profile_id, by, reason)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    console.print(f"{profile_id} version {version} retired", highlight=False)


@app.command("list")
def list_command() -> None:
    """Every profile: versions, the latest version's state, the published version, lane, mode and owner."""
    summaries = profile_store.profile_summaries(_engine())
    if not summaries:
        console.print("no profiles yet: `smartcustoms risk profiles commit FILE --author NAME`")
        return
    table = Table("profile", "title", "versions", "latest", "published", "lane", "mode", "owner")
    for s in summaries:
        table.add_row(s.profile_id, s.title, str(s.versions), f"{s.latest} ({s.latest_state})",
                      str(s.published) if s.published else "-", s.lane, s.mode, s.owner)
    console.print(table)


@app.command()
def show(
    profile_id: Annotated[str, typer.Argument(help="Profile ID.")],
    version: Annotated[int | None, typer.Option("--version", "-v", help="Default: the latest.")] = None,
) -> None:
    """Print one version as YAML (what the checker reads before approving)."""
    try:
        profile = profile_store.get_profile(_engine(), profile_id, version)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    console.print(f"# {profile.profile_id} version {profile.version}", highlight=False)
    console.print(profile.to_yaml(), highlight=False, markup=False)


@app.command()
def log(
    profile_id: Annotated[str | None, typer.Argument(help="Only this profile.")] = None,
) -> None:
    """The append-only publication log: who committed, approved, published, retired or suppressed what, when."""
    entries = profile_store.profile_log(_engine(), profile_id)
    table = Table("#", "at (UTC)", "profile", "version", "action", "by", "note")
    for e in entries:
        table.add_row(str(e.log_id), f"{e.at:%Y-%m-%d %H:%M:%S}", e.profile_id,
                      str(e.version) if e.version is not None else "-", e.action, e.actor, e.note or "")
    console.print(table)


@app.command()
def suppress(
    profile_id: Annotated[str, typer.Argument(help="Profile ID.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. the false alarms it cures.")],
    until: Annotated[datetime, typer.Option(help="Last day (or exact time) the suppression holds.",
                                            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])],
    by: By,
    importer: Annotated[str | None, typer.Option(help="Suppress for this importer ID.")] = None,
    commodity: Annotated[str | None, typer.Option(help="Suppress for commodity codes starting with this.")] = None,
) -> None:
    """Stop a profile from selecting one importer's or one commodity's goods until a date. Hits are still
    reported (flagged suppressed)."""
    if (importer is None) == (commodity is None):
        fail("give either --importer or --commodity", 2)
    expires = datetime.combine(until.date() + timedelta(days=1), time()) if until.time() == time() else until
    try:
        suppression = profile_store.add_suppression(_engine(), profile_id, reason=reason, expires_at=expires,
                                                 created_by=by, importer_id=importer, commodity_prefix=commodity)
    except profile_store.ProfileStoreError as exc:
        fail(str(exc))
    console.print(f"{profile_id} suppressed for {suppression.target()} until {suppression.expires_at:%Y-%m-%d %H:%M}"
                  f" (suppression {suppression.suppression_id})", highlight=False)


@app.command()
def performance(
    retire_after: Annotated[int, typer.Option(help="Suggest retiring a profile whose controls found nothing in "
                                                   "this many days.")] = 180,
    min_controls: Annotated[int, typer.Option(help="... or that never hit after this many controls.")] = 20,
) -> None:
    """How each profile performs: selections, controls, hits, hit rate, duty recovered per control, and a
    suggestion to retire the ones that no longer find anything."""
    from smartcustoms.control.service import profile_performance

    as_of, frame = profile_performance(_engine(), retire_after_days=retire_after, min_selections=min_controls)
    if frame is None:
        console.print("no decision has hit a profile yet: run `smartcustoms assess` first")
        return
    console.print(frame_table(frame, f"Profile performance as of {as_of:%Y-%m-%d}",
                              ["profile_id", "selections", "controls", "hits", "hit_rate", "duty_recovered",
                               "duty_per_control", "last_hit", "suggest_retire", "why"]))
