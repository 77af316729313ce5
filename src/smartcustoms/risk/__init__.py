"""Risk engine: officer risk profiles, revenue-risk screens (value, classification, origin, trader) and
selectivity. The screens, profiles, selectivity, assessment and replay are pure computation over DataFrames;
``tables.py`` and ``repository.py`` hold the profile store and the audit trail of decisions, ``service.py`` the
use cases that web and CLI call. Nothing here imports web or CLI.

Frame contracts shared by every module:

- declarations frame: one row per goods item, columns ``smartcustoms.declarations.models.FIELDS``.
- outcomes frame: one row per control: declaration_id, inspection_date, control_type, selection_reason,
  result ("discrepancy" | "no_discrepancy"), infringement (fraud type or ""), duty_recovered.
- a screen's output: same index as its input, columns ``<name>_score`` (0..1, NaN when the check could not
  run), ``<name>_duty_at_risk`` (>= 0) and ``<name>_reason`` (a sentence when flagged, "" otherwise,
  "not checked: ..." when the check could not run); most screens also ``<name>_codes``, the same reasons and
  notes as ``{"code", "params"}`` lists for the web's words (notes: codes ``<name>.not_checked.*``).
"""
