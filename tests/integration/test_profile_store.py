"""Risk profiles in a real database (SQLite and PostgreSQL): versions, maker-checker, publication as of a date,
suppressions, and the append-only log and versions enforced by the database itself."""

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from smartcustoms.cli import profiles as profiles_cli
from smartcustoms.risk import repository as repo
from smartcustoms.risk.profiles import ProfileError, evaluate
from smartcustoms.risk.tables import risk_profile_log, risk_profile_versions
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine

STEEL = """\
profile_id: P-STEEL-AD
title: Flat steel from transshipment origins
purpose: Anti-dumping duty on Chinese steel is dodged by a false origin.
owner: Trade defence unit
lane: red
weight: 70
criteria:
  - field: commodity_code
    prefix: ["7208"]
  - field: origin_country
    in: [MY, TH]
"""
KNIT = """\
profile_id: P-KNIT-LOWVAL
title: Cheap garments
purpose: Garments below 6 EUR per kg are undervalued.
owner: Valuation unit
lane: yellow
weight: 45
criteria:
  - field: commodity_code
    prefix: ["61", "62"]
  - field: value_per_kg
    max: 6
"""


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2025, 3, day, hour)


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(risk_profile_versions)).scalar_one(),
                conn.execute(select(func.count()).select_from(risk_profile_log)).scalar_one())


def test_commit_creates_versions_and_an_identical_recommit_creates_none(engine):
    assert repo.commit_profiles(engine, STEEL + "---\n" + KNIT, "both.yaml", "alice", at=at(1)) == [
        ("P-STEEL-AD", 1), ("P-KNIT-LOWVAL", 1)]
    assert repo.commit_profiles(engine, KNIT + "---\n" + STEEL, "again.yaml", "alice", at=at(2)) == []
    assert counts(engine) == (2, 2)
    log = repo.profile_log(engine)
    assert [(e.profile_id, e.version, e.action, e.actor, e.note) for e in log] == [
        ("P-STEEL-AD", 1, "committed", "alice", "from both.yaml"),
        ("P-KNIT-LOWVAL", 1, "committed", "alice", "from both.yaml")]


def test_same_id_with_new_content_is_version_2_and_version_1_never_changes(engine):
    repo.commit_profiles(engine, STEEL, "steel.yaml", "alice", at=at(1))
    first = repo.get_profile(engine, "P-STEEL-AD", 1)
    assert repo.commit_profiles(engine, STEEL.replace("[MY, TH]", "[MY, TH, BD]"), "steel.yaml", "bob",
                                at=at(2)) == [("P-STEEL-AD", 2)]
    assert repo.get_profile(engine, "P-STEEL-AD", 1) == first
    assert first.criteria[1].value == ("MY", "TH") and first.version == 1
    latest = repo.get_profile(engine, "P-STEEL-AD")
    assert (latest.version, latest.criteria[1].value) == (2, ("MY", "TH", "BD"))
    assert "in: [MY, TH, BD]" in repo.get_profile_yaml(engine, "P-STEEL-AD", 2)
    with pytest.raises(repo.ProfileStoreError, match="P-STEEL-AD has no version 3 \\(versions: 1, 2\\)"):
        repo.get_profile(engine, "P-STEEL-AD", 3)


def test_one_bad_profile_in_a_file_means_nothing_is_written(engine):
    bad = KNIT.replace("field: value_per_kg", "field: value_per_kilo")
    with pytest.raises(ProfileError) as caught:
        repo.commit_profiles(engine, STEEL + "---\n" + bad, "profiles/mixed.yaml", "alice")
    assert str(caught.value).startswith("profiles/mixed.yaml line 22: unknown field 'value_per_kilo'")
    with pytest.raises(ProfileError, match="b.yaml line 1: 'purpose' is missing"):
        repo.commit_sources(engine, [(STEEL, "a.yaml"), (KNIT.replace("purpose:", "# purpose:"), "b.yaml")],
                            "alice")
    assert counts(engine) == (0, 0)


