"""Valuation screening: a reference price database built from the administration's own history.

For each goods item the screen compares the declared unit value with the unit values of comparable imports
accepted earlier, and says how far below them it lies. It never sets a value: in the words of Decision 6.1 of
the WTO Valuation Agreement, a low price is only *a reason to doubt the truth or accuracy of the declared
value*; the trader is then asked for an explanation (and the customs value stays the transaction value unless
that doubt is not dispelled).

Method (choices documented here, tested in tests/risk/test_valuation.py):

- **Unit value** = customs_value / quantity, in EUR per the item's ``quantity_unit`` (UN/ECE Rec. 20). Units
  are never mixed: ``quantity_unit`` is part of every reference key, so kilograms are compared with kilograms
  and pairs with pairs. (Net mass would give one unit for all goods, but EUR/kg is a poor price for TVs or
  cars, whose mass says little about their value.)
- **Reference key**, most specific first: HS6 x origin, HS6, HS4 (heading), chapter (each x quantity unit). A
  level is used when it holds at least ``min_observations`` earlier imports; otherwise the next one down.
  ``valuation_reference_level`` says which one served.
- **Robust statistics** on the logarithm of the unit value: median, MAD (scaled by 1.4826, floored at
  ``min_mad`` so that a cell of identical prices does not make every cent a scandal), z = (log uv - median) /
  MAD, and the price band P10..P90 (``band``).
- **Clean reference set**: rows dated before ``as_of`` only, and declarations already adjusted after a control
  are left out: by default every declaration whose control found a discrepancy, of any kind, before
  ``as_of``. A misclassified item sits in the wrong HS cell, a false origin in the wrong origin cell, an
  understated quantity or an undervaluation had its value corrected: none of them is a price the
  administration accepted. ``exclude_infringements`` narrows this to some infringement types (e.g.
  ``("undervaluation",)``) when that is preferred.
- **Score** (0..1): ``sigmoid(score_slope x (-z_d - z_threshold))``: 0.5 at ``z_threshold`` robust deviations
  below the median, near 0 above it. ``z_d`` is z corrected for the number k of checked items in the same
  declaration (``per_declaration``, Sidak): the lowest of k honest prices is low by chance more often than one
  price, and a declaration is selected by its highest item score, so z_d = Phi^-1(1 - (1 - Phi(z))^k)
  (= z for a one-item declaration). On the synthetic world this lifts undervaluation recall at a 5 % budget
  by 1-3 points. An item whose duty rate is 0 pays no duty on its value, so a low value
  there puts no customs revenue at risk: its score is multiplied by ``zero_duty_weight``.
- **Duty at risk** (EUR), only when the unit value is below the band:
  (reference median unit value - declared unit value) x quantity x duty rate / 100.
"""

import re

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator

from smartcustoms.outcomes.infringements import found as infringement_found
from smartcustoms.reference.units import unit_name

LEVELS = ("hs6xorigin", "hs6", "hs4", "chapter")
_KEYS = {
    "hs6xorigin": ("hs6", "origin_country", "quantity_unit"),
    "hs6": ("hs6", "quantity_unit"),
    "hs4": ("hs4", "quantity_unit"),
    "chapter": ("chapter", "quantity_unit"),
}
_MAD_SCALE = 1.4826  # MAD of a normal distribution x 1.4826 = its standard deviation
_STATS = ["n", "median", "mad", "p_low", "p_high"]
OUTPUT_COLUMNS = ["valuation_score", "valuation_duty_at_risk", "valuation_reason", "valuation_z",
                  "valuation_z_declaration", "valuation_unit_value", "valuation_reference_median",
                  "valuation_band_p10", "valuation_band_p90", "valuation_reference_n", "valuation_reference_level",
                  "valuation_codes"]


# --- vectorised helpers, shared with the other screens ------------------------------------------------------
# Key columns hold few distinct values (codes, countries, units), so they are factorized once and any string
# work is done on the distinct values only, then broadcast back to the rows by their integer codes.
#
# One declaration (one to a few goods items) must also be scored in a millisecond or two, where pandas' fixed
# cost per call (tens of microseconds for a factorize, a millisecond for a chain of string methods) would
# dominate. So the same code runs for one row and for a million, but two helpers change method with the size:
# ``factorize`` uses a dict on up to ``SMALL`` values, and ``cleaned`` cleans a few distinct ASCII strings with
# the plain-Python twin of the cleaning function (``plain_twin``), which gives exactly the text the pandas string
# methods give on ASCII (tests/risk/test_valuation.py runs both ways on the same frames and compares).

