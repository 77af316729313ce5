"""The targeting domain's use cases, the only part of it that web and CLI call: the model registry, drift and
shadow scoring of its models, the champion fitted as a screen to explain a declaration's score, and the
benchmarks (the evaluation on a world, targeting.evaluate; the KCS data through the product, targeting.kcs_product).

The model registry: which targeting model is in service (the champion), which ones wait (challengers), and
how each came to be there.

Life of a model:

- `register` saves the artifact (``model.save`` to ``<directory>/<model_id>.joblib``), records its sha256, the
  training window, the feature list, metrics and a fingerprint of the training data. The first model registered
  becomes the **champion**; later ones become **challengers** (or stay **registered** with
  ``as_challenger=False``). Several challengers may wait at once.
- `promote` makes a challenger (or registered) model the champion. The previous champion becomes **retired**
  (not challenger: it was superseded, and stays available to `rollback`). Retired models cannot be promoted;
  they come back only by `rollback`.
- `rollback` undoes the latest change of champion: the current champion is retired and the champion before it,
  read from the event log, is champion again. Rollbacks stack: rolling back twice goes two champions back.
- `retire` withdraws a challenger or registered model (the champion is replaced by `promote` or `rollback`).

Every step is one row of the append-only ``model_events`` (triggers refuse UPDATE and DELETE); ``models.status``
is the current state. Event actions: registered, promoted (became champion, including the first model),
demoted (stopped being champion), rolled_back (became champion again by a rollback), retired.

`champion` loads the champion's artifact after checking its sha256, so a changed or replaced file raises
`ArtifactError` instead of scoring with a model nobody registered. Times are naive UTC. Functions take the Engine
(own transaction) or a Connection (the caller's transaction); the SQL is in targeting.repository.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from smartcustoms.store.db import transaction, utc_now
from smartcustoms.targeting import repository
from smartcustoms.targeting.evaluate import (
    FRACTIONS,
    evaluate_split,
    online_chart,
    read_world,
    simulate,
    simulate_online,
)
from smartcustoms.targeting.features import plain_name
from smartcustoms.targeting.kcs import FRACTIONS as KCS_FRACTIONS
from smartcustoms.targeting.kcs import PUBLISHED as KCS_PUBLISHED
from smartcustoms.targeting.kcs import load_splits as load_kcs_splits
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.targeting.screen import ModelScreen

__all__ = ["FRACTIONS", "KCS_FRACTIONS", "KCS_PUBLISHED", "ArtifactError", "ModelScreen", "RegistryError", "champion",
           "champion_screen", "data_fingerprint", "drift", "evaluate_split", "events", "file_sha256", "get_model",
           "kcs_product_path", "list_models", "load_kcs_splits", "load_model", "online_chart", "plain_name",
           "promote", "read_world", "register", "retire", "rollback", "rollback_target", "shadow", "simulate",
           "simulate_online", "training_features"]

Bind = Engine | Connection


class RegistryError(ValueError):
    """A step the model life cycle does not allow (unknown model, no champion, nothing to roll back...)."""


class ArtifactError(RegistryError):
    """A model artifact is missing or is not the file that was registered (checksum mismatch)."""


def _actor(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise RegistryError("the actor must be named")
    return name


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _naive(value) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(features_frame: pd.DataFrame) -> str:
    """sha256 of the training frame's sorted declaration IDs (its index) and its label counts (discrepancy,
    no discrepancy, unlabelled): the same data gives the same fingerprint, whatever the row order."""
    ids = sorted(map(str, features_frame.index))
    counts = {"rows": len(features_frame)}
    if "label_fraud" in features_frame:
        label = pd.to_numeric(features_frame["label_fraud"], errors="coerce")
        counts.update(discrepancy=int((label == 1).sum()), no_discrepancy=int((label == 0).sum()),
                      unlabelled=int(label.isna().sum()))
    digest = hashlib.sha256()
    digest.update("\n".join(ids).encode())
    digest.update(b"\n")
    digest.update(json.dumps(counts, sort_keys=True).encode())
    return digest.hexdigest()


_log = repository.log_event
_champion_id = repository.champion_id
_set_status = repository.set_status


def _row(conn: Connection, model_id: str) -> dict:
    row = repository.model_row(conn, model_id)
    if row is None:
        raise RegistryError(f"no model {model_id}")
    return row


# --- registering --------------------------------------------------------------------------------------------


def register(bind: Bind, model: TargetingModel, features_frame: pd.DataFrame, metrics: dict, directory: Path,
             actor: str, *, label: str | None = None, window: tuple | None = None, as_challenger: bool = True,
             note: str | None = None) -> str:
    """Register a fitted model trained on `features_frame` (a `declaration_features` frame): save its artifact
    under `directory`, record it, and return its model_id.

    Status: champion when there is no champion (the first model); otherwise challenger (``registered`` with
    ``as_challenger=False``). ``window`` = (start, end) of the training window; by default
    the first and last ``declaration_date`` of the frame. ``label`` defaults to "v<n>"."""
    actor = _actor(actor)
    if not hasattr(model, "fraud_model_"):
        raise RegistryError("only a fitted model can be registered")
    created = utc_now()
    model_id = f"M{created:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    if window is None:
        dates = (pd.to_datetime(features_frame["declaration_date"]) if "declaration_date" in features_frame
                 else pd.Series(dtype="datetime64[ns]"))
        window = (dates.min(), dates.max()) if len(dates) else (None, None)
    path = Path(directory) / f"{model_id}.joblib"
    model.save(path)
    try:
        sha = file_sha256(path)
        with transaction(bind) as conn:
            count = repository.count_models(conn)
            champion = _champion_id(conn)
            status = "champion" if champion is None else "challenger" if as_challenger else "registered"
            repository.insert_model(
                conn, model_id=model_id, label=label or f"v{count + 1}",
                model_version=getattr(model, "version_", None) or "unknown", created_at=created,
                created_by=actor, artifact_path=str(path), artifact_sha256=sha,
                window_start=_naive(window[0]), window_end=_naive(window[1]),
                features=json.dumps(list(model.feature_names_)),
                metrics=json.dumps(metrics or {}, default=_json_default, sort_keys=True),
                data_fingerprint=data_fingerprint(features_frame), status=status,
            )
            _log(conn, model_id, "registered", actor, created, note)
            if status == "champion":
                _log(conn, model_id, "promoted", actor, created, "first champion: no champion before it")
    except Exception:
        path.unlink(missing_ok=True)  # no artifact without its registry row
        raise
    return model_id


# --- reading ------------------------------------------------------------------------------------------------


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame([dict(r) for r in rows], columns=repository.MODEL_COLUMNS)
    frame["features"] = [json.loads(v) for v in frame["features"]]
    frame["metrics"] = [json.loads(v) for v in frame["metrics"]]
    return frame


def list_models(bind: Bind) -> pd.DataFrame:
    """Every registered model, oldest first (``features`` as lists, ``metrics`` as dicts)."""
    with transaction(bind) as conn:
        rows = repository.model_rows(conn)
    return _frame(rows)


def get_model(bind: Bind, model_id: str) -> dict:
    """One model's registry row as a dict (``features`` a list, ``metrics`` a dict)."""
    with transaction(bind) as conn:
        row = _row(conn, model_id)
    return _frame([row]).iloc[0].to_dict()


