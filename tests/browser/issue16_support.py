"""Helpers of issue 16's browser tests: a page in English or French at desktop or phone width, signing in whatever
the page's language, French words from the catalogues, declarations and profiles set up through the API."""

import re

import pytest

from smartcustoms.web.i18n import translations

from .browser_support import PASSWORD, declaration

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BROWSER_LOCALES = {"en": "en-GB", "fr": "fr-FR"}
VIEWS = [(lang, size) for lang in ("en", "fr") for size in ("desktop", "phone")]
VIEW_IDS = [f"{lang}-{size}" for lang, size in VIEWS]


def words(lang: str, english: str, **params) -> str:
    """A message as the page in `lang` shows it (the catalogues: the test fails if the page is not translated)."""
    text = translations(lang).gettext(english)
    return text % params if params else text


def new_page(browser, lang: str, size: str, browser_locale: str | None = None):
    """A page of a fresh profile (no cookies) whose browser speaks `lang` (en-GB, fr-FR) at `size`."""
    phone = size == "phone"
    context = browser.new_context(locale=browser_locale or BROWSER_LOCALES[lang], viewport=SIZES[size],
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    context.set_default_timeout(20_000)
    return context.new_page()


def enter(page, site, username: str, lang: str = "en") -> None:
    """Sign in through the login form (in the browser's language), then see the pages in `lang`."""
    page.goto(site.url + f"/login?lang={lang}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(params=VIEWS, ids=VIEW_IDS)
def view(request, browser):
    """(page, lang, size) for each language and width."""
    lang, size = request.param
    page = new_page(browser, lang, size)
    yield page, lang, size
    page.context.close()


def lodge(site, declaration_id: str, who: str = "root", **changes) -> dict:
    answer = site.api("POST", "/api/v1/declarations", username=who, json=declaration(declaration_id, **changes))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def publish(site, yaml_text: str, profile_id: str) -> None:
    """Commit a profile as the analyst, approve and publish it as the supervisor (the server takes it at once)."""
    committed = site.api("POST", "/api/v1/profiles", username="anna", json={"yaml": yaml_text})
    assert committed.status_code in (200, 201), committed.text
    detail = site.api("GET", f"/api/v1/profiles/{profile_id}", username="sam").json()
    version = max(v["version"] for v in detail["versions"])
    states = {v["version"]: v["state"] for v in detail["versions"]}
    if states[version] == "committed":
        answer = site.api("POST", f"/api/v1/profiles/{profile_id}/versions/{version}/approve", username="sam")
        assert answer.status_code == 200, answer.text
    if states[version] != "published":
        answer = site.api("POST", f"/api/v1/profiles/{profile_id}/versions/{version}/publish", username="sam")
        assert answer.status_code == 200, answer.text


def plain(text: str) -> str:
    """Every kind of space as one plain space (French groups thousands with a narrow no-break space, en-US puts
    one before AM)."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def too_wide(page) -> list[str]:
    """The elements that reach past the viewport's right edge (tag#id.class: how far), for a failure's message."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth, out = [];
      for (const el of document.querySelectorAll('main *')) {
        const box = el.getBoundingClientRect();
        if (box.right > width + 1 && el.offsetParent !== null && !el.closest('.table-wrap, figure, pre'))
          out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${Math.round(box.right - width)}`);
      }
      return out.slice(0, 8);
    }""")


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")