SMALL = 64  # up to this many values are factorized with a dict
FEW = 2_000  # up to this many distinct ASCII strings are cleaned in plain Python
_NA = object()  # the key of missing values in a dict factorization


def clean_text(values: pd.Series) -> pd.Series:
    """Stripped, upper-case text; blank -> NaN."""
    values = values.astype("str").str.strip().str.upper()
    return values.where(values.str.len() > 0)


def clean_code(values: pd.Series) -> pd.Series:
    """Commodity codes without dots or spaces; anything but 6 to 10 digits -> NaN."""
    values = values.astype("str").str.replace(".", "", regex=False).str.replace(" ", "", regex=False).str.strip()
    return values.where(values.str.fullmatch(r"\d{6,10}").fillna(False).astype(bool))


_DIGITS = re.compile(r"[0-9]{6,10}")


def _clean_code_one(value: str) -> str | None:
    value = value.replace(".", "").replace(" ", "").strip()
    return value if _DIGITS.fullmatch(value) else None


_PLAIN = {clean_text: lambda value: value.strip().upper() or None, clean_code: _clean_code_one}


def plain_twin(clean, one) -> None:
    """Register ``one(value: str) -> str | None`` as the plain-Python version of the vectorised ``clean`` (it
    must give the same result on every ASCII string)."""
    _PLAIN[clean] = one


def cleaned(values: np.ndarray, clean) -> np.ndarray:
    """``clean`` applied to distinct values (object array; None or NaN where missing): the ASCII strings in plain
    Python when they are few and ``clean`` has a twin, the rest with the pandas string methods."""
    one = _PLAIN.get(clean)
    if one is None or len(values) > FEW:
        return np.asarray(clean(pd.Series(values, dtype=object)), dtype=object)
    plain = np.array([type(v) is str and v.isascii() for v in values], dtype=bool)
    out = np.array([one(v) if ok else None for v, ok in zip(values, plain)], dtype=object)
    if not plain.all():
        out[~plain] = np.asarray(clean(pd.Series(values[~plain], dtype=object)), dtype=object)
    return out


def factorize(values, use_na_sentinel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize as (int64 codes, object array of uniques); on up to ``SMALL`` values with a dict, which
    gives the same codes (in order of first appearance) without pandas' fixed cost."""
    if len(values) > SMALL:
        codes, uniques = pd.factorize(values, use_na_sentinel=use_na_sentinel)
        return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)
    seen: dict = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values.tolist() if hasattr(values, "tolist") else values):
        if pd.isna(value):
            if use_na_sentinel:
                codes[i] = -1
                continue
            value = _NA  # all missing values are one, as in pandas
        codes[i] = seen.setdefault(value, len(seen))
    return codes, np.array([np.nan if v is _NA else v for v in seen], dtype=object)


def factor(frame: pd.DataFrame, column: str, clean=clean_text) -> tuple[np.ndarray, np.ndarray]:
    """(codes, values): an int64 code per row (-1 where missing, blank or invalid) and the distinct cleaned
    values (object array) the codes point into. A missing column counts as all missing."""
    if column not in frame:
        return np.full(len(frame), -1, dtype=np.int64), np.array([], dtype=object)
    codes, uniques = factorize(frame[column])
    remap, values = factorize(cleaned(uniques, clean))
    remap = np.append(remap, -1)  # index -1 (missing) stays -1
    return remap[codes], values