def events(bind: Bind, model_id: str | None = None) -> pd.DataFrame:
    """The event log (all models, or one), oldest first."""
    with transaction(bind) as conn:
        rows = repository.event_rows(conn, model_id)
    return pd.DataFrame(rows, columns=repository.EVENT_COLUMNS)


def load_model(bind: Bind, model_id: str) -> tuple[dict, TargetingModel]:
    """A registered model's row and its artifact, after checking the artifact's sha256 (`ArtifactError`)."""
    row = get_model(bind, model_id)
    path = Path(row["artifact_path"])
    if not path.is_file():
        raise ArtifactError(f"model {model_id}: artifact {path} is missing")
    sha = file_sha256(path)
    if sha != row["artifact_sha256"]:
        raise ArtifactError(f"model {model_id}: artifact {path} has changed since it was registered "
                            f"(sha256 {sha}, registered {row['artifact_sha256']}); refusing to load it")
    return row, TargetingModel.load(path)


def champion(bind: Bind) -> tuple[dict, TargetingModel]:
    """The champion's row and model (checksum verified). Raises RegistryError when there is no champion."""
    with transaction(bind) as conn:
        model_id = _champion_id(conn)
    if model_id is None:
        raise RegistryError("there is no champion model: register or train one first")
    return load_model(bind, model_id)


# --- changing the champion ----------------------------------------------------------------------------------


def _champion_stack(conn: Connection) -> list[str]:
    """Replay the log: each promotion pushes a champion, each rollback pops back to the one before."""
    stack: list[str] = []
    for model_id, action in repository.champion_changes(conn):
        if action == "promoted":
            stack.append(model_id)
        else:
            if stack:
                stack.pop()
            if not stack or stack[-1] != model_id:  # a log that does not line up: trust the event
                stack.append(model_id)
    return stack


