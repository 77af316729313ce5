"""/api/v1/profiles, /api/v1/models, /api/v1/kpis: the analyst console for systems.

Roles (``presenters``): analysts, supervisors and admins read profiles and models, replay and commit
profiles; supervisors and admins approve (never a version they wrote: 403), publish and retire profiles, promote
and roll back models; officers, analysts, supervisors and admins read the KPIs (officers: of their own offices).
"""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from smartcustoms.accounts.service import User
from smartcustoms.control.service import KpiError
from smartcustoms.risk import service as profile_store
from smartcustoms.risk.service import ProfileError
from smartcustoms.settings import get_settings
from smartcustoms.targeting import service as targeting
from smartcustoms.web.analyst import presenters as views
from smartcustoms.web.deps import Db, require
from smartcustoms.web.errors import Conflict, Forbidden, Invalid, NotFound
from smartcustoms.web.schemas import ERRORS

router = APIRouter(prefix="/api/v1", responses=ERRORS)
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Profile version.")]
Viewer = Annotated[User, require(*views.VIEWERS)]
Author = Annotated[User, require(*views.AUTHORS)]
Checker = Annotated[User, require(*views.CHECKERS)]
KpiReader = Annotated[User, require(*views.KPI_READERS)]
MAX_YAML = 200_000


# --- schemas ------------------------------------------------------------------------------------------------------


class ProfileText(BaseModel):
    yaml: str = Field(min_length=1, max_length=MAX_YAML,
                      description="one profile (a mapping) or several (a list), as `smartcustoms risk profiles "
                                  "commit` reads them")


class ReplayRequest(ProfileText):
    since: date | None = Field(None, description="first day of the replayed period (default: 30 days before until)")
    until: date | None = Field(None, description="last day of the replayed period, included (default: today)")


class Note(BaseModel):
    note: str | None = Field(None, max_length=1000, description="for the publication log")


class RetireRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why the profile is withdrawn")


class Performance(BaseModel):
    selections: int
    controls: int
    hits: int
    hit_rate: float | None
    duty_recovered: float
    duty_per_control: float | None
    last_hit: datetime | None
    suggest_retire: bool
    why: str


class ProfileSummary(BaseModel):
    profile_id: str
    title: str
    versions: int
    latest: int
    latest_state: str = Field(description="committed | approved | published | retired")
    published: int | None = Field(description="the version in force, if any")
    lane: str
    mode: str = Field(description="active | shadow")
    owner: str
    performance: Performance | None


class Version(BaseModel):
    version: int
    state: str = Field(description="committed | approved | published | superseded | retired")
    title: str
    lane: str
    mode: str
    weight: float
    force: bool
    owner: str
    criteria: str
    yaml: str
    author: str | None
    committed_at: datetime | None
    approved_by: str | None


class LogEntry(BaseModel):
    at: datetime
    version: int | None
    action: str = Field(description="committed | approved | published | retired | suppressed")
    actor: str
    note: str | None


class SuppressionInfo(BaseModel):
    suppression_id: int | None
    target: str
    importer_id: str | None
    commodity_prefix: str | None
    reason: str
    expires_at: datetime
    created_by: str
    created_at: datetime | None


class ProfileDetail(BaseModel):
    profile_id: str
    title: str
    lane: str
    mode: str
    owner: str
    published: int | None
    latest: int
    latest_state: str
    versions: list[Version] = Field(description="newest first")
    log: list[LogEntry] = Field(description="newest first")
    suppressions: list[SuppressionInfo] = Field(description="in force now")
    performance: Performance | None


class CommittedVersion(BaseModel):
    profile_id: str
    version: int


class Committed(BaseModel):
    created: list[CommittedVersion] = Field(description="the new versions; empty when nothing changed")


class DraftInfo(BaseModel):
    profile_id: str
    lane: str
    mode: str
    criteria: str


class LaneFigures(BaseModel):
    lane: str
    published: int = Field(description="declarations given this lane with the published profiles")
    draft: int = Field(description="... with the drafts instead")
    capacity: int | None = Field(description="the lane's capacity summed over the offices and days (None: no limit)")
    over_capacity: bool


class Metrics(BaseModel):
    variant: str = Field(description="published | draft")
    selected: int = Field(description="declarations sent to yellow or red")
    with_outcome: int
    hits: int
    precision: float | None
    recall: float | None
    expected_hits: float | None
    duty_at_risk: float
    duty_recovered: float


