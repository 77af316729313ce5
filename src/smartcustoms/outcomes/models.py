"""The outcomes frame (COLUMNS) and reading it from a CSV in the layout of the synthetic world's inspections.csv."""

from pathlib import Path

import pandas as pd

from smartcustoms.declarations.mapping import IntakeError

COLUMNS = ["declaration_id", "inspection_date", "control_type", "selection_reason", "result", "infringement",
           "duty_recovered"]
RESULTS = {"discrepancy", "no_discrepancy"}


def read_outcomes(path: Path) -> pd.DataFrame:
    """Parse and check an outcomes CSV; raises IntakeError naming the row and field of the first problem."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise IntakeError(f"{path.name}: unreadable CSV ({exc})") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise IntakeError(f"{path.name}: missing column(s) {missing}")
    dates = pd.to_datetime(frame["inspection_date"], errors="coerce", format="ISO8601")
    duty = pd.to_numeric(frame["duty_recovered"].replace("", "0"), errors="coerce")
    for mask, field, why in ((dates.isna(), "inspection_date", "not a date"),
                             (~frame["result"].isin(RESULTS), "result", f"must be one of {sorted(RESULTS)}"),
                             (duty.isna() | (duty < 0), "duty_recovered", "must be a number >= 0"),
                             (frame["declaration_id"].eq(""), "declaration_id", "missing value")):
        if mask.any():
            row = int(mask.to_numpy().argmax())
            raise IntakeError(f"{path.name} row {row + 2}, {field}: {why} ({frame.iloc[row][field]!r})")
    return frame[COLUMNS].assign(inspection_date=dates.dt.normalize(), duty_recovered=duty)