def derive(codes: np.ndarray, values: np.ndarray, how) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a value derived from another one (e.g. HS6 from the commodity code: ``how=lambda v: v[:6]``),
    computed on the distinct (non-missing) values only."""
    derived, uniques = factorize(np.array([how(value) for value in values], dtype=object))
    derived = np.append(derived, -1)
    return derived[codes], uniques


def combine(*codes: np.ndarray, sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(inverse, parts): the distinct combinations of several code columns. ``parts`` is a (k, len(codes))
    array of the component codes (-1 = missing) of each combination, ``inverse`` the combination of each row."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code, size in zip(codes, sizes):
        key = key * (size + 1) + (code + 1)
    inverse, uniques = factorize(key)
    uniques = uniques.astype(np.int64)
    parts = np.empty((len(uniques), len(codes)), dtype=np.int64)
    for i in range(len(codes) - 1, -1, -1):
        parts[:, i] = uniques % (sizes[i] + 1) - 1
        uniques = uniques // (sizes[i] + 1)
    return inverse, parts


def pick(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """values[codes] with NaN where the code is -1 (object array)."""
    out = np.full(len(codes), np.nan, dtype=object)
    present = codes >= 0
    out[present] = values[codes[present]]
    return out


_LARGEST = np.finfo(np.float64).max


def finite(values) -> np.ndarray:
    """``np.nan_to_num(values)``: NaN as 0 and infinities as the largest float of their sign, the same array of
    floats in three ufuncs rather than nan_to_num's generic checks (a fifth of its cost on the few values of a
    declaration being lodged, where the screens call it some 20 times)."""
    values = np.asarray(values)
    if values.dtype != np.float64:
        return np.nan_to_num(values)
    return np.minimum(np.maximum(np.where(np.isnan(values), 0.0, values), -_LARGEST), _LARGEST)


def number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    values = frame[column]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiu":  # already numbers: no parsing
        return values.to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def datetimes(frame: pd.DataFrame, column: str) -> np.ndarray:
    """datetime64[ns] values (NaT where missing or unreadable)."""
    if column not in frame:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    values = frame[column]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # already naive datetimes: no parsing
        return values.to_numpy(dtype="datetime64[ns]")
    return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")


def formatted(values, pattern: str = "{:,.2f}") -> np.ndarray:
    """Numbers as text (object array), formatting each distinct value once."""
    values = np.asarray(values, dtype=float)
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.asarray([pattern.format(value) for value in distinct], dtype=object)[inverse.reshape(-1)]


def append_note(reason: np.ndarray, mask: np.ndarray, text, sep: str = "; ") -> None:
    """reason[mask] += sep + text (or = text where empty), in place; ``text`` a string or an array over mask."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        old = reason[mask]
        text = text if isinstance(text, str) else np.asarray(text, dtype=object)
        reason[mask] = np.where(old == "", text, old + sep + text)


def append_code(coded: np.ndarray, where, reason) -> None:
    """`append_note` as codes: coded[where] (a list of ``{"code", "params"}``, or None) gets `reason` appended (one
    dict, or a sequence of them over `where`: a mask or row positions), in place. The lists are never changed in
    place: one dict given goes into one list shared by the rows that had none, a new list elsewhere."""
    where = np.asarray(where)
    at = np.flatnonzero(where) if where.dtype == bool else where.astype(np.intp)
    if not len(at):
        return
    if isinstance(reason, dict):
        empty = pd.isna(coded[at])
        shared = np.empty(1, dtype=object)
        shared[0] = [reason]
        coded[at[empty]] = shared
        for row in at[~empty].tolist():
            coded[row] = [*coded[row], reason]
        return
    for row, value in zip(at.tolist(), reason):
        coded[row] = [*coded[row], value] if coded[row] else [value]