class DraftFigures(BaseModel):
    profile_id: str
    mode: str
    declarations_hit: int
    with_outcome: int
    hits: int


class Replay(BaseModel):
    since: date
    until: date
    declarations: int
    drafts: list[DraftInfo]
    lanes: list[LaneFigures]
    metrics: list[Metrics]
    changes: list[dict[str, Any]] = Field(description="per published lane: how many move to each draft lane")
    profiles: list[DraftFigures]


class ModelInfo(BaseModel):
    model_id: str
    label: str
    status: str = Field(description="champion | challenger | registered | retired")
    model_version: str | None
    created_at: datetime
    created_by: str
    window_start: datetime | None
    window_end: datetime | None
    features: list[str]
    metrics: dict[str, Any]


class ChampionChange(BaseModel):
    champion: str
    replaced: str | None = None


class KpiReport(BaseModel):
    since: date | None
    until: date | None
    office: str | None
    currency: str
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="release_times, lanes_per_day, control_times, hit_rates, model_share, revenue_by_source, "
                    "revenue_by_office, revenue_by_month, revenue_by_month_and_source, weekly_hit_rates: the "
                    "tables of `smartcustoms kpi`")


# --- profiles -----------------------------------------------------------------------------------------------------


def _detail(db, profile_id: str) -> dict:
    found = views.profile_detail(db, profile_id)
    if found is None:
        raise NotFound(f"no profile {profile_id}", loc=["path", "profile_id"])
    return found


def _version(db, profile_id: str, version: int) -> None:
    if not views.version_exists(db, profile_id, version):
        raise NotFound(f"{profile_id} has no version {version}", loc=["path", "version"])


def _refused(exc: profile_store.ProfileStoreError):
    if isinstance(exc, profile_store.MakerCheckerError):
        return Forbidden(str(exc))
    return Conflict(str(exc))


@router.get("/profiles", response_model=list[ProfileSummary], tags=["profiles"])
def list_profiles(user: Viewer, db: Db):
    """Every risk profile: versions, the latest version's state, the published version, lane, mode, owner, and its
    performance (selections, controls, hits, hit rate, duty recovered per control, retirement suggestion)."""
    return views.profile_rows(db)


@router.post("/profiles/replay", response_model=Replay, tags=["profiles"])
def replay_profiles(body: ReplayRequest, user: Author, db: Db, request: Request):
    """Replay draft profiles over the declarations accepted in a period, beside the published profiles, against
    capacity and the recorded outcomes; writes nothing. 422 with the line of each problem of the YAML."""
    since, until = views.period(body.since, body.until, ("body",), default_days=views.REPLAY_DAYS)
    try:
        figures = views.run_replay(db, request.app.state.risk.config, body.yaml, since, until)
    except ProfileError as exc:
        raise views.yaml_invalid(exc, body.yaml) from None
    if figures is None:
        raise Invalid([{"loc": ["body", "since"], "msg": f"no declaration was accepted from {since} to {until}",
                        "type": "empty_period"}])
    return figures


@router.get("/profiles/{profile_id}", response_model=ProfileDetail, tags=["profiles"])
def get_profile(profile_id: str, user: Viewer, db: Db):
    """A profile: its versions (newest first, with their YAML, author and state), its log, the suppressions in
    force and its performance."""
    return _detail(db, profile_id)


@router.post("/profiles", response_model=Committed, status_code=201, tags=["profiles"],
             responses={200: {"model": Committed, "description": "nothing changed: every profile equals its "
                                                                 "latest version (nothing is written)"}})
def commit_profiles(body: ProfileText, user: Author, db: Db, response: Response):
    """Commit profiles (YAML) as the caller: each new or changed profile becomes a new version that awaits the
    approval of a second person. Invalid YAML: 422, one item per problem with its line."""
    try:
        created = profile_store.commit_sources(db, [(body.yaml, views.SOURCE)], user.username)
    except ProfileError as exc:
        raise views.yaml_invalid(exc, body.yaml) from None
    except profile_store.ProfileStoreError as exc:
        raise Conflict(str(exc)) from None
    response.status_code = 201 if created else 200
    return {"created": [{"profile_id": p, "version": v} for p, v in created]}


