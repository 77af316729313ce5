"""Every page names the favicon, and /favicon.ico leads to it."""

from conftest import as_user


def test_the_favicon_is_named_and_served(client):
    page = as_user(client, None).get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    moved = client.get("/favicon.ico", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
