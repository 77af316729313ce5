"""The risk domain's SQL: the audit trail of selectivity (assessment runs, decisions, overrides; the latest
decision of each declaration) and the store of risk profiles (commit versions, approve them (maker-checker),
publish, retire, suppress).

The life of a profile: the author commits a YAML file (each changed profile becomes a new, immutable version),
a second person approves that version, someone publishes it (the published version before it is superseded),
and one day it is retired. Every step is one row of the append-only ``risk_profile_log``; what was published
on any date is reconstructed from that log. Times are naive UTC.

Every function takes the Engine (it then runs in its own transaction) or a Connection (the caller owns the
transaction, as a request handler would).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select

from smartcustoms.frames import column_values
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.risk.profiles import Problem, Profile, ProfileError, Suppression, parse_profiles
from smartcustoms.risk.tables import (  # noqa: F401 - the audit trail's tables, for the other domains' queries
    APPEND_ONLY,
    assessments,
    decisions,
    overrides,
    risk_profile_log,
    risk_profile_versions,
    risk_suppressions,
)
from smartcustoms.store.db import insert_rows, transaction, utc_now

Bind = Engine | Connection


class ProfileStoreError(ValueError):
    """A step the profile life cycle does not allow (unknown version, not approved, ...)."""


class MakerCheckerError(ProfileStoreError):
    """The author of a version tried to approve it: a second person must."""


@dataclass(frozen=True)
class LogEntry:
    log_id: int
    profile_id: str
    version: int | None
    action: str
    actor: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class ProfileSummary:
    profile_id: str
    versions: int
    latest: int
    latest_state: str  # committed | approved | published | retired
    published: int | None
    title: str
    lane: str
    mode: str
    owner: str


def _moment(conn: Connection, at: datetime | None) -> datetime:
    """The time of a new log entry: now, or the given time, which may not precede the log's last entry."""
    at = (utc_now() if at is None else at).replace(tzinfo=None)
    last = conn.execute(select(func.max(risk_profile_log.c.at))).scalar_one()
    if last is not None and at < last:
        raise ProfileStoreError(f"the log only moves forward: {at:%Y-%m-%d %H:%M:%S} is before its last entry "
                                f"({last:%Y-%m-%d %H:%M:%S})")
    return at


def _log(conn: Connection, profile_id: str, version: int | None, action: str, actor: str, at: datetime,
         note: str | None = None) -> None:
    conn.execute(insert(risk_profile_log).values(profile_id=profile_id, version=version, action=action,
                                                 actor=actor, at=at, note=note))


