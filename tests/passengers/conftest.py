"""The web's fixtures (an app on each test database, accounts of every role) for the passenger pages' tests."""

from web.conftest import app, client, people, risk_engine, settings  # noqa: F401