def promote(bind: Bind, model_id: str, actor: str, note: str | None = None) -> str | None:
    """Make a challenger or registered model the champion; the old champion is retired (see the module).
    Returns the old champion's model_id, or None."""
    actor = _actor(actor)
    with transaction(bind) as conn:
        row = _row(conn, model_id)
        if row["status"] not in ("challenger", "registered"):
            raise RegistryError(f"model {model_id} is {row['status']}: only a challenger or registered model can "
                                f"be promoted" + (" (use rollback to bring back a former champion)"
                                                  if row["status"] == "retired" else ""))
        at = utc_now()
        old = _champion_id(conn)
        if old is not None:
            _set_status(conn, old, "retired")
            _log(conn, old, "demoted", actor, at, f"superseded by {model_id}")
        _set_status(conn, model_id, "champion")
        _log(conn, model_id, "promoted", actor, at, note)
    return old


def rollback_target(bind: Bind) -> str | None:
    """The champion a rollback would bring back (the one before the current), or None when there is none: the
    pages offer "Roll back" only then."""
    with transaction(bind) as conn:
        current = _champion_id(conn)
        stack = _champion_stack(conn) if current is not None else []
    return stack[-2] if len(stack) >= 2 and stack[-1] == current else None


def rollback(bind: Bind, actor: str, note: str | None = None) -> str:
    """Bring back the champion before the current one (from the event log); the current champion is retired.
    Returns the model_id of the restored champion."""
    actor = _actor(actor)
    with transaction(bind) as conn:
        current = _champion_id(conn)
        if current is None:
            raise RegistryError("there is no champion to roll back")
        stack = _champion_stack(conn)
        if len(stack) < 2 or stack[-1] != current:
            raise RegistryError(f"no earlier champion to roll back to from {current}")
        previous = stack[-2]
        at = utc_now()
        _set_status(conn, current, "retired")
        _log(conn, current, "demoted", actor, at, f"rolled back to {previous}")
        _set_status(conn, previous, "champion")
        _log(conn, previous, "rolled_back", actor, at, note or f"replaces {current}")
    return previous


def retire(bind: Bind, model_id: str, actor: str, note: str | None = None) -> None:
    """Withdraw a challenger or registered model."""
    actor = _actor(actor)
    with transaction(bind) as conn:
        row = _row(conn, model_id)
        if row["status"] not in ("challenger", "registered"):
            raise RegistryError(f"model {model_id} is {row['status']}: only a challenger or registered model can "
                                "be retired (a champion is replaced by promote or rollback)")
        _set_status(conn, model_id, "retired")
        _log(conn, model_id, "retired", actor, utc_now(), note)


# --- watching the models: features, drift, shadow scoring, explanation ----------------------------------------


def training_features(bind: Bind, as_of=None) -> pd.DataFrame:
    """`declaration_features` of every stored declaration with the outcomes known (as of `as_of`); an empty
    frame when no declaration is stored."""
    from smartcustoms.declarations.repository import load_declarations
    from smartcustoms.outcomes.service import load_outcomes
    from smartcustoms.targeting.features import declaration_features

    stored = load_declarations(bind)
    if stored.empty:
        return pd.DataFrame()
    return declaration_features(stored, load_outcomes(bind), as_of=as_of)


def drift(bind: Bind, since=None) -> dict:
    """PSI of the champion's inputs and score (targeting.drift): the declarations of its training window against
    those accepted since `since` (default: the window's end). RegistryError without a champion (or with a changed
    artifact). Returns ``model`` (its registry row), ``declarations`` (how many stored), ``since``, ``train`` and
    ``recent`` (counts) and ``report`` (the drift_report frame; None when there is nothing to compare)."""
    from smartcustoms.targeting.drift import drift_report

    row, model = champion(bind)
    feats = training_features(bind)
    start, end = row["window_start"], row["window_end"]
    since = pd.Timestamp(since) if since is not None else end
    result = {"model": row, "declarations": len(feats), "since": since, "train": 0, "recent": 0, "report": None}
    if feats.empty:
        return result
    dates = feats["declaration_date"]
    train = feats.loc[((dates >= start) if start is not None and not pd.isna(start) else True)
                      & ((dates < end) if end is not None and not pd.isna(end) else True)]
    recent = feats.loc[dates >= since] if since is not None and not pd.isna(since) else feats.iloc[0:0]
    result.update(train=len(train), recent=len(recent))
    if train.empty or recent.empty:
        return result
    result["report"] = drift_report(train, recent, model.predict_proba(train)["score"],
                                    model.predict_proba(recent)["score"],
                                    features=[c for c in row["features"] if c in feats])
    return result