def missing_codes(code: str, check: str, flags: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The note "not checked: <check> (missing <fields>)" as a code for each row: (mask of the rows missing any of
    the `flags` (field, mask), their ``{"code", "params": {"check", "fields"}}``), one dict per combination of
    fields (not per row)."""
    combo = np.zeros(len(flags[0][1]) if flags else 0, dtype=np.int64)
    for bit, (_, mask) in enumerate(flags):
        combo |= np.asarray(mask, dtype=np.int64) << bit
    has = combo > 0
    combos, inverse = np.unique(combo[has], return_inverse=True)
    table = np.empty(len(combos), dtype=object)
    for at, k in enumerate(combos.tolist()):
        table[at] = {"code": code, "params": {"check": check, "fields": [
            field for bit, (field, _) in enumerate(flags) if k >> bit & 1]}}
    return has, table[inverse.reshape(-1)]


# the valuation screen's notes that name a fixed field (one dict serves every row)
_ORIGIN_PRICE = {"code": "valuation.not_checked.missing", "params": {"check": "origin_price",
                                                                    "fields": ["origin_country"]}}
_DUTY = {"code": "valuation.not_checked.missing", "params": {"check": "duty", "fields": ["duty_rate"]}}


def adjusted_declarations(outcomes: pd.DataFrame | None, infringements=None, as_of=None) -> pd.Index:
    """IDs of declarations whose control found a discrepancy (of the given infringement types, or of any type
    when ``infringements`` is None), inspected strictly before ``as_of`` when given."""
    if outcomes is None or len(outcomes) == 0:
        return pd.Index([], dtype=object)
    if "result" not in outcomes or (infringements is not None and "infringement" not in outcomes):
        return pd.Index([], dtype=object)
    found = outcomes["result"].astype("str").str.strip().str.lower() == "discrepancy"
    if infringements is not None:
        found &= infringement_found(outcomes["infringement"], infringements).to_numpy()
    if as_of is not None and "inspection_date" in outcomes:
        found &= pd.to_datetime(outcomes["inspection_date"], errors="coerce") < pd.Timestamp(as_of)
    return pd.Index(outcomes.loc[found, "declaration_id"].astype("str").unique())


def rows_before(frame: pd.DataFrame, as_of) -> np.ndarray:
    """Rows accepted strictly before ``as_of`` (all rows when as_of is None; a row without a date is never
    before a given date)."""
    if as_of is None:
        return np.ones(len(frame), dtype=bool)
    return datetimes(frame, "acceptance_datetime") < pd.Timestamp(as_of).to_datetime64().astype("datetime64[ns]")


def without(frame: pd.DataFrame, declarations: pd.Index) -> np.ndarray:
    """Rows of ``frame`` whose declaration is not in ``declarations``."""
    if not len(declarations) or "declaration_id" not in frame:
        return np.ones(len(frame), dtype=bool)
    codes, uniques = pd.factorize(frame["declaration_id"].astype("str"))
    drop = pd.Index(np.asarray(uniques, dtype=object)).isin(declarations)
    return ~drop[codes]


class _Keys:
    """The reference keys of a frame: per row codes of HS6, origin and unit, and their distinct values."""

    def __init__(self, frame: pd.DataFrame):
        code, codes = factor(frame, "commodity_code", clean_code)
        self.hs6, self.hs6_values = derive(code, codes, lambda v: v[:6])
        self.origin, self.origin_values = factor(frame, "origin_country")
        self.unit, self.unit_values = factor(frame, "quantity_unit")

    def cells(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(inverse, cells): the distinct (hs6, origin, unit) combinations, with their key columns as text
        (object arrays, NaN where missing)."""
        inverse, parts = combine(self.hs6, self.origin, self.unit,
                                 sizes=(len(self.hs6_values), len(self.origin_values), len(self.unit_values)))
        hs6 = parts[:, 0]
        cells = {"hs6": pick(self.hs6_values, hs6),
                 "hs4": pick(np.array([v[:4] for v in self.hs6_values], dtype=object), hs6),
                 "chapter": pick(np.array([v[:2] for v in self.hs6_values], dtype=object), hs6),
                 "origin_country": pick(self.origin_values, parts[:, 1]),
                 "quantity_unit": pick(self.unit_values, parts[:, 2])}
        return inverse, cells


class ValuationScreen(BaseEstimator):
    """Undervaluation screen: declared unit value against a reference price database built from history.

    ``fit(history, outcomes=None, as_of=None)`` learns ``references_`` (one table per level, indexed by the
    level's key, with n, median, mad, p_low, p_high of the log unit value); ``score(frame)`` returns, with
    the index of ``frame``: valuation_score, valuation_duty_at_risk, valuation_reason, valuation_z,
    valuation_z_declaration, valuation_unit_value, valuation_reference_median, valuation_band_p10,
    valuation_band_p90, valuation_reference_n and valuation_reference_level.
    """

    def __init__(self, min_observations: int = 20, band: tuple[float, float] = (0.10, 0.90), min_mad: float = 0.05,
                 z_threshold: float = 2.0, score_slope: float = 1.5, zero_duty_weight: float = 0.25,
                 per_declaration: bool = True, exclude_infringements: tuple[str, ...] | None = None,
                 currency: str = "EUR"):
        self.min_observations = min_observations
        self.band = band
        self.min_mad = min_mad
        self.z_threshold = z_threshold
        self.score_slope = score_slope
        self.zero_duty_weight = zero_duty_weight
        self.per_declaration = per_declaration
        self.exclude_infringements = exclude_infringements
        self.currency = currency

    # ------------------------------------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame, outcomes: pd.DataFrame | None = None, as_of=None) -> "ValuationScreen":
        adjusted = adjusted_declarations(outcomes, self.exclude_infringements, as_of)
        history = history.loc[rows_before(history, as_of) & without(history, adjusted)]
        keys = _Keys(history)
        inverse, cells = keys.cells()
        with np.errstate(divide="ignore", invalid="ignore"):
            log_uv = np.log(number(history, "customs_value") / number(history, "quantity"))
        cells = pd.DataFrame({name: pd.Series(cells[name], dtype=object) for name in ("hs6", "hs4", "chapter")}
                             | {name: cells[name] for name in ("origin_country", "quantity_unit")})
        data = cells.iloc[inverse].reset_index(drop=True)
        data["log_uv"] = log_uv
        data = data[np.isfinite(log_uv) & data["hs6"].notna().to_numpy() & data["quantity_unit"].notna().to_numpy()]
        self.references_ = {level: self._table(data.dropna(subset=list(_KEYS[level])), list(_KEYS[level]))
                            for level in LEVELS}
        # for scoring: each level's key (a tuple of text) -> its row of statistics
        self.reference_rows_ = {level: dict(zip(table.index, range(len(table))))
                                for level, table in self.references_.items()}
        self.reference_stats_ = {level: table[_STATS].to_numpy(dtype=float)
                                 for level, table in self.references_.items()}
        self.n_reference_rows_ = len(data)
        self.n_excluded_declarations_ = len(adjusted)
        self.as_of_ = None if as_of is None else pd.Timestamp(as_of)
        return self

    def _table(self, data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        grouped = data.groupby(keys, sort=True)["log_uv"]
        n = grouped.size()
        keep = n[n >= self.min_observations].index
        if len(keep) == 0:
            return pd.DataFrame(columns=_STATS, index=pd.MultiIndex.from_arrays([[]] * len(keys), names=keys),
                                dtype=float)
        median = grouped.median()
        deviation = (data["log_uv"] - grouped.transform("median")).abs()
        mad = deviation.groupby([data[k] for k in keys], sort=True).median()
        low, high = self.band
        table = pd.DataFrame({"n": n, "median": median, "mad": mad, "p_low": grouped.quantile(low),
                              "p_high": grouped.quantile(high)})
        return table.loc[keep]

    # ---------------------------------------------------------------------------------------------- score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.score_columns(frame), index=frame.index)

    def score_columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """`score` as a dict of arrays, one value per row of `frame` (no frame built: `risk.assess` reads it)."""
        rows = self.reference_rows_  # raises AttributeError before fit, as scikit-learn does
        n_rows = len(frame)
        keys = _Keys(frame)
        inverse, cells = keys.cells()
        cell_stats, cell_level = self._lookup(cells, rows)
        n_ref, median, mad, p_low, p_high = cell_stats[inverse].T
        level_of = cell_level[inverse]

        value, quantity = number(frame, "customs_value"), number(frame, "quantity")
        duty_rate = number(frame, "duty_rate")
        with np.errstate(divide="ignore", invalid="ignore"):
            unit_value = np.where((value > 0) & (quantity > 0), value / quantity, np.nan)
            z = (np.log(unit_value) - median) / (_MAD_SCALE * np.maximum(mad, self.min_mad))
        z_declaration = self._declaration_z(frame, z)
        score = 1.0 / (1.0 + np.exp(-self.score_slope * (-z_declaration - self.z_threshold)))
        score = np.where(duty_rate == 0, score * self.zero_duty_weight, score)
        reference_uv = np.exp(median)
        band_low = np.exp(p_low)
        below = unit_value < band_low  # False where anything is NaN
        at_risk = np.where(below & (duty_rate > 0), (reference_uv - unit_value) * quantity * duty_rate / 100.0, 0.0)
        at_risk = finite(at_risk)

        reason = np.full(n_rows, "", dtype=object)
        if below.any():
            suffix = self._doubt_suffix(cells, cell_stats, cell_level)
            reason[below] = "declared unit value " + formatted(unit_value[below]) + suffix[inverse[below]]
        coded = self._not_checked(reason, keys, value, quantity, duty_rate, level_of)

        return {
            "valuation_score": score,
            "valuation_duty_at_risk": at_risk,
            "valuation_reason": reason,
            "valuation_z": z,
            "valuation_z_declaration": z_declaration,
            "valuation_unit_value": unit_value,
            "valuation_reference_median": reference_uv,
            "valuation_band_p10": band_low,
            "valuation_band_p90": np.exp(p_high),
            "valuation_reference_n": n_ref,
            "valuation_reference_level": level_of,
            "valuation_codes": coded,  # the "not checked" notes as codes and parameters
        }

    def _lookup(self, cells: dict[str, np.ndarray], rows: dict) -> tuple[np.ndarray, np.ndarray]:
        """Reference statistics and level of each distinct cell: the most specific level with enough data."""
        stats = np.full((len(cells["hs6"]), len(_STATS)), np.nan)
        level_of = np.full(len(cells["hs6"]), "", dtype=object)
        tables = self.reference_stats_
        for i, (hs6, origin, unit) in enumerate(zip(cells["hs6"], cells["origin_country"], cells["quantity_unit"])):
            if not (isinstance(hs6, str) and isinstance(unit, str)):
                continue  # no level without the goods and the unit
            for level, key in (("hs6xorigin", (hs6, origin, unit)), ("hs6", (hs6, unit)), ("hs4", (hs6[:4], unit)),
                               ("chapter", (hs6[:2], unit))):
                found = rows[level].get(key) if isinstance(origin, str) or level != "hs6xorigin" else None
                if found is not None:
                    stats[i], level_of[i] = tables[level][found], level
                    break
        return stats, level_of

    def _doubt_suffix(self, cells: dict[str, np.ndarray], stats: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Per distinct cell with a reference, the rest of the Decision 6.1 sentence after the declared unit
        value."""
        suffix = np.full(len(level), "", dtype=object)
        found = np.flatnonzero(level != "")
        low = int(round(self.band[0] * 100))
        band, n = formatted(np.exp(stats[found, 3])), formatted(stats[found, 0], "{:,.0f}")
        for i, cell in enumerate(found):
            hs6, unit = cells["hs6"][cell], cells["quantity_unit"][cell]
            goods = {"hs6xorigin": f"{hs6} from {cells['origin_country'][cell]}", "hs6": f"{hs6} (all origins)",
                     "hs4": f"heading {hs6[:4]}", "chapter": f"chapter {hs6[:2]}"}[level[cell]]
            suffix[cell] = (f" {self.currency}/{unit_name(unit)} is below the P{low} ({band[i]}) of {n[i]}"
                            f" comparable imports of {goods}: reason to doubt the declared value (WTO Decision 6.1)")
        return suffix

    def _declaration_z(self, frame: pd.DataFrame, z: np.ndarray) -> np.ndarray:
        """z corrected for the number of checked items in the same declaration (Sidak): the z whose lower
        tail probability is that of the lowest of k honest items falling this low by chance."""
        if not self.per_declaration or "declaration_id" not in frame or len(frame) == 0:
            return z
        declaration, _ = factorize(frame["declaration_id"], use_na_sentinel=False)
        checked = ~np.isnan(z)
        k = np.bincount(declaration, weights=checked)[declaration]
        tail = special.ndtr(z)  # P(an honest item lies this far below the median)
        with np.errstate(divide="ignore", invalid="ignore"):
            adjusted = -np.expm1(np.maximum(k, 1.0) * np.log1p(-tail))
        return np.where(checked, special.ndtri(np.clip(adjusted, 1e-300, 1.0)), np.nan)

    def _not_checked(self, reason, keys: _Keys, value, quantity, duty_rate, level_of) -> np.ndarray:
        """Append "not checked: ..." for what could not be checked, naming the missing field; the same notes as
        codes and parameters (``valuation_codes``: None on a row without one)."""
        no_code, no_unit = keys.hs6 < 0, keys.unit < 0
        no_value, no_quantity = ~(value > 0), ~(quantity > 0)
        coded = np.full(len(reason), None, dtype=object)
        missing = np.full(len(reason), "", dtype=object)
        flags = [("commodity_code", no_code), ("quantity_unit", no_unit), ("customs_value", no_value),
                 ("quantity", no_quantity)]
        for field, mask in flags:
            append_note(missing, mask, field, sep=", ")
        has = missing != ""
        if has.any():
            append_note(reason, has, "not checked: unit value against reference prices (missing " + missing[has]
                        + ")")
            append_code(coded, *missing_codes("valuation.not_checked.missing", "reference_price", flags))
        no_origin = (keys.origin < 0) & ~has
        append_note(reason, no_origin, "not checked: origin-specific reference price (missing origin_country)")
        append_code(coded, no_origin, _ORIGIN_PRICE)
        few = ~has & (level_of == "")
        append_note(reason, few, f"not checked: unit value (fewer than {self.min_observations} comparable imports)")
        append_code(coded, few, {"code": "valuation.not_checked.few_imports", "params": {"min": self.min_observations}})
        no_rate = np.isnan(duty_rate) & (level_of != "")
        append_note(reason, no_rate, "not checked: duty at risk (missing duty_rate)")
        append_code(coded, no_rate, _DUTY)
        return coded

