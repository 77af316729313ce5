"""Model registry on SQLite and PostgreSQL: champion / challenger, promotion, rollback, an append-only log and
artifacts that cannot be swapped unnoticed."""

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smartcustoms.targeting import service as registry
from smartcustoms.targeting.features import declaration_features
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.world import WorldConfig, generate

CUT = "2025-10-01"


@pytest.fixture(scope="module")
def trained():
    world = generate(WorldConfig(declarations=3000, seed=1))
    feats = declaration_features(world.declarations, world.inspections, as_of=CUT)
    train = feats.loc[feats["declaration_date"] < CUT]
    fitted = [TargetingModel(params={"n_estimators": n}, random_state=n).fit(train) for n in (10, 15, 20)]
    return train, fitted


def test_first_is_champion_then_challengers_promote_and_rollback(engine, tmp_path, trained):
    train, (m1, m2, m3) = trained
    first = registry.register(engine, m1, train, {"auc": 0.8}, tmp_path, "alice")
    second = registry.register(engine, m2, train, {"auc": 0.82}, tmp_path, "alice")
    listed = registry.list_models(engine).set_index("model_id")
    assert listed.loc[first, "status"] == "champion" and listed.loc[second, "status"] == "challenger"
    assert listed.loc[first, "features"] == m1.feature_names_
    assert listed.loc[first, "metrics"] == {"auc": 0.8}
    assert listed.loc[first, "window_end"] < pd.Timestamp(CUT) <= listed.loc[first, "window_end"] + pd.Timedelta(days=1)
    assert listed.loc[first, "data_fingerprint"] == registry.data_fingerprint(train.sample(frac=1, random_state=0))
    assert listed.loc[first, "data_fingerprint"] != registry.data_fingerprint(train.iloc[1:])
    assert (tmp_path / f"{first}.joblib").is_file()

    row, model = registry.champion(engine)
    assert row["model_id"] == first
    pd.testing.assert_frame_equal(model.predict_proba(train.head(50)), m1.predict_proba(train.head(50)))

    assert registry.promote(engine, second, "bob") == first
    third = registry.register(engine, m3, train, {}, tmp_path, "carol")
    assert registry.promote(engine, third, "bob") == second
    statuses = registry.list_models(engine).set_index("model_id")["status"]
    assert statuses.to_dict() == {first: "retired", second: "retired", third: "champion"}
    with pytest.raises(registry.RegistryError, match="rollback"):
        registry.promote(engine, first, "bob")  # a retired model comes back only by rollback

    assert registry.rollback(engine, "dave") == second  # the previous champion, from the log
    assert registry.champion(engine)[0]["model_id"] == second
    assert registry.rollback(engine, "dave") == first  # rollbacks stack
    assert registry.champion(engine)[0]["model_id"] == first
    with pytest.raises(registry.RegistryError, match="no earlier champion"):
        registry.rollback(engine, "dave")
    statuses = registry.list_models(engine).set_index("model_id")["status"]
    assert statuses.to_dict() == {first: "champion", second: "retired", third: "retired"}

    log = registry.events(engine)
    assert log["action"].tolist() == ["registered", "promoted", "registered", "demoted", "promoted", "registered",
                                      "demoted", "promoted", "demoted", "rolled_back", "demoted", "rolled_back"]
    assert log["actor"].iloc[-1] == "dave"


def test_events_are_append_only(engine, tmp_path, trained):
    train, (m1, *_) = trained
    registry.register(engine, m1, train, {}, tmp_path, "alice")
    for statement in ("UPDATE model_events SET actor = 'mallory'", "DELETE FROM model_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(registry.events(engine)) == 2


def test_only_one_champion_and_registered_status(engine, tmp_path, trained):
    train, (m1, m2, _) = trained
    first = registry.register(engine, m1, train, {}, tmp_path, "alice")
    spare = registry.register(engine, m2, train, {}, tmp_path, "alice", as_challenger=False, label="spare")
    row = registry.get_model(engine, spare)
    assert (row["status"], row["label"]) == ("registered", "spare")
    with pytest.raises(DBAPIError), engine.begin() as conn:  # the database allows one champion only
        conn.execute(text(f"UPDATE models SET status = 'champion' WHERE model_id = '{spare}'"))
    registry.retire(engine, spare, "alice", note="not needed")
    with pytest.raises(registry.RegistryError, match="only a challenger"):
        registry.retire(engine, first, "alice")
    with pytest.raises(registry.RegistryError, match="no earlier champion"):
        registry.rollback(engine, "alice")


def test_tampered_or_missing_artifact_is_refused(engine, tmp_path, trained):
    train, (m1, m2, _) = trained
    first = registry.register(engine, m1, train, {}, tmp_path, "alice")
    path = tmp_path / f"{first}.joblib"
    m2.save(path)  # someone swaps the file for another (valid) model
    with pytest.raises(registry.ArtifactError, match="has changed since it was registered"):
        registry.champion(engine)
    path.unlink()
    with pytest.raises(registry.ArtifactError, match="missing"):
        registry.champion(engine)


def test_no_champion(engine):
    with pytest.raises(registry.RegistryError, match="no champion"):
        registry.champion(engine)
    assert registry.list_models(engine).empty


def test_the_risk_engine_scores_with_the_champion(engine, tmp_path, trained):
    from smartcustoms.risk import service
    from smartcustoms.risk.config import RiskConfig

    train, (m1, m2, _) = trained
    assert service._champion(engine) is None  # no champion yet: the engine fits its own model
    first = registry.register(engine, m1, train, {}, tmp_path, "alice")
    second = registry.register(engine, m2, train, {}, tmp_path, "alice")
    config = RiskConfig(model=True)
    world = generate(WorldConfig(declarations=600, seed=3))
    screens = service.fit_screens(world.declarations, world.inspections, CUT, config, service._champion(engine))
    assert screens["model"].model_ is not None and screens["model"].version == first
    registry.promote(engine, second, "bob")
    screens = service.fit_screens(world.declarations, world.inspections, CUT, config, service._champion(engine))
    assert screens["model"].version == second