def shadow(bind: Bind, since, budget: float = 0.05) -> tuple[int, pd.DataFrame]:
    """Shadow scoring (targeting.shadow) of the declarations accepted since `since` by the champion and every
    challenger; nothing is written. Returns (declarations scored, the shadow table). RegistryError when there is
    no champion or challenger, or nothing to score."""
    from smartcustoms.targeting.shadow import shadow_table

    listed = list_models(bind)
    listed = listed[listed["status"].isin(["champion", "challenger"])]
    if listed.empty:
        raise RegistryError("no champion or challenger registered: run `smartcustoms models train`")
    feats = training_features(bind)
    if feats.empty:
        raise RegistryError("no declarations stored: run `smartcustoms import` first")
    recent = feats.loc[feats["declaration_date"] >= pd.Timestamp(since)]
    if recent.empty:
        raise RegistryError(f"no declarations accepted since {pd.Timestamp(since):%Y-%m-%d}")
    scored = {row.model_id: (row.status, load_model(bind, row.model_id)[1]) for row in listed.itertuples()}
    return len(recent), shadow_table(recent, scored, budget)


def champion_screen(bind: Bind, model: TargetingModel, as_of) -> ModelScreen:
    """A model screen (targeting.screen) around `model` (the champion), fitted on the declarations and outcomes
    known before `as_of`: what explains a declaration's score when the risk engine has no model of its own."""
    from smartcustoms.declarations.repository import load_declarations
    from smartcustoms.outcomes.service import load_outcomes

    return ModelScreen(model=model).fit(load_declarations(bind, end=as_of), load_outcomes(bind), as_of=as_of)


# --- the KCS benchmark through the product's own path (targeting.kcs_product) -----------------------------------


def kcs_product_path(data_dir, settings=None, workdir=None, on_step=None):
    """The KCS benchmark through the product (targeting.kcs_product): a temporary SQLite database, migrated; the
    history and the reported split imported with the kcs mapping; the history's labels as outcomes; the engine
    fitted as of the split's first day assesses and records the split; the recorded decisions judged against its
    labels. `settings`: a `RiskConfig` (default: the built-in settings). `on_step(description)` is called before
    each step. Returns a `ProductPathResult`."""
    import tempfile
    import time

    from smartcustoms.declarations.service import import_file, load_declarations
    from smartcustoms.outcomes.service import store_outcomes
    from smartcustoms.risk.service import RiskConfig, assess_and_record, build_engine, latest_decisions
    from smartcustoms.store import migrate
    from smartcustoms.store.db import make_engine
    from smartcustoms.targeting import kcs_product

    step = on_step or (lambda _text: None)
    history_files, reported_file, split = kcs_product.files_of(data_dir)
    config = settings if settings is not None else RiskConfig()
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = make_engine(f"sqlite:///{Path(tmp) / 'kcs.db'}")
        migrate.upgrade(db)
        started = time.perf_counter()
        step("import --mapping kcs")
        history = pd.concat([pd.read_csv(p, dtype={"Declaration ID": str}) for p in history_files],
                            ignore_index=True)
        reported = pd.read_csv(reported_file, dtype={"Declaration ID": str})
        for path in [*history_files, reported_file]:
            import_file(db, path, "csv", mapping="kcs")
        seconds["import"] = time.perf_counter() - started
        started = time.perf_counter()
        step("outcomes import (history only)")
        store_outcomes(db, kcs_product.outcomes_of(history))
        seconds["outcomes"] = time.perf_counter() - started
        as_of = kcs_product.as_of(reported)
        started = time.perf_counter()
        step(f"fit the engine as of {as_of:%Y-%m-%d}")
        engine = build_engine(db, as_of.to_pydatetime(), config)
        seconds["fit"] = time.perf_counter() - started
        frame = load_declarations(db, start=as_of.to_pydatetime())
        started = time.perf_counter()
        step(f"assess {frame['declaration_id'].nunique():,} declarations")
        assess_and_record(db, frame, engine, "benchmark")
        seconds["assess"] = time.perf_counter() - started
        decisions = latest_decisions(db, ids=None)
        combination = getattr(engine, "combination", None)
        described = combination.describe() if combination is not None and hasattr(combination, "describe") else {}
        db.dispose()
    return kcs_product.judge_decisions(decisions, reported, split, described, seconds)
