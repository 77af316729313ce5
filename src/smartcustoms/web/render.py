"""Server-rendered pages: the Jinja2 environment (translations, locale-aware filters) and ``render``."""

from datetime import datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from fastapi.templating import Jinja2Templates
from jinja2 import BytecodeCache, Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from smartcustoms import written
from smartcustoms.web import feature_words, i18n, reason_words, words
from smartcustoms.web.auth import secure_cookies
from smartcustoms.web.i18n import COOKIE, LOCALES, locale_of, translations

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
YEAR = 365 * 24 * 3600


def _formats(context) -> str:
    """The locale of numbers and dates: the page's language in the browser's region (en-GB: 07/12/2026, 14:30;
    en-US: 12/7/26, 2:30 PM), written.format_locale."""
    return context.get("formats") or context["locale"]


@pass_context
def _datetime(context, value: datetime | None, length: str = "medium") -> str:
    return "" if value is None else format_datetime(value, length, locale=_formats(context))


@pass_context
def _date(context, value: datetime | None) -> str:
    return "" if value is None else format_date(value, "medium", locale=_formats(context))


@pass_context
def _number(context, value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=_formats(context))


@pass_context
def _percent(context, value: float | None) -> str:
    return "–" if value is None else format_percent(value, format="#,##0.0%", locale=_formats(context))


@pass_context
def _feature(context, key: str) -> str:
    """A model feature's raw key in words (feature_words), in the page's language."""
    return feature_words.feature_label(str(key), context["translations"].gettext)


@pass_context
def _metric(context, key: str) -> str:
    return feature_words.metric_label(str(key), context["translations"].gettext)


def _engine(context):
    risk = getattr(context["request"].app.state, "risk", None)
    return risk.current() if risk is not None else None


def _currency(context) -> str:
    engine = _engine(context)
    screen = engine.screens.get("valuation") if engine is not None else None
    return getattr(screen, "currency", "EUR")


@pass_context
def _hit_criteria(context, hit: dict) -> list[str] | None:
    """A profile hit's criteria in the page's words (reason_words), from the profile in force; None when that
    version is no longer in force (the page shows what was recorded)."""
    engine = _engine(context)
    return reason_words.hit_words(hit, engine.profiles if engine is not None else (),
                                  context["translations"].gettext, _formats(context))


@pass_context
def _below_band(context, items: list[dict]) -> list[str]:
    return reason_words.below_band(items or [], _currency(context), context["translations"].gettext,
                                   _formats(context))


@pass_context
def _coded_reasons(context, reasons) -> list[str] | None:
    """A screen's reasons recorded as codes and parameters, in the page's words; None when there are none (or
    one without words): the page then shows the recorded English text."""
    return reason_words.coded_list(reasons, context["translations"].gettext, _formats(context))


@pass_context
def _coded_reason(context, reason) -> str | None:
    """One reason recorded as a code and parameters (the capacity note), in the page's words; else None."""
    if not isinstance(reason, dict):
        return None
    return reason_words.coded_words(reason, context["translations"].gettext, _formats(context))


@pass_context
def _draft_criteria(context, text: str) -> dict[str, list[str]]:
    """The criteria of each profile of a YAML text, in the page's words ({} when the text does not parse)."""
    from smartcustoms.risk.service import ProfileError, parse_profiles

    try:
        drafts = parse_profiles(text or "", "draft")
    except ProfileError:
        return {}
    gettext, formats = context["translations"].gettext, _formats(context)
    return {p.profile_id: reason_words.profile_words(p, gettext, formats) for p in drafts}


@pass_context
def _price_unit(context, item: dict) -> str:
    """An item's unit price unit in the page's words: EUR/item, EUR/article."""
    return f"{_currency(context)}/{reason_words.unit_words(item.get('quantity_unit'), context['translations'].gettext)}"


@pass_context
def _query_suggestion(context, items: list[dict]) -> str:
    return reason_words.query_suggestion(items or [], _currency(context), context["translations"].gettext,
                                         _formats(context))


@pass_context
def _path_for(context, name: str, **params) -> str:
    """The path of a route (never an absolute URL: behind a TLS proxy that would name the wrong scheme)."""
    return str(context["request"].app.url_path_for(name, **params))


class _CompiledInMemory(BytecodeCache):
    """The templates' compiled code, kept for the process: every environment make_templates builds (one per app: a
    process that builds several apps, as the tests and the benchmarks do) compiles each template once, not once per
    app. Jinja checks each entry against the template's source (a changed file is compiled again)."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


_COMPILED = _CompiledInMemory()  # the environments below are built alike, so their compiled code is the same


def make_templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, bytecode_cache=_COMPILED)
    i18n.install(env)
    env.filters.update(datetime=_datetime, date=_date, number=_number, percent=_percent)
    env.filters.update(feature=_feature, metric=_metric)
    env.globals.update(hit_criteria=_hit_criteria, below_band=_below_band, query_suggestion=_query_suggestion,
                       price_unit=_price_unit, draft_criteria=_draft_criteria, coded_reasons=_coded_reasons,
                       coded_reason=_coded_reason)
    env.globals.update(labels=words, locales=LOCALES, language_names=LANGUAGE_NAMES, path_for=_path_for)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> Response:
    """A page in the request's language, for the signed-in user (if any); ``?lang=`` is remembered in a cookie."""
    locale = locale_of(request)
    found = getattr(request.state, "principal", None)
    formats = written.format_locale(locale, request.headers.get("accept-language"))
    values = {"translations": translations(locale), "locale": locale, "formats": formats,
              "user": found.user if found else None,
              "csrf_token": found.csrf if found else None, **(context or {})}
    response = request.app.state.templates.TemplateResponse(request, name, values, status_code=status_code)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(COOKIE, locale, max_age=YEAR, httponly=True, samesite="lax",
                            secure=secure_cookies(request))
    response.headers["Cache-Control"] = "no-store"
    return response