def _actor(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ProfileStoreError(f"{what} must be named")
    return name


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _profile(row) -> Profile:
    return Profile.model_validate({**json.loads(row.content), "version": row.version})


# --- commit -----------------------------------------------------------------------------------------------------


def commit_sources(bind: Bind, sources: Iterable[tuple[str, str]], author: str, *,
                   at: datetime | None = None) -> list[tuple[str, int]]:
    """Commit the profiles of several YAML texts ``(text, source_name)`` at once, all or nothing: every text is
    parsed first (any problem raises ProfileError and nothing is written), then every changed profile becomes a
    new version in one transaction. A profile identical to its latest version gets no new version.

    Returns ``(profile_id, version)`` of the versions created."""
    author = _actor(author, "the author")
    parsed: list[tuple[Profile, str]] = []
    problems: list[Problem] = []
    where: dict[str, str] = {}
    for text, source in sources:
        try:
            profiles = parse_profiles(text, source)
        except ProfileError as exc:
            problems += exc.problems
            continue
        for profile in profiles:
            if profile.profile_id in where:
                problems.append(Problem(source, None, f"profile_id '{profile.profile_id}' is also defined in "
                                                      f"{where[profile.profile_id]}"))
            where[profile.profile_id] = source
            parsed.append((profile, source))
    if problems:
        raise ProfileError(problems)
    created: list[tuple[str, int]] = []
    with transaction(bind) as conn:
        moment = _moment(conn, at)
        ids = [profile.profile_id for profile, _ in parsed]
        latest = {row.profile_id: row for row in conn.execute(
            select(risk_profile_versions.c.profile_id, risk_profile_versions.c.version,
                   risk_profile_versions.c.content)
            .where(risk_profile_versions.c.profile_id.in_(ids))
            .order_by(risk_profile_versions.c.version)
        )}
        for profile, source in parsed:
            previous = latest.get(profile.profile_id)
            content = profile.content_json()
            if previous is not None and previous.content == content:
                continue
            version = previous.version + 1 if previous is not None else 1
            conn.execute(insert(risk_profile_versions).values(
                profile_id=profile.profile_id, version=version, yaml=profile.to_yaml(), content=content,
                lane=profile.lane, weight=profile.weight, mode=profile.mode, owner=profile.owner, source=source,
                author=author, committed_at=moment,
            ))
            _log(conn, profile.profile_id, version, "committed", author, moment, f"from {source}")
            created.append((profile.profile_id, version))
    return created


def commit_profiles(bind: Bind, text: str, source: str, author: str, *,
                    at: datetime | None = None) -> list[tuple[str, int]]:
    """Commit one YAML text (see ``commit_sources``): returns ``(profile_id, version)`` of the new versions."""
    return commit_sources(bind, [(text, source)], author, at=at)


# --- reading ----------------------------------------------------------------------------------------------------


def get_profile(bind: Bind, profile_id: str, version: int | None = None) -> Profile:
    """One committed version (default: the latest)."""
    query = select(risk_profile_versions.c.version, risk_profile_versions.c.content).where(
        risk_profile_versions.c.profile_id == profile_id)
    query = (query.where(risk_profile_versions.c.version == version) if version is not None
             else query.order_by(risk_profile_versions.c.version.desc()).limit(1))
    with transaction(bind) as conn:
        row = conn.execute(query).first()
        if row is None and version is not None:
            _version_row(conn, profile_id, version)  # raises, naming the versions there are
    if row is None:
        raise ProfileStoreError(f"no profile {profile_id}")
    return _profile(row)


def get_profile_yaml(bind: Bind, profile_id: str, version: int | None = None) -> str:
    return get_profile(bind, profile_id, version).to_yaml()


def profile_log(bind: Bind, profile_id: str | None = None) -> list[LogEntry]:
    """The publication log, oldest first (optionally of one profile)."""
    query = select(risk_profile_log).order_by(risk_profile_log.c.log_id)
    if profile_id is not None:
        query = query.where(risk_profile_log.c.profile_id == profile_id)
    with transaction(bind) as conn:
        return [LogEntry(**row._mapping) for row in conn.execute(query)]


def _cutoff(as_of: date | datetime | None):
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        return lambda column: column <= as_of.replace(tzinfo=None)
    end = datetime.combine(as_of + timedelta(days=1), time())
    return lambda column: column < end


def _published_versions(conn: Connection, as_of: date | datetime | None = None) -> dict[str, int]:
    """profile_id -> version published at ``as_of`` (a date counts to its end), from the log."""
    query = (select(risk_profile_log.c.profile_id, risk_profile_log.c.version, risk_profile_log.c.action)
             .where(risk_profile_log.c.action.in_(("published", "retired")))
             .order_by(risk_profile_log.c.at, risk_profile_log.c.log_id))
    cutoff = _cutoff(as_of)
    if cutoff is not None:
        query = query.where(cutoff(risk_profile_log.c.at))
    published: dict[str, int] = {}
    for row in conn.execute(query):
        if row.action == "published":
            published[row.profile_id] = row.version
        else:
            published.pop(row.profile_id, None)
    return published


def published_profiles(bind: Bind, as_of: date | datetime | None = None) -> list[Profile]:
    """The published version of each profile, as it stood at ``as_of`` (default: now), ordered by ID."""
    with transaction(bind) as conn:
        published = _published_versions(conn, as_of)
        if not published:
            return []
        rows = conn.execute(
            select(risk_profile_versions.c.profile_id, risk_profile_versions.c.version,
                   risk_profile_versions.c.content)
            .where(risk_profile_versions.c.profile_id.in_(list(published)))
        ).all()
    return sorted((_profile(row) for row in rows if published[row.profile_id] == row.version),
                  key=lambda p: p.profile_id)


def profile_summaries(bind: Bind) -> list[ProfileSummary]:
    """One line per profile: how many versions, the latest and its state, the published one."""
    with transaction(bind) as conn:
        versions = conn.execute(select(risk_profile_versions).order_by(
            risk_profile_versions.c.profile_id, risk_profile_versions.c.version)).all()
        log = conn.execute(select(risk_profile_log.c.profile_id, risk_profile_log.c.version,
                                  risk_profile_log.c.action).order_by(risk_profile_log.c.log_id)).all()
        published = _published_versions(conn)
    states: dict[tuple[str, int], str] = {}
    for row in log:
        if row.version is not None and row.action in ("committed", "approved", "published", "retired"):
            states[(row.profile_id, row.version)] = row.action
    by_id: dict[str, list] = {}
    for row in versions:
        by_id.setdefault(row.profile_id, []).append(row)
    out = []
    for profile_id, rows in by_id.items():
        latest = rows[-1]
        shown = next((r for r in rows if r.version == published.get(profile_id)), latest)
        out.append(ProfileSummary(
            profile_id=profile_id, versions=len(rows), latest=latest.version,
            latest_state=states.get((profile_id, latest.version), "committed"), published=published.get(profile_id),
            title=json.loads(shown.content)["title"], lane=shown.lane, mode=shown.mode, owner=shown.owner,
        ))
    return out


# --- life cycle -------------------------------------------------------------------------------------------------


def _version_row(conn: Connection, profile_id: str, version: int):
    row = conn.execute(select(risk_profile_versions.c.author).where(
        risk_profile_versions.c.profile_id == profile_id, risk_profile_versions.c.version == version)).first()
    if row is None:
        known = conn.execute(select(risk_profile_versions.c.version).where(
            risk_profile_versions.c.profile_id == profile_id).order_by(risk_profile_versions.c.version)).scalars()
        known = list(known)
        raise ProfileStoreError(f"{profile_id} has no version {version}" + (
            f" (versions: {', '.join(map(str, known))})" if known else " (no such profile)"))
    return row


def _has_entry(conn: Connection, profile_id: str, version: int, action: str) -> bool:
    return conn.execute(select(risk_profile_log.c.log_id).where(
        risk_profile_log.c.profile_id == profile_id, risk_profile_log.c.version == version,
        risk_profile_log.c.action == action).limit(1)).first() is not None


def approve(bind: Bind, profile_id: str, version: int, approver: str, *, note: str | None = None,
            at: datetime | None = None) -> None:
    """Approve a committed version. The author of that version may not approve it (maker-checker)."""
    approver = _actor(approver, "the approver")
    with transaction(bind) as conn:
        author = _version_row(conn, profile_id, version).author
        if _same_person(author, approver):
            raise MakerCheckerError(f"{approver} wrote {profile_id} version {version} and cannot approve it: "
                                    f"a second person must (maker-checker)")
        if _has_entry(conn, profile_id, version, "approved"):
            raise ProfileStoreError(f"{profile_id} version {version} is already approved")
        _log(conn, profile_id, version, "approved", approver, _moment(conn, at), note)


def publish(bind: Bind, profile_id: str, version: int, actor: str, *, note: str | None = None,
            at: datetime | None = None) -> int | None:
    """Publish an approved version; the version published before it (returned, or None) is superseded."""
    actor = _actor(actor, "the publisher")
    with transaction(bind) as conn:
        _version_row(conn, profile_id, version)
        if not _has_entry(conn, profile_id, version, "approved"):
            raise ProfileStoreError(f"{profile_id} version {version} is not approved: a second person must "
                                    f"approve it before it can be published")
        previous = _published_versions(conn).get(profile_id)
        if previous == version:
            raise ProfileStoreError(f"{profile_id} version {version} is already published")
        text = f"supersedes version {previous}" if previous is not None else None
        _log(conn, profile_id, version, "published", actor, _moment(conn, at),
             "; ".join(part for part in (text, note) if part) or None)
        return previous


def retire(bind: Bind, profile_id: str, actor: str, reason: str, *, at: datetime | None = None) -> int:
    """Withdraw the published version of a profile (returned); it stops selecting from now on."""
    actor = _actor(actor, "the officer retiring it")
    if not (reason or "").strip():
        raise ProfileStoreError("say why the profile is retired")
    with transaction(bind) as conn:
        version = _published_versions(conn).get(profile_id)
        if version is None:
            raise ProfileStoreError(f"{profile_id} has no published version to retire")
        _log(conn, profile_id, version, "retired", actor, _moment(conn, at), reason.strip())
        return version


# --- suppressions -----------------------------------------------------------------------------------------------


def add_suppression(bind: Bind, profile_id: str, *, reason: str, expires_at: datetime, created_by: str,
                    importer_id: str | None = None, commodity_prefix: str | None = None,
                    at: datetime | None = None) -> Suppression:
    """Silence a profile for one importer or one commodity code prefix from now until ``expires_at``; the
    suppression is also written to the publication log."""
    with transaction(bind) as conn:
        exists = conn.execute(select(risk_profile_versions.c.version).where(
            risk_profile_versions.c.profile_id == profile_id).limit(1)).first()
        if exists is None:
            raise ProfileStoreError(f"no profile {profile_id}")
        moment = _moment(conn, at)
        try:
            suppression = Suppression(profile_id=profile_id, importer_id=importer_id,
                                      commodity_prefix=commodity_prefix, reason=reason, expires_at=expires_at,
                                      created_by=created_by, created_at=moment)
        except ValidationError as exc:
            raise ProfileStoreError("; ".join(
                (".".join(map(str, e["loc"])) + ": " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
                for e in exc.errors())) from None
        values = suppression.model_dump(exclude={"suppression_id"})
        suppression_id = conn.execute(
            insert(risk_suppressions).values(**values).returning(risk_suppressions.c.suppression_id)
        ).scalar_one()
        _log(conn, profile_id, _published_versions(conn).get(profile_id), "suppressed", suppression.created_by,
             moment, f"{suppression.target()} until {suppression.expires_at:%Y-%m-%d %H:%M}: {suppression.reason}")
    return suppression.model_copy(update={"suppression_id": suppression_id})


def active_suppressions(bind: Bind, at: date | datetime | None = None) -> list[Suppression]:
    """Suppressions in force at ``at`` (default: now; a date means its start)."""
    at = utc_now() if at is None else at if isinstance(at, datetime) else datetime.combine(at, time())
    at = at.replace(tzinfo=None)
    query = (select(risk_suppressions)
             .where(risk_suppressions.c.created_at <= at, risk_suppressions.c.expires_at > at)
             .order_by(risk_suppressions.c.suppression_id))
    with transaction(bind) as conn:
        return [Suppression.model_validate(dict(row._mapping)) for row in conn.execute(query)]


# --- the audit trail of selectivity -----------------------------------------------------------------------------


class OverrideError(Refusal):
    """An override refused: ``code`` says why, ``field`` what it is about."""

    def __init__(self, code: str, message: str, *, field: str | None = None, kind: Kind = Kind.INVALID, **params):
        super().__init__(code, message, field=field, kind=kind, **params)


def record_assessment(bind: Engine | Connection, decided: pd.DataFrame, provenance: dict, actor: str) -> int:
    """Store one assessment run and its decisions in one transaction (the caller's when given a Connection);
    returns the assessment ID."""
    with transaction(bind) as conn:
        return store_assessment(conn, decision_rows(decided), provenance, actor)[0]


DECISION_COLUMNS = ["declaration_id", "lane", "source", "random", "risk_score", "duty_at_risk", "explanation"]
_NEW_ASSESSMENT = insert(assessments).returning(assessments.c.assessment_id, assessments.c.assessed_at)


def decision_rows(decided: pd.DataFrame) -> list[tuple]:
    """An assessment's decisions as the rows store_assessment stores: tuples of DECISION_COLUMNS' values."""
    return list(zip(*(column_values(decided[name]) for name in DECISION_COLUMNS)))


def store_assessment(conn: Connection, rows: list[tuple], provenance: dict, actor: str) -> tuple[int, datetime]:
    """record_assessment in the caller's transaction, of the decisions' rows (decision_rows): returns the
    assessment ID and its time (``assessed_at`` as stored: the time of its decisions)."""
    assessment_id, assessed_at = conn.execute(_NEW_ASSESSMENT, {
        "actor": actor, "settings_version": provenance["settings_version"],
        "settings": json.dumps(provenance["settings"]), "profile_versions": json.dumps(provenance["profiles"]),
        "model_version": provenance.get("model_version"), "declarations": len(rows),
    }).one()
    insert_rows(conn, decisions, [*DECISION_COLUMNS, "assessment_id"], [(*row, assessment_id) for row in rows])
    return assessment_id, assessed_at


def override(engine: Engine, decision_id: int, lane: str, reason: str, officer: str) -> int:
    """Record an officer's override beside the original decision (which stays as it was)."""
    if not reason or len(reason.strip()) < 5:
        raise OverrideError("reason_needed", "an override needs a reason (at least a few words)", field="reason")
    if lane not in ("green", "yellow", "red", "blue"):
        raise OverrideError("lane_unknown", f"unknown lane {lane!r}", field="lane", lane=lane)
    with engine.begin() as conn:
        if conn.execute(select(decisions.c.decision_id).where(decisions.c.decision_id == decision_id)).first() is None:
            raise OverrideError("decision_unknown", f"no decision {decision_id}", kind=Kind.NOT_FOUND,
                                decision_id=decision_id)
        return conn.execute(
            insert(overrides).values(decision_id=decision_id, lane=lane, reason=reason.strip(), officer=officer)
            .returning(overrides.c.override_id)
        ).scalar_one()


def _latest_query(since: datetime | None, ids: list[str] | None):
    last_override = select(overrides.c.decision_id, func.max(overrides.c.override_id).label("override_id"))
    if ids is not None:  # the overrides of these declarations' decisions only
        last_override = last_override.where(overrides.c.decision_id.in_(
            select(decisions.c.decision_id).where(decisions.c.declaration_id.in_(list(ids)))))
    last_override = last_override.group_by(overrides.c.decision_id).subquery()
    query = (
        select(decisions, overrides.c.lane.label("override_lane"), overrides.c.reason.label("override_reason"),
               assessments.c.assessed_at, assessments.c.actor.label("assessed_by"))
        .join(assessments, assessments.c.assessment_id == decisions.c.assessment_id)
        .outerjoin(last_override, last_override.c.decision_id == decisions.c.decision_id)
        .outerjoin(overrides, overrides.c.override_id == last_override.c.override_id)
        .order_by(decisions.c.decision_id)
    )
    if since is not None:
        query = query.where(assessments.c.assessed_at >= since)
    if ids is not None:
        query = query.where(decisions.c.declaration_id.in_(list(ids)))
    return query


def decision(bind: Engine | Connection, decision_id: int) -> dict | None:
    """One decision's row (None: there is no such decision)."""
    with transaction(bind) as conn:
        row = conn.execute(select(decisions).where(decisions.c.decision_id == decision_id)).mappings().first()
    return dict(row) if row else None


def latest_decisions(bind: Engine | Connection, since: datetime | None = None, ids: list[str] | None = None, *,
                     by_declaration: bool = False) -> pd.DataFrame | dict[str, dict]:
    """The newest decision per declaration (of `ids` when given; assessed since `since`), with the lane after
    any override. A frame (columns of ``decisions``; ``lane`` as decided, ``final_lane`` after the last override,
    ``override_lane``, ``override_reason``, ``assessed_at``, ``assessed_by``), or with `by_declaration` a dict
    declaration ID -> its decision as a dict (the same keys), for the few declarations of a request. A Connection
    reads inside the caller's transaction."""
    if by_declaration and ids is not None and not len(ids):
        return {}
    query = _latest_query(since, ids)
    with transaction(bind) as conn:
        if by_declaration:
            latest = {row.declaration_id: row._asdict() for row in conn.execute(query)}
        else:
            frame = pd.read_sql(query, conn)
    if by_declaration:
        for decision in latest.values():
            decision["final_lane"] = decision["override_lane"] or decision["lane"]
        return latest
    frame = frame.drop_duplicates("declaration_id", keep="last")
    frame["final_lane"] = frame["override_lane"].fillna(frame["lane"])
    return frame
