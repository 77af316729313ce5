"""Post-clearance audit planner: which released declarations to audit, grouped into cases, under a capacity.

Pure: candidates in, (selected declarations, cases) out. Rules (tested in tests/control/test_audits.py):

- **Candidates**: released declarations of the green and blue lanes, accepted before ``as_of`` (when given),
  not ``already_controlled``. Other lanes were controlled at the border and are left out.
- **Priority** of a declaration = residual risk x duty at stake (``risk_score x duty_at_risk``). Blue lane means
  "release now, audit later": blue declarations are always candidates (``min_duty`` does not drop them) and
  their priority is multiplied by ``blue_boost``. Green ones below ``min_duty`` are dropped.
- **Cases**: one per importer and period (calendar month or quarter of acceptance; ``period_end`` is the start
  of the next period, exclusive). A case's value is the sum of its declarations' priorities; its residual risk
  is the duty-weighted mean risk score, its duty at stake the sum of duty at risk.
- **Choice**: cases ranked by value (ties: duty at stake, then importer ID, then period, so the plan is
  deterministic); the best ``capacity_cases`` with a value above 0 are chosen. With ``capacity_declarations``
  a case that would overrun the declarations left is skipped and the next one tried.
"""

import numpy as np
import pandas as pd

COLUMNS = ["declaration_id", "importer_id", "acceptance_datetime", "lane", "risk_score", "duty_at_risk",
           "already_controlled"]
PERIODS = ("month", "quarter")
AUDIT_LANES = ("green", "blue")
CASE_COLUMNS = ["rank", "importer_id", "period", "period_start", "period_end", "declarations", "residual_risk",
                "duty_at_stake", "case_value", "selected", "why"]
SELECTED_COLUMNS = ["declaration_id", "importer_id", "acceptance_datetime", "lane", "risk_score", "duty_at_risk",
                    "priority", "period", "period_start", "period_end", "case_rank", "case_value", "why"]


class AuditPlanError(ValueError):
    """Candidates or settings the planner cannot use."""


def _check(candidates: pd.DataFrame, capacity_cases, capacity_declarations, period, min_duty, blue_boost) -> None:
    missing = [c for c in COLUMNS if c not in candidates.columns]
    if missing:
        raise AuditPlanError(f"audit candidates lack column(s) {', '.join(missing)}")
    for name, value in (("capacity_cases", capacity_cases), ("capacity_declarations", capacity_declarations)):
        if name == "capacity_declarations" and value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or int(value) != value or value < 0:
            raise AuditPlanError(f"{name} must be a whole number >= 0, got {value!r}")
    if period not in PERIODS:
        raise AuditPlanError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    if not min_duty >= 0:
        raise AuditPlanError(f"min_duty must be >= 0, got {min_duty!r}")
    if not blue_boost >= 1:
        raise AuditPlanError(f"blue_boost must be >= 1, got {blue_boost!r}")
    risk = pd.to_numeric(candidates["risk_score"], errors="coerce")
    duty = pd.to_numeric(candidates["duty_at_risk"], errors="coerce")
    for bad, why in ((~risk.between(0, 1), "risk_score must lie in 0..1"),
                     (~(duty >= 0), "duty_at_risk must be a number >= 0"),
                     (pd.to_datetime(candidates["acceptance_datetime"], errors="coerce").isna(),
                      "acceptance_datetime is not a date")):
        if bad.any():
            row = candidates[bad.to_numpy()].iloc[0]
            raise AuditPlanError(f"declaration {row['declaration_id']}: {why}")