def test_the_author_cannot_approve_and_only_approved_versions_publish(engine):
    repo.commit_profiles(engine, STEEL, "steel.yaml", "Alice", at=at(1))
    with pytest.raises(repo.MakerCheckerError, match="alice wrote P-STEEL-AD version 1 and cannot approve it"):
        repo.approve(engine, "P-STEEL-AD", 1, "alice ")
    with pytest.raises(repo.ProfileStoreError, match="is not approved"):
        repo.publish(engine, "P-STEEL-AD", 1, "bob")
    with pytest.raises(repo.ProfileStoreError, match="has no version 2"):
        repo.approve(engine, "P-STEEL-AD", 2, "bob")
    repo.approve(engine, "P-STEEL-AD", 1, "bob", note="origin statistics checked", at=at(2))
    with pytest.raises(repo.ProfileStoreError, match="already approved"):
        repo.approve(engine, "P-STEEL-AD", 1, "carol")
    assert repo.published_profiles(engine) == []
    assert repo.publish(engine, "P-STEEL-AD", 1, "alice", at=at(3)) is None  # the author may publish
    with pytest.raises(repo.ProfileStoreError, match="already published"):
        repo.publish(engine, "P-STEEL-AD", 1, "bob")
    assert [p.profile_id for p in repo.published_profiles(engine)] == ["P-STEEL-AD"]
    assert [e.action for e in repo.profile_log(engine, "P-STEEL-AD")] == ["committed", "approved", "published"]


def publish_version(engine, text: str, day: int, author: str = "alice", checker: str = "bob") -> int:
    ((profile_id, version),) = repo.commit_profiles(engine, text, "f.yaml", author, at=at(day, 9))
    repo.approve(engine, profile_id, version, checker, at=at(day, 10))
    repo.publish(engine, profile_id, version, checker, at=at(day, 11))
    return version


def test_published_profiles_as_of_a_past_date_come_from_the_log(engine):
    publish_version(engine, STEEL, 1)
    publish_version(engine, KNIT, 2)
    assert publish_version(engine, STEEL.replace("weight: 70", "weight: 90"), 5) == 2
    assert repo.retire(engine, "P-KNIT-LOWVAL", "carol", "replaced by the valuation screen", at=at(8)) == 1

    def published(as_of):
        return {p.profile_id: (p.version, p.weight) for p in repo.published_profiles(engine, as_of)}

    assert published(datetime(2025, 3, 1, 10, 59)) == {}
    assert published(date(2025, 3, 1)) == {"P-STEEL-AD": (1, 70.0)}  # a date counts to its end
    assert published(date(2025, 3, 4)) == {"P-STEEL-AD": (1, 70.0), "P-KNIT-LOWVAL": (1, 45.0)}
    assert published(date(2025, 3, 5)) == {"P-STEEL-AD": (2, 90.0), "P-KNIT-LOWVAL": (1, 45.0)}
    assert published(None) == {"P-STEEL-AD": (2, 90.0)}
    notes = [(e.version, e.action, e.note) for e in repo.profile_log(engine, "P-STEEL-AD")][-1:]
    assert notes == [(2, "published", "supersedes version 1")]
    summary = {s.profile_id: s for s in repo.profile_summaries(engine)}
    assert (summary["P-STEEL-AD"].versions, summary["P-STEEL-AD"].published) == (2, 2)
    assert (summary["P-KNIT-LOWVAL"].published, summary["P-KNIT-LOWVAL"].latest_state) == (None, "retired")
    with pytest.raises(repo.ProfileStoreError, match="no published version"):
        repo.retire(engine, "P-KNIT-LOWVAL", "carol", "again")


def test_the_log_only_moves_forward(engine):
    repo.commit_profiles(engine, STEEL, "steel.yaml", "alice", at=at(5))
    with pytest.raises(repo.ProfileStoreError, match="the log only moves forward"):
        repo.approve(engine, "P-STEEL-AD", 1, "bob", at=at(4))


