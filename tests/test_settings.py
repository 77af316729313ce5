"""The platform's settings from the environment."""

from smartcustoms.settings import Settings
from smartcustoms.web.config import WebSettings


def test_an_empty_variable_means_the_default(monkeypatch):
    monkeypatch.setenv("SMARTCUSTOMS_RISK_SETTINGS", "")
    monkeypatch.setenv("SMARTCUSTOMS_DATABASE_URL", "")
    assert Settings().risk_settings is None and WebSettings().risk_settings is None
    assert Settings().database_url == Settings.model_fields["database_url"].default


def test_a_set_variable_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTCUSTOMS_RISK_SETTINGS", str(tmp_path / "risk.yaml"))
    assert WebSettings().risk_settings == tmp_path / "risk.yaml"
