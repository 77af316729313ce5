"""Translations: gettext catalogues compiled from the .po files at load time (no binary files in the
repository), the locale of a request, and the gettext callables of the templates."""

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from markupsafe import Markup, escape
from starlette.requests import Request

LOCALES = ("en", "fr")  # the WCO's two official languages
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locales"
COOKIE = "sc_lang"


def N_(message: str) -> str:  # noqa: N802 - the usual name of the no-op marker that extraction looks for
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def po_paths(locale: str) -> list[Path]:
    """A locale's catalogues: one .po file per area of the web (messages.po, officer.po, ...), merged at load."""
    return sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))


def read_catalogues(locale: str) -> list:
    catalogues = []
    for path in po_paths(locale):
        with path.open("rb") as source:
            catalogues.append(read_po(source, locale=locale))
    return catalogues


@lru_cache
def translations(locale: str) -> Translations:
    """The catalogues of a locale, compiled in memory from its .po files and merged into one."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}: use one of {', '.join(LOCALES)}")
    merged = None
    for catalog in read_catalogues(locale):
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(fp=compiled)
        merged = part if merged is None else merged.merge(part)
    return merged if merged is not None else Translations()


def _accepted(header: str) -> list[str]:
    """Languages of an Accept-Language header, most wanted first."""
    wanted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(wanted)]


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= first, then the cookie, then the browser's languages, then English."""
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    for tag in _accepted(accept_language or ""):
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


def locale_of(request: Request) -> str:
    if not hasattr(request.state, "locale"):
        request.state.locale = negotiate(request.query_params.get("lang"), request.cookies.get(COOKIE),
                                         request.headers.get("accept-language"))
    return request.state.locale


def formats_of(request: Request) -> str:
    """The locale of numbers and dates for a request: its language in the browser's region (written.format_locale:
    en-GB, en-US, fr-FR...)."""
    from smartcustoms import written

    return written.format_locale(locale_of(request), request.headers.get("accept-language"))


def gettext(request: Request, message: str) -> str:
    return translations(locale_of(request)).gettext(message)


@pass_context
def _template_gettext(context, message: str) -> str:
    return context["translations"].gettext(message)


@lru_cache
def known_messages() -> frozenset[str]:
    """Every message of the catalogues (translated or not), in any locale: the texts of the source."""
    known = set()
    for locale in LOCALES:
        for catalog in read_catalogues(locale):
            for message in catalog:
                known.update([message.id] if isinstance(message.id, str) else message.id)
    known.discard("")
    return frozenset(known)


@pass_context
def _safe_gettext(context, message, **variables) -> Markup:
    """The templates' ``_()`` and ``gettext()``, escaping by construction (issue 14). A message of the catalogues
    is translated, marked safe and %-formatted with its (escaped) variables, as Jinja's new-style gettext does;
    anything else, such as a stored value given as the fallback of a lookup (``_(labels.X.get(v, v))``), is
    text: escaped, never %-formatted (``100%d`` stays ``100%d``, ``<b>`` stays ``&lt;b&gt;``)."""
    message = "" if message is None else str(message)
    if not variables and message not in known_messages():
        return escape(message)
    translated = Markup(context["translations"].gettext(message))
    try:
        return translated % variables
    except (KeyError, TypeError, ValueError):  # a stored value that reads like a message with placeholders
        return escape(message)


@pass_context
def _template_ngettext(context, singular: str, plural: str, n: int) -> str:
    return context["translations"].ngettext(singular, plural, n)


@pass_context
def _template_tr(context, message: str) -> str:
    """A message known only at run time (an error message), translated if the catalogue has it; never
    %-formatted, so a stray % in it is harmless."""
    return context["translations"].gettext(message)


def install(env: Environment) -> None:
    """`_()`, `gettext()`, `ngettext()` and `{% trans %}` in templates, translated into the locale of the request
    being rendered (its catalogue is the context's ``translations``); `tr()` for run-time messages."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
    env.globals["gettext"] = env.globals["_"] = _safe_gettext  # escaping by construction: see there
    env.globals["tr"] = _template_tr