def test_suppressions_for_a_trader_and_a_commodity_with_expiry(engine):
    publish_version(engine, STEEL, 1)
    trader = repo.add_suppression(engine, "P-STEEL-AD", importer_id="IMP7", reason="genuine Malaysian mill, "
                                  "audited", expires_at=datetime(2025, 4, 1), created_by="carol", at=at(2))
    goods = repo.add_suppression(engine, "P-STEEL-AD", commodity_prefix="720851", reason="quota licence",
                                 expires_at=datetime(2025, 3, 10), created_by="carol", at=at(3))
    assert trader.suppression_id and goods.suppression_id and trader.created_at == at(2)
    assert repo.active_suppressions(engine, at(1)) == []
    assert repo.active_suppressions(engine, at(5)) == [trader, goods]
    assert repo.active_suppressions(engine, at(20)) == [trader]
    assert repo.active_suppressions(engine, datetime(2025, 4, 1)) == []
    entry = repo.profile_log(engine)[-1]
    assert (entry.action, entry.version, entry.actor) == ("suppressed", 1, "carol")
    assert entry.note == "commodity 720851* until 2025-03-10 00:00: quota licence"
    with pytest.raises(repo.ProfileStoreError, match="no profile P-NOPE"):
        repo.add_suppression(engine, "P-NOPE", importer_id="IMP7", reason="r", expires_at=datetime(2025, 5, 1),
                             created_by="carol")
    with pytest.raises(repo.ProfileStoreError, match="expires_at .* is not after created_at"):
        repo.add_suppression(engine, "P-STEEL-AD", importer_id="IMP8", reason="r",
                             expires_at=datetime(2025, 3, 1), created_by="carol", at=at(6))

    frame = pd.DataFrame({
        "acceptance_datetime": [at(5), at(5), at(5), at(20)],
        "importer_id": ["IMP7", "IMP8", "IMP9", "IMP9"],
        "commodity_code": ["72085120", "72085120", "72089000", "72085120"],
        "origin_country": ["MY", "MY", "TH", "TH"],
    })
    hits = evaluate(repo.published_profiles(engine), frame, repo.active_suppressions(engine, at(5)))
    assert hits["suppressed"].tolist() == [True, True, False, False]  # trader; commodity; neither; expired


def test_the_database_refuses_to_change_or_delete_the_log_and_the_versions(engine):
    publish_version(engine, STEEL, 1)
    attempts = [
        update(risk_profile_log).values(actor="mallory"),
        delete(risk_profile_log),
        update(risk_profile_versions).values(content="{}"),
        delete(risk_profile_versions).where(risk_profile_versions.c.version == 1),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(statement)
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE risk_profile_log"))
    assert counts(engine) == (1, 3)
    assert [e.actor for e in repo.profile_log(engine)] == ["alice", "bob", "bob"]


# --- the command line (SQLite) ----------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SMARTCUSTOMS_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield lambda *args: CliRunner().invoke(profiles_cli.app, [str(arg) for arg in args])
    get_settings.cache_clear()


def test_cli_life_cycle_and_bad_file(cli, tmp_path: Path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "steel.yaml").write_text(STEEL)
    (folder / "knit.yaml").write_text(KNIT.replace("max: 6", "maks: 6"))
    result = cli("commit", folder, "--author", "alice")
    assert result.exit_code == 2
    assert f"{folder / 'knit.yaml'} line 11: unknown operator 'maks'" in result.output.replace("\n", "")
    assert "Nothing was committed" in result.output
    (folder / "knit.yaml").write_text(KNIT)
    result = cli("commit", folder, "--author", "alice")
    assert result.exit_code == 0 and "committed P-STEEL-AD version 1" in result.output
    result = cli("approve", "P-STEEL-AD", "--version", 1, "--by", "alice")
    assert result.exit_code == 1 and "cannot approve it" in result.output
    assert cli("publish", "P-STEEL-AD", "--version", 1, "--by", "bob").exit_code == 1
    assert cli("approve", "P-STEEL-AD", "--version", 1, "--by", "bob").exit_code == 0
    assert cli("publish", "P-STEEL-AD", "--version", 1, "--by", "bob").exit_code == 0
    result = cli("suppress", "P-STEEL-AD", "--importer", "IMP7", "--reason", "audited mill", "--until",
                 "2099-12-31", "--by", "carol")
    assert result.exit_code == 0 and "until 2100-01-01 00:00" in result.output
    listing = cli("list").output
    assert "P-STEEL-AD" in listing and "1 (published)" in listing and "1 (committed)" in listing
    log = cli("log", "P-STEEL-AD").output
    assert all(word in log for word in ("committed", "approved", "published", "suppressed", "audited mill"))
    assert "in: [MY, TH]" in cli("show", "P-STEEL-AD").output
