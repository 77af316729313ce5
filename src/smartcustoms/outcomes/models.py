"""The outcomes frame (COLUMNS) and reading it from a CSV in the layout of the synthetic world's inspections.csv."""

from pathlib import Path

import pandas as pd

from smartcustoms.declarations.mapping import IntakeError
from smartcustoms.declarations.models import acceptance_window

COLUMNS = ["declaration_id", "inspection_date", "control_type", "selection_reason", "result", "infringement",
           "duty_recovered"]
RESULTS = {"discrepancy", "no_discrepancy"}
LENGTHS = {"declaration_id": 35, "control_type": 20, "selection_reason": 20, "infringement": 2000}


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
    earliest, latest = acceptance_window()  # issue 14: the declarations' window, and the columns' lengths
    naive = dates.dt.tz_convert(None) if getattr(dates.dt, "tz", None) is not None else dates
    outside = dates.notna() & ((naive < earliest) | (naive > latest))
    too_long = {name: frame[name].str.len() > size for name, size in LENGTHS.items()}
    for mask, field, why in ((dates.isna(), "inspection_date", "not a date"),
                             (outside, "inspection_date", f"outside {earliest:%Y-%m-%d} to now"),
                             *((too_long[name], name, f"longer than {size} characters")
                               for name, size in LENGTHS.items()),
                             (~frame["result"].isin(RESULTS), "result", f"must be one of {sorted(RESULTS)}"),
                             (duty.isna() | (duty < 0), "duty_recovered", "must be a number >= 0"),
                             (frame["declaration_id"].eq(""), "declaration_id", "missing value")):
        if mask.any():
            row = int(mask.to_numpy().argmax())
            raise IntakeError(f"{path.name} row {row + 2}, {field}: {why} ({frame.iloc[row][field]!r})")
    return frame[COLUMNS].assign(inspection_date=dates.dt.normalize(), duty_recovered=duty)
