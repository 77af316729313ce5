"""The analyst console (pages): risk profiles (draft, preview on past data, commit, approve, publish, retire,
suppress), the model registry (promote, roll back, drift) and the KPI dashboard with its charts.

Roles (see ``presenters``): analysts, supervisors and admins read profiles and models and write drafts;
supervisors and admins approve (never a version they wrote), publish, retire, suppress, promote and roll back;
officers read the KPIs of their own offices. Traders get 403 everywhere here.
"""

from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.control.service import KpiError
from smartcustoms.risk import service as profile_store
from smartcustoms.risk.service import ProfileError
from smartcustoms.settings import get_settings
from smartcustoms.store.db import utc_now
from smartcustoms.targeting import service as targeting
from smartcustoms.web.analyst import presenters as views
from smartcustoms.web.analyst import preview_jobs
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.errors import Invalid, NotFound
from smartcustoms.web.i18n import N_, locale_of, translations
from smartcustoms.web.render import render

router = APIRouter(prefix="/analyst", include_in_schema=False)
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Profile version.")]
Viewer = Annotated[User, require_page(*views.VIEWERS)]
Author = Annotated[User, require_page(*views.AUTHORS)]
Checker = Annotated[User, require_page(*views.CHECKERS)]
KpiReader = Annotated[User, require_page(*views.KPI_READERS)]
INLINE_WAIT_S = 1.0  # a preview done within this answers the form itself; a longer one shows its progress
DONE = {  # ?done= after a step -> what the page says
    "committed": N_("Committed: the version now awaits the approval of a second person."),
    "approved": N_("Approved: the version may now be published."),
    "published": N_("Published: new declarations are assessed with it from now on."),
    "retired": N_("Retired: the profile selects nothing from now on."),
    "suppressed": N_("Suppressed: the profile selects nothing for that target until the day given."),
    "promoted": N_("Promoted: the model is the champion."),
    "rolled_back": N_("Rolled back: the previous champion is the champion again."),
}