def period_bounds(moments: pd.Series, period: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(start, exclusive end, label) of the calendar month or quarter of each moment."""
    freq = "M" if period == "month" else "Q"
    spans = moments.dt.to_period(freq)
    label = spans.astype(str).str.replace("Q", "-Q", regex=False)
    return spans.dt.start_time, (spans + 1).dt.start_time, label


def _empty_plan() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(columns=SELECTED_COLUMNS), pd.DataFrame(columns=CASE_COLUMNS)


def plan_audits(candidates: pd.DataFrame, *, capacity_cases: int, capacity_declarations: int | None = None,
                period: str = "quarter", min_duty: float = 0.0, blue_boost: float = 1.5,
                as_of=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Choose audit cases; returns (the declarations of the chosen cases, every case with its rank, whether it
    was chosen and why). See the module's docstring for the rules."""
    _check(candidates, capacity_cases, capacity_declarations, period, min_duty, blue_boost)
    frame = candidates[COLUMNS].copy()
    frame["acceptance_datetime"] = pd.to_datetime(frame["acceptance_datetime"])
    frame["risk_score"] = frame["risk_score"].astype(float)
    frame["duty_at_risk"] = frame["duty_at_risk"].astype(float)
    blue = frame["lane"].eq("blue")
    keep = frame["lane"].isin(AUDIT_LANES) & ~frame["already_controlled"].fillna(False).astype(bool)
    keep &= blue | (frame["duty_at_risk"] >= min_duty)
    if as_of is not None:
        keep &= frame["acceptance_datetime"] < pd.Timestamp(as_of)
    frame = frame[keep.to_numpy()].drop_duplicates("declaration_id")
    if frame.empty:
        return _empty_plan()
    frame["boost"] = np.where(frame["lane"].eq("blue"), float(blue_boost), 1.0)
    frame["priority"] = frame["risk_score"] * frame["duty_at_risk"] * frame["boost"]
    frame["period_start"], frame["period_end"], frame["period"] = period_bounds(frame["acceptance_datetime"], period)
    frame["weighted_risk"] = frame["risk_score"] * frame["duty_at_risk"]

    cases = (frame.groupby(["importer_id", "period_start"], sort=False)
             .agg(period=("period", "first"), period_end=("period_end", "first"),
                  declarations=("declaration_id", "size"), case_value=("priority", "sum"),
                  duty_at_stake=("duty_at_risk", "sum"), weighted_risk=("weighted_risk", "sum"),
                  mean_risk=("risk_score", "mean"))
             .reset_index())
    cases["residual_risk"] = np.where(cases["duty_at_stake"] > 0,
                                      cases["weighted_risk"] / cases["duty_at_stake"].where(cases["duty_at_stake"] > 0),
                                      cases["mean_risk"])
    cases = cases.sort_values(["case_value", "duty_at_stake", "importer_id", "period_start"],
                              ascending=[False, False, True, True], kind="mergesort").reset_index(drop=True)
    cases["rank"] = np.arange(1, len(cases) + 1)
    cases["selected"], cases["why"] = _choose(cases, capacity_cases, capacity_declarations)

    chosen = cases.loc[cases["selected"], ["importer_id", "period_start", "rank", "case_value"]]
    selected = frame.merge(chosen.rename(columns={"rank": "case_rank"}), on=["importer_id", "period_start"])
    selected["why"] = [_declaration_why(row) for row in selected.itertuples()]
    selected = selected.sort_values(["case_rank", "priority", "declaration_id"], ascending=[True, False, True],
                                    kind="mergesort").reset_index(drop=True)
    return selected[SELECTED_COLUMNS], cases[CASE_COLUMNS]


def _choose(cases: pd.DataFrame, capacity_cases: int, capacity_declarations: int | None) -> tuple[list, list]:
    """Walk down the ranking: whether each case is chosen, and why (or why not)."""
    chosen, why = [], []
    cases_left = int(capacity_cases)
    declarations_left = None if capacity_declarations is None else int(capacity_declarations)
    total = len(cases)
    for row in cases.itertuples():
        head = (f"{row.declarations} declaration(s) of {row.importer_id} in {row.period}, value "
                f"{row.case_value:,.2f} (duty at stake {row.duty_at_stake:,.2f}, residual risk "
                f"{row.residual_risk:.2f}): rank {row.rank} of {total}")
        if row.case_value <= 0:
            chosen.append(False)
            why.append(f"{head}; nothing at stake")
        elif cases_left == 0:
            chosen.append(False)
            why.append(f"{head}; beyond the capacity of {capacity_cases} case(s)")
        elif declarations_left is not None and row.declarations > declarations_left:
            chosen.append(False)
            why.append(f"{head}; too many declarations for the {declarations_left} left of "
                       f"{capacity_declarations}")
        else:
            chosen.append(True)
            why.append(f"{head}; within capacity")
            cases_left -= 1
            if declarations_left is not None:
                declarations_left -= row.declarations
    return chosen, why


def _declaration_why(row) -> str:
    text = f"risk {row.risk_score:.2f} x duty at stake {row.duty_at_risk:,.2f}"
    if row.boost != 1.0:
        text += f" x blue-lane boost {row.boost:g}"
    return f"{text} = priority {row.priority:,.2f}, in case rank {row.case_rank} ({row.importer_id}, {row.period})"
