"""Risk engine: officer risk profiles, revenue-risk screens (value, classification, origin, trader) and
selectivity. Pure computation over DataFrames: no database, web or CLI imports here.

Frame contracts shared by every module:

- declarations frame: one row per goods item, columns ``smartcustoms.declarations.models.FIELDS``.
- outcomes frame: one row per control: declaration_id, inspection_date, control_type, selection_reason,
  result ("discrepancy" | "no_discrepancy"), infringement (fraud type or ""), duty_recovered.
- a screen's output: same index as its input, columns ``<name>_score`` (0..1, NaN when the check could not
  run), ``<name>_duty_at_risk`` (>= 0) and ``<name>_reason`` (a sentence when flagged, "" otherwise,
  "not checked: ..." when the check could not run).
"""