def _form_text(form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _field_errors(exc: Invalid) -> dict[str, str]:
    return {str(p["loc"][-1]): p["msg"] for p in exc.problems}


# --- profiles -----------------------------------------------------------------------------------------------------


@router.get("/profiles", name="analyst_profiles")
def profiles(request: Request, user: Viewer, db: Db):
    return render(request, "analyst/profiles.html", {
        "rows": views.profile_rows(db), "views": views, "committed": request.query_params.get("committed")})


def _editor(request: Request, values: dict, *, problems: list | None = None, errors: dict | None = None,
            figures: dict | None = None, notice: str | None = None, status_code: int = 200, job=None):
    return render(request, "analyst/editor.html", {
        "values": values, "problems": problems or [], "errors": errors or {}, "figures": figures,
        "notice": notice, "views": views, "fields": views.field_help(), "keys": views.PROFILE_KEYS, "job": job,
    }, status_code)


def _default_period(db) -> dict:
    """The last REPLAY_DAYS days that hold declarations: up to the latest one stored (today's world or not)."""
    since, until = views.period(None, views.latest_day(db), default_days=views.REPLAY_DAYS)
    return {"since": since.isoformat(), "until": until.isoformat()}


@router.get("/profiles/new", name="analyst_profile_new")
def new_profile(request: Request, user: Author, db: Db):
    return _editor(request, {"yaml": views.EXAMPLE, **_default_period(db)})


@router.post("/profiles/new")
async def submit_profile(request: Request, user: Author, db: Db):
    form = await request.form()
    text = form.get("yaml") if isinstance(form.get("yaml"), str) else ""
    values = {"yaml": text, "since": _form_text(form, "since"), "until": _form_text(form, "until")}
    if not text.strip():
        return _editor(request, values, problems=[{"line": None, "text": None,
                                                   "reason": N_("Write at least one profile.")}], status_code=422)
    if form.get("action") == "commit":
        try:
            created = await run_in_threadpool(profile_store.commit_sources, db, [(text, views.SOURCE)], user.username)
        except ProfileError as exc:
            return _editor(request, values, problems=views.problems_of(exc, text), status_code=422)
        except profile_store.ProfileStoreError as exc:
            return _editor(request, values, problems=[{"line": None, "text": None, "reason": str(exc)}],
                           status_code=409)
        if not created:
            return _editor(request, values, notice=N_("Nothing was committed: every profile of the text equals its "
                                                      "latest version."))
        if len(created) == 1:
            profile_id, version = created[0]
            target = request.app.url_path_for("analyst_profile", profile_id=profile_id)
            return RedirectResponse(f"{target}?done=committed&version={version}", 303)
        return RedirectResponse(request.app.url_path_for("analyst_profiles") + f"?committed={len(created)}", 303)
    try:
        since, until = views.period(views.parse_day(values["since"], "since"),
                                    views.parse_day(values["until"], "until"), default_days=views.REPLAY_DAYS)
    except Invalid as exc:
        return _editor(request, values, errors=_field_errors(exc), status_code=422)
    config = request.app.state.risk.config

    def work(job: preview_jobs.PreviewJob) -> None:  # in a thread of its own: the page follows it
        try:
            job.figures = views.run_replay(db, config, text, since, until)
        except ProfileError as exc:
            job.problems = views.problems_of(exc, text)
            return
        if job.figures is None:
            job.notice = N_("No declaration was accepted in this period: choose another.")

    job = preview_jobs.jobs_of(request.app).start(user.username, values, work)
    wait = getattr(request.app.state, "preview_inline_wait_s", None)
    if await run_in_threadpool(job.done.wait, INLINE_WAIT_S if wait is None else wait):  # a quick one: at once
        return _preview_page(request, job)
    return RedirectResponse(request.app.url_path_for("analyst_preview", job_id=job.job_id), 303)


@router.get("/profiles/preview/{job_id}", name="analyst_preview")
def preview(request: Request, job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")], user: Author):
    """A preview's page: its progress while it runs (the page reloads itself), then its figures."""
    job = preview_jobs.jobs_of(request.app).get(job_id, user.username)
    if job is None:
        raise NotFound(f"no preview {job_id}")
    return _preview_page(request, job)


def _preview_page(request: Request, job: preview_jobs.PreviewJob):
    if job.running:
        return _editor(request, job.values, job=job)
    if job.error:
        return _editor(request, job.values, problems=[{"line": None, "text": None, "reason": job.error}],
                       status_code=500)
    if job.problems:
        return _editor(request, job.values, problems=job.problems, status_code=422)
    return _editor(request, job.values, figures=job.figures, notice=job.notice, job=job)


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _profile_page(request: Request, db, user: User, profile_id: str, *, error: str | None = None,
                  errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    found = views.profile_detail(db, profile_id)
    if found is None:
        raise NotFound(f"no profile {profile_id}")
    return render(request, "analyst/profile.html", {
        "p": found, "views": views, "error": error, "errors": errors or {}, "values": values or {},
        "done": _done(request), "checker": user.role in views.CHECKERS,
    }, status_code)


@router.get("/profiles/{profile_id}", name="analyst_profile")
def profile(request: Request, profile_id: str, user: Viewer, db: Db):
    return _profile_page(request, db, user, profile_id)


async def _step(request: Request, db, user: User, profile_id: str, version: int | None, done: str, action, *,
                values: dict | None = None):
    """Run one step of the profile's life; on success back to its page (and the risk engine takes the profiles
    published now when the step changed them); a refusal is shown on the page."""
    if version is not None and not await run_in_threadpool(views.version_exists, db, profile_id, version):
        raise NotFound(f"{profile_id} has no version {version}")
    refused, status = None, 200
    try:
        await run_in_threadpool(action)
    except profile_store.MakerCheckerError as exc:  # the author may not approve: a second person must
        refused, status = str(exc), 403
    except profile_store.ProfileStoreError as exc:
        refused, status = str(exc), 409
    if refused is not None:
        return await run_in_threadpool(lambda: _profile_page(request, db, user, profile_id, error=refused,
                                                             values=values, status_code=status))
    if done in ("published", "retired", "suppressed"):
        await run_in_threadpool(request.app.state.risk.reload_profiles)
    target = request.app.url_path_for("analyst_profile", profile_id=profile_id)
    return RedirectResponse(f"{target}?done={done}", 303)


@router.post("/profiles/{profile_id}/versions/{version}/approve", name="analyst_profile_approve")
async def approve(request: Request, profile_id: str, version: VersionPath, user: Checker, db: Db):
    note = _form_text(await request.form(), "note") or None
    return await _step(request, db, user, profile_id, version, "approved",
                       lambda: profile_store.approve(db, profile_id, version, user.username, note=note))


@router.post("/profiles/{profile_id}/versions/{version}/publish", name="analyst_profile_publish")
async def publish(request: Request, profile_id: str, version: VersionPath, user: Checker, db: Db):
    note = _form_text(await request.form(), "note") or None
    return await _step(request, db, user, profile_id, version, "published",
                       lambda: profile_store.publish(db, profile_id, version, user.username, note=note))


def _retire(db, profile_id: str, version: int, actor: str, reason: str) -> None:
    published = {s.profile_id: s.published for s in profile_store.profile_summaries(db)}.get(profile_id)
    if published != version:
        raise profile_store.ProfileStoreError(
            f"{profile_id} version {version} is not the published version" +
            (f" (version {published} is)" if published else " (none is published)"))
    profile_store.retire(db, profile_id, actor, reason)


@router.post("/profiles/{profile_id}/versions/{version}/retire", name="analyst_profile_retire")
async def retire(request: Request, profile_id: str, version: VersionPath, user: Checker, db: Db):
    reason = _form_text(await request.form(), "reason")
    if not reason:
        if not await run_in_threadpool(views.version_exists, db, profile_id, version):
            raise NotFound(f"{profile_id} has no version {version}")
        return await run_in_threadpool(lambda: _profile_page(
            request, db, user, profile_id, errors={"retire-reason": N_("Say why the profile is retired.")},
            status_code=422))
    return await _step(request, db, user, profile_id, version, "retired",
                       lambda: _retire(db, profile_id, version, user.username, reason),
                       values={"retire-reason": reason})


@router.post("/profiles/{profile_id}/suppress", name="analyst_profile_suppress")
async def suppress(request: Request, profile_id: str, user: Checker, db: Db):
    form = await request.form()
    values = {name: _form_text(form, name) for name in ("importer", "commodity", "until", "reason")}
    errors: dict[str, str] = {}
    if bool(values["importer"]) == bool(values["commodity"]):
        errors["importer"] = N_("Give either an importer ID or a commodity code prefix, not both.")
    elif values["commodity"] and not (values["commodity"].isdigit() and 2 <= len(values["commodity"]) <= 10):
        errors["commodity"] = N_("A commodity code prefix is 2 to 10 digits.")
    try:
        until = views.parse_day(values["until"], "until")
        if until is None:
            errors["until"] = N_("Enter the last day of the suppression.")
        elif until < utc_now().date():
            errors["until"] = N_("Choose a day from today on.")
    except Invalid as exc:
        errors.update(_field_errors(exc))
    if not values["reason"]:
        errors["reason"] = N_("Say why the profile is suppressed.")
    shown = {f"suppress-{name}": value for name, value in values.items()}
    if errors:
        return await run_in_threadpool(lambda: _profile_page(
            request, db, user, profile_id, errors={f"suppress-{name}": text for name, text in errors.items()},
            values=shown, status_code=422))
    expires = datetime.combine(until + timedelta(days=1), time())
    return await _step(request, db, user, profile_id, None, "suppressed", lambda: profile_store.add_suppression(
        db, profile_id, reason=values["reason"], expires_at=expires, created_by=user.username,
        importer_id=values["importer"] or None, commodity_prefix=values["commodity"] or None), values=shown)


# --- models -------------------------------------------------------------------------------------------------------


def _models_page(request: Request, db, user: User, *, error: str | None = None, status_code: int = 200):
    return render(request, "analyst/models.html", {
        "rows": views.model_rows(db), "events": views.model_events(db), "views": views, "error": error,
        "done": _done(request), "checker": user.role in views.CHECKERS,
        "rollback_to": views.rollback_target(db),  # "Roll back" only with an earlier champion
    }, status_code)


@router.get("/models", name="analyst_models")
def models(request: Request, user: Viewer, db: Db):
    return _models_page(request, db, user)


async def _model_step(request: Request, db, user: User, done: str, action):
    try:
        await run_in_threadpool(action)
    except targeting.RegistryError as exc:
        refused = str(exc)
        return await run_in_threadpool(lambda: _models_page(request, db, user, error=refused, status_code=409))
    return RedirectResponse(request.app.url_path_for("analyst_models") + f"?done={done}", 303)


@router.post("/models/rollback", name="analyst_model_rollback")
async def rollback(request: Request, user: Checker, db: Db):
    note = _form_text(await request.form(), "note") or None
    return await _model_step(request, db, user, "rolled_back", lambda: targeting.rollback(db, user.username, note=note))


@router.post("/models/{model_id}/promote", name="analyst_model_promote")
async def promote(request: Request, model_id: str, user: Checker, db: Db):
    note = _form_text(await request.form(), "note") or None
    try:
        await run_in_threadpool(targeting.get_model, db, model_id)
    except targeting.RegistryError:
        raise NotFound(f"no model {model_id}") from None
    return await _model_step(request, db, user, "promoted",
                             lambda: targeting.promote(db, model_id, user.username, note=note))


@router.get("/models/drift", name="analyst_model_drift")
def model_drift(request: Request, user: Viewer, db: Db):
    try:
        report, error = views.drift(db), None
    except targeting.RegistryError as exc:
        report, error = None, str(exc)
    return render(request, "analyst/drift.html", {"report": report, "error": error, "views": views})


# --- KPIs ---------------------------------------------------------------------------------------------------------


def _kpi_filter(user: User, since: str | None, until: str | None, office: str | None):
    """(since, until, office) of a KPI query, checked: Invalid for bad dates, Forbidden for another office."""
    first, last = views.period(views.parse_day(since, "since"), views.parse_day(until, "until"))
    return first, last, views.kpi_office(user, office)


@router.get("/kpis", name="analyst_kpis")
def kpis_page(request: Request, user: KpiReader, db: Db, since: str | None = None, until: str | None = None,
              office: str | None = None):
    values = {"since": since or "", "until": until or "", "office": office or ""}
    context = {"values": values, "offices": views.offices(db, user), "views": views, "errors": {}, "tables": None}
    try:
        first, last, chosen = _kpi_filter(user, since, until, office)
        loaded = views.kpi_frames(db, first, last, chosen)
    except Invalid as exc:
        return render(request, "analyst/kpis.html", {**context, "errors": _field_errors(exc)}, 422)
    except KpiError as exc:
        return render(request, "analyst/kpis.html", {**context, "errors": {"until": str(exc)}}, 422)
    values["office"] = chosen or ""
    currency = get_settings().national_currency
    locale = locale_of(request)
    gettext = translations(locale).gettext
    query = urlencode([(k, str(v)) for k, v in (("since", first), ("until", last), ("office", chosen)) if v])
    charts = [{"name": name, "title": views.CHART_TITLES[name],
               "src": request.app.url_path_for("analyst_kpi_chart", name=name) + (f"?{query}" if query else ""),
               "alt": views.chart_alt(name, loaded["tables"], gettext, locale, currency)} for name in views.CHARTS]
    exports = {fmt: request.app.url_path_for("analyst_kpi_export", fmt=fmt) + (f"?{query}" if query else "")
               for fmt in ("csv", "xlsx")}
    return render(request, "analyst/kpis.html", {
        **context, "tables": loaded["tables"], "rows": views.kpi_tables(loaded["tables"]), "charts": charts,
        "currency": currency, "empty": loaded["frames"]["clearance"].empty, "exports": exports})


@router.get("/kpis/export.{fmt}", name="analyst_kpi_export")
def kpi_export(fmt: Literal["csv", "xlsx"], user: KpiReader, db: Db, since: str | None = None,
               until: str | None = None, office: str | None = None):
    """Every KPI table of the report as one file: CSV (the tables one after the other) or XLSX (a sheet each)."""
    from smartcustoms.exports import FORMATS, export

    first, last, chosen = _kpi_filter(user, since, until, office)
    try:
        loaded = views.kpi_frames(db, first, last, chosen)
    except KpiError as exc:
        raise Invalid([{"loc": ["query", "until"], "msg": str(exc), "type": "period"}]) from None
    name = f"kpis-{first or 'start'}-{last or 'today'}{'-' + chosen if chosen else ''}.{fmt}"
    return Response(export(loaded["tables"], fmt), media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/kpis/charts/{name}.svg", name="analyst_kpi_chart")
def kpi_chart(name: str, user: KpiReader, db: Db, since: str | None = None, until: str | None = None,
              office: str | None = None):
    if name not in views.CHARTS:
        raise NotFound(f"no chart {name}")
    first, last, chosen = _kpi_filter(user, since, until, office)
    try:
        loaded = views.kpi_frames(db, first, last, chosen)
    except KpiError as exc:
        raise Invalid([{"loc": ["query", "until"], "msg": str(exc), "type": "period"}]) from None
    content = views.chart(name, loaded["frames"], loaded["tables"], get_settings().national_currency)
    return Response(content, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