@router.post("/profiles/{profile_id}/versions/{version}/approve", response_model=ProfileDetail, tags=["profiles"])
def approve_profile(profile_id: str, version: VersionPath, user: Checker, db: Db, body: Note | None = None):
    """Approve a committed version. Its author may not (403: a second person must)."""
    _version(db, profile_id, version)
    try:
        profile_store.approve(db, profile_id, version, user.username, note=body.note if body else None)
    except profile_store.ProfileStoreError as exc:
        raise _refused(exc) from None
    return _detail(db, profile_id)


@router.post("/profiles/{profile_id}/versions/{version}/publish", response_model=ProfileDetail, tags=["profiles"])
def publish_profile(profile_id: str, version: VersionPath, user: Checker, db: Db, request: Request,
                    body: Note | None = None):
    """Publish an approved version: new declarations are assessed with it from now on (the server's risk engine
    takes it at once)."""
    _version(db, profile_id, version)
    try:
        profile_store.publish(db, profile_id, version, user.username, note=body.note if body else None)
    except profile_store.ProfileStoreError as exc:
        raise _refused(exc) from None
    request.app.state.risk.reload_profiles()
    return _detail(db, profile_id)


@router.post("/profiles/{profile_id}/versions/{version}/retire", response_model=ProfileDetail, tags=["profiles"])
def retire_profile(profile_id: str, version: VersionPath, body: RetireRequest, user: Checker, db: Db, request: Request):
    """Withdraw the published version (it must be `version`): the profile selects nothing from now on."""
    _version(db, profile_id, version)
    published = _detail(db, profile_id)["published"]
    if published != version:
        raise Conflict(f"{profile_id} version {version} is not the published version"
                       + (f" (version {published} is)" if published else " (none is published)"))
    try:
        profile_store.retire(db, profile_id, user.username, body.reason)
    except profile_store.ProfileStoreError as exc:
        raise _refused(exc) from None
    request.app.state.risk.reload_profiles()
    return _detail(db, profile_id)


# --- models -------------------------------------------------------------------------------------------------------


@router.get("/models", response_model=list[ModelInfo], tags=["models"])
def list_models(user: Viewer, db: Db):
    """The model registry, newest first: status (champion, challenger, registered, retired), training window,
    features and metrics."""
    return views.model_rows(db)


@router.post("/models/rollback", response_model=ChampionChange, tags=["models"])
def rollback_model(user: Checker, db: Db, body: Note | None = None):
    """Bring back the champion before the current one; the current one is retired. 409 when there is none."""
    try:
        restored = targeting.rollback(db, user.username, note=body.note if body else None)
    except targeting.RegistryError as exc:
        raise Conflict(str(exc)) from None
    return {"champion": restored}


@router.post("/models/{model_id}/promote", response_model=ChampionChange, tags=["models"])
def promote_model(model_id: str, user: Checker, db: Db, body: Note | None = None):
    """Make a challenger (or registered) model the champion; the old champion is retired (it can come back with
    a rollback)."""
    try:
        targeting.get_model(db, model_id)
    except targeting.RegistryError:
        raise NotFound(f"no model {model_id}", loc=["path", "model_id"]) from None
    try:
        old = targeting.promote(db, model_id, user.username, note=body.note if body else None)
    except targeting.RegistryError as exc:
        raise Conflict(str(exc)) from None
    return {"champion": model_id, "replaced": old}


# --- KPIs ---------------------------------------------------------------------------------------------------------


@router.get("/kpis", response_model=KpiReport, tags=["kpis"])
def kpis(user: KpiReader, db: Db, since: Annotated[date | None, Query(description="first day (included)")] = None,
         until: Annotated[date | None, Query(description="last day (included)")] = None,
         office: Annotated[str | None, Query(max_length=35, description="one office (officers: one of theirs; "
                                                                        "default their first)")] = None):
    """The KPI tables of `smartcustoms kpi` for the declarations lodged in a period (and an office): release times
    (WCO Time Release Study), control times by mode, hit rate by selection source, the models' share of the
    selections, revenue recovered by source, office and month."""
    since, until = views.period(since, until, ("query",))
    office = views.kpi_office(user, office)
    try:
        loaded = views.kpi_frames(db, since, until, office)
    except KpiError as exc:
        raise Invalid([{"loc": ["query", "until"], "msg": str(exc), "type": "period"}]) from None
    tables = views.json_ready(views.kpi_tables(loaded["tables"]))
    return {"since": since, "until": until, "office": office, "currency": get_settings().national_currency,
            "tables": tables}
