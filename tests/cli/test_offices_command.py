"""`smartcustoms offices list|check`: the reference list an administrator keeps."""

from typer.testing import CliRunner

from smartcustoms.cli.main import app


def test_list_shows_the_offices_in_force_and_check_refuses_a_bad_file(tmp_path, monkeypatch):
    runner = CliRunner()
    listed = runner.invoke(app, ["offices", "list"])
    assert listed.exit_code == 0 and "PORT-NORTH" in listed.stdout and "AIRPORT-CARGO" in listed.stdout
    own = tmp_path / "offices.yaml"
    own.write_text("offices:\n  ZZ1: {name: Zed, controls: [physical, remote]}\n")
    monkeypatch.setenv("SMARTCUSTOMS_OFFICES_FILE", str(own))
    from smartcustoms.settings import get_settings

    get_settings.cache_clear()
    try:
        mine = runner.invoke(app, ["offices", "list"])
        assert mine.exit_code == 0 and "ZZ1" in mine.stdout and "PORT-NORTH" not in mine.stdout
    finally:
        monkeypatch.delenv("SMARTCUSTOMS_OFFICES_FILE")
        get_settings.cache_clear()
    checked = runner.invoke(app, ["offices", "check", str(own)])
    assert checked.exit_code == 0 and "1 offices, 1 active; remote inspection at ZZ1" in checked.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("offices:\n  ZZ1: {transport: ['6']}\n")
    refused = runner.invoke(app, ["offices", "check", str(bad)])
    assert refused.exit_code == 1
