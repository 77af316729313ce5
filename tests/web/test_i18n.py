"""Translations: every message of the web is in the catalogues, and French is complete."""

import re

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg

from smartcustoms.web import i18n

WEB = i18n.LOCALE_DIR.parent
# the words of the domains that the web translates (docs/web.md): the control modes, the units of quantity
DOMAIN_WORDS = [WEB.parent / "control" / "modes.py", WEB.parent / "reference" / "units.py"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(locale: str) -> list:
    """Every message of a locale's .po files (one file per area of the web)."""
    return [message for part in i18n.read_catalogues(locale) for message in part]


def test_every_area_has_a_catalogue_in_both_languages():
    for locale in i18n.LOCALES:
        assert [p.name for p in i18n.po_paths(locale)] == [p.name for p in i18n.po_paths("en")]


def source_messages() -> set:
    with (WEB / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = {message for _, _, message, *_ in extract_from_dir(WEB, method_map, options_map)}
    for path in DOMAIN_WORDS:
        messages |= {message for _, message, *_ in extract_from_file("python", path)}
    return messages


def test_every_message_of_the_sources_is_in_both_catalogues():
    messages = source_messages()
    assert len(messages) > 150  # the extraction really ran over templates and code
    assert {"physical (on site)", "desk", "1000 items"} <= messages  # and over the domains' words
    for locale in i18n.LOCALES:
        known = {m.id for m in catalogue(locale) if m.id}
        assert not messages - known, f"{locale}: run pybabel extract/update (docs/web.md): {messages - known}"


def test_french_is_complete_and_keeps_the_placeholders():
    french = [m for m in catalogue("fr") if m.id]
    assert len(french) > 150
    for message in french:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"no French for {message.id!r}"
        assert not message.fuzzy, message.id
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(source)))
        assert all(set(PLACEHOLDER.findall(s)) == wanted for s in strings), message.id


def test_catalogues_are_compiled_from_the_po_files_only():
    assert not list(i18n.LOCALE_DIR.rglob("*.mo"))  # no binary files in the repository
    assert i18n.translations("fr").gettext("My declarations") == "Mes déclarations"
    assert i18n.translations("fr").ngettext("%(num)d goods item", "%(num)d goods items", 2) == "%(num)d articles"
    assert i18n.translations("en").gettext("My declarations") == "My declarations"
    with pytest.raises(ValueError, match="unknown locale"):
        i18n.translations("xx")


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    ("fr", "en", "en", "fr"),
    (None, "fr", "en", "fr"),
    ("de", None, "fr-CA,fr;q=0.9,en;q=0.8", "fr"),
    (None, None, "de-DE, en;q=0.7, fr;q=0.9", "fr"),
    (None, None, "de-DE, fr;q=0", "en"),
    (None, None, None, "en"),
    (None, None, "garbage;q=x, fr", "fr"),
])
def test_the_locale_comes_from_query_cookie_browser_then_english(query, cookie, header, expected):
    assert i18n.negotiate(query, cookie, header) == expected
