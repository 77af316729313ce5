"""Origin screening: declared origins that do not fit the route, the trader, the trade agreement or the goods.

A false origin saves duty in two ways: it dodges an anti-dumping or countervailing duty on the true origin
(transshipment, circumvention), or it earns a preference the true origin would not. The screen runs five
checks on every goods item; each gives a sub-score in 0..1 and, when it fires, a sentence and an estimate of
the duty at risk:

``route``
    origin differs from the dispatch country, and that (origin, dispatch) pair is rare among earlier imports
    from that origin (share below ``route_min_share``).
``switch``
    the importer had at least ``switch_min_prior`` earlier declarations of the same HS6, none from this origin
    ("earlier" means strictly before this declaration's acceptance, counting the history given to ``fit`` and
    the earlier rows of the frame being scored, never later ones). Stronger when the new origin pays less duty
    than the importer paid on average before. Duty at risk: value x (earlier average rate - declared rate).
``preference``
    a preference is claimed under an agreement that does not cover the origin (or the goods' chapter), or
    under an unknown agreement code. Duty at risk: the duty the preference saves, value x the conventional
    rate (``OriginConfig.conventional_rates`` by HS prefix, else learned from history: the median rate of
    items of that code declared without preference and without additional duty).
``circumvention``
    the goods are under a trade-defence measure (``OriginConfig.measures``: HS prefix -> {origin: additional
    duty %}), the declared origin is not one of the measured origins, and it is new or rare for that HS6
    (share below ``new_origin_share`` of earlier imports) or suddenly growing (its share over the last
    ``recent_days`` before ``as_of`` at least ``growth_factor`` x its share before, with at least 5 recent
    imports and ``min_observations`` imports of the HS6 in each period). Duty at risk: value x the highest
    additional duty of the measure, what the measured origin would pay.
``unusual_origin``
    data-driven version of the same pattern for all goods: the origin is rare for the HS6 (share below
    ``rare_origin_share``) and the declared rate is below what these goods usually pay (the mean rate of
    earlier imports of the HS6), e.g. thanks to a preference. Duty at risk: value x the difference in rates.

Shares are only judged for an HS6 with at least ``min_observations`` earlier imports. Each check's sub-score is
its weight (``route_weight`` ... ``unusual_weight``) times a strength in 0..1 (how rare; for switch and unusual
origin also how much duty the origin saves, full at ``rare_gap_scale`` percentage points). The default weights
rank the precise checks (unusual origin, circumvention, preference) above the noisy ones (route, switch),
which on the synthetic world fire on 8 % of honest items each.

``origin_score`` = 1 - prod(1 - sub-score) over the checks that could run (NaN if none could);
``origin_duty_at_risk`` = the largest estimate of the checks that fired (estimates overlap, so they are not
added); ``origin_reason`` joins the sentences with "; " and adds "not checked: <check> (missing <field>)" for a
check a missing field prevented.
"""

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator

from smartcustoms.risk import valuation
from smartcustoms.risk.valuation import (
    adjusted_declarations,
    append_code,
    append_note,
    clean_code,
    combine,
    datetimes,
    derive,
    factor,
    factorize,
    finite,
    formatted,
    missing_codes,
    number,
    pick,
    plain_twin,
    rows_before,
    without,
)

CHECKS = ("route", "switch", "preference", "circumvention", "unusual_origin")
CHECK_NAMES = {"route": "origin against dispatch route", "switch": "importer's origin switch",
               "preference": "preference coverage", "circumvention": "circumvention of trade-defence measures",
               "unusual_origin": "unusual origin for the goods"}
_NON_AGRICULTURAL = frozenset(f"{chapter:02d}" for chapter in range(25, 98))


class TradeAgreement(BaseModel):
    """A preferential agreement: the partner countries whose goods may claim it, and the HS chapters it
    covers (two-digit strings; None = all chapters)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partners: frozenset[str]
    chapters: frozenset[str] | None = None


def _agreements() -> dict[str, TradeAgreement]:
    # Illustrative, modelled on the EU's agreements (the synthetic world's catalogue uses the same codes).
    partners = {
        "EU-MA-AA": {"MA"}, "EU-KR-FTA": {"KR"}, "EU-VN-FTA": {"VN"}, "EU-JP-EPA": {"JP"},
        "EU-UK-TCA": {"GB"}, "EU-MX-GA": {"MX"}, "EU-EG-AA": {"EG"}, "EU-SADC-EPA": {"ZA"},
        "EU-CO-PE-EC": {"CO", "PE", "EC"}, "EU-CA-AA": {"CR", "PA"}, "EU-UA-DCFTA": {"UA"}, "EU-RS-SAA": {"RS"},
        "EU-MD-DCFTA": {"MD"}, "EU-CL-AA": {"CL"}, "EU-NZ-FTA": {"NZ"}, "GSP-EBA": {"BD", "KH"},
        "GSP-PLUS": {"PK", "LK"},
    }
    agreements = {code: TradeAgreement(partners=frozenset(countries)) for code, countries in partners.items()}
    for code, country in (("EU-TR-CU", "TR"), ("EU-CH-FTA", "CH"), ("EU-EEA", "NO")):  # no chapters 01-24
        agreements[code] = TradeAgreement(partners=frozenset({country}), chapters=_NON_AGRICULTURAL)
    return agreements


def _measures() -> dict[str, dict[str, float]]:
    # Illustrative anti-dumping / countervailing duties (percent), modelled on EU measures on Chinese goods.
    rates = {
        "72085120": 25.0, "72104900": 22.0, "73181595": 55.0, "73181290": 55.0, "73041100": 60.0,
        "76071119": 30.0, "40112090": 45.0, "69072100": 50.0, "69111000": 35.0, "69120023": 35.0,
        "85414300": 40.0, "87038010": 20.0, "87116010": 60.0, "87120030": 48.5, "87087050": 22.0,
    }
    return {code: {"CN": rate} for code, rate in rates.items()}


class OriginConfig(BaseModel):
    """Trade agreements and trade-defence measures the origin screen checks against.

    The defaults suit the synthetic world (docs/synthetic-world.md); an administration passes its own.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreements: dict[str, TradeAgreement] = Field(default_factory=_agreements)
    measures: dict[str, dict[str, float]] = Field(
        default_factory=_measures, description="HS prefix (2 to 10 digits) -> {origin: additional duty, percent}")
    conventional_rates: dict[str, float] = Field(
        default_factory=dict, description="HS prefix -> conventional duty (percent); learned from history if absent")


def clean_id(values: pd.Series) -> pd.Series:
    values = values.astype("str").str.strip()
    return values.where(values.str.len() > 0)


plain_twin(clean_id, lambda value: value.strip() or None)
_SECOND = 1_000_000_000  # ns


def longest_prefix(code, prefixes) -> str | None:
    """The longest of ``prefixes`` that ``code`` starts with (None if none; a missing code counts as "")."""
    code, found = code if isinstance(code, str) else "", None
    for length in sorted({len(prefix) for prefix in prefixes}):
        if len(code) >= length and code[:length] in prefixes:
            found = code[:length]
    return found


def _get(mapping: dict, keys, default=np.nan) -> np.ndarray:
    """mapping[key] for each key (``default`` where absent), as floats."""
    return np.array([mapping.get(key, default) for key in keys], dtype=float)


def _cut(values: np.ndarray, length: int) -> np.ndarray:
    """The first ``length`` characters of each (present) text value."""
    return np.array([value[:length] for value in values], dtype=object)


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Sorted arrays: for each position, the index where its run of equal keys starts."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.maximum.accumulate(np.where(change, np.arange(n), 0)) if n else np.zeros(0, dtype=np.int64)


def earlier(group: np.ndarray, time: np.ndarray, weight: np.ndarray | None = None, start=None):
    """Per row: how many rows of the same group are strictly earlier in time, and the sum of their weights.

    ``group``: non-negative int64 codes; ``time``: int64 nanoseconds. Rows of the same group within the same
    second, counted from ``start`` (default: the earliest time), count as simultaneous (neither is earlier than
    the other).
    """
    if start is None:
        start = time.min() if len(time) else 0
    seconds = (time - start) // _SECOND
    span = int(seconds.max()) + 1 if len(time) else 1
    if len(time) and int(group.max()) < (2**62) // span:
        order = np.argsort(group * span + seconds, kind="stable")  # one key: much faster than a lexsort
    else:
        order = np.lexsort((seconds, group))
    g, t = group[order], seconds[order]
    begin, tie = _run_starts(g), _run_starts(g, t)
    count = np.empty(len(group), dtype=np.int64)
    count[order] = tie - begin
    if weight is None:
        return count, None
    # running sums within each group only, in a stable order: a row's sum is added up from its own group's rows
    # alone, the same whatever other groups the frame holds (a batch split by importer gives the same sums)
    running = _running_sums(weight[order], g)
    total = np.empty(len(group))
    total[order] = np.where(tie > begin, running[np.maximum(tie - 1, 0)], 0.0)
    return count, total


def _running_sums(weight: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``pd.Series(weight).groupby(group, sort=False).cumsum()``: the running sum of each group in the rows'
    order. On a few finite weights (a declaration being lodged) in plain Python, added up as pandas adds them
    (a compensated, Kahan sum per group): the same numbers, without pandas' grouping."""
    if len(weight) > valuation.SMALL or not np.isfinite(weight).all():
        return pd.Series(weight).groupby(group, sort=False).cumsum().to_numpy()
    total: dict = {}  # group -> [sum, compensation]
    out = np.empty(len(weight))
    for at, (value, key) in enumerate(zip(weight.tolist(), group.tolist())):
        state = total.setdefault(key, [0.0, 0.0])
        y = value - state[1]
        t = state[0] + y
        state[1] = t - state[0] - y
        state[0] = out[at] = t
    return out


class _Earlier:
    """Rows of the fitted history by group and time, to count those of a group earlier than given times (and
    sum their weights) by binary search. Times are ranks into the sorted history times, so that group and time
    fit in one int64 key; a row counts for a query when its rank is below the query's."""

    def __init__(self, group: np.ndarray, rank: np.ndarray, size: int, weight: np.ndarray | None = None):
        self.groups = np.unique(group)
        self.size = size + 1
        key = np.searchsorted(self.groups, group) * self.size + rank
        order = np.argsort(key, kind="stable")
        self.keys = key[order]
        self.cum = None if weight is None else np.concatenate([[0.0], np.cumsum(weight[order])])

    def count(self, group: np.ndarray, rank: np.ndarray):
        """(rows, weight sum) of each query's group (-1: none) with a rank below the query's rank."""
        position = np.searchsorted(self.groups, group)
        found = self.groups[np.minimum(position, len(self.groups) - 1)] == group if len(self.groups) else group < -1
        base = position * self.size
        begin = np.searchsorted(self.keys, base, side="left")
        end = np.where(found, np.searchsorted(self.keys, base + rank, side="left"), begin)
        return end - begin, (None if self.cum is None else self.cum[end] - self.cum[begin])


def _coded(code: str, size: int, fire: np.ndarray, **params) -> np.ndarray:
    """A check's reason as a code and its parameters (`params`: an array over the firing rows, or one value), None
    elsewhere: the pages write it in the reader's words."""
    out = np.full(size, None, dtype=object)
    at = np.flatnonzero(fire)
    if len(at):
        names = list(params)
        columns = [np.broadcast_to(np.asarray(value), len(at)).tolist() for value in params.values()]
        out[at] = [{"code": code, "params": {name: None if value != value else value  # NaN -> None
                                             for name, value in zip(names, row)}} for row in zip(*columns)]
    return out


def _round(values, digits: int = 4) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float), digits)


def _pct(values) -> np.ndarray:
    return formatted(values, "{:.1f}%")


def _share(values) -> np.ndarray:
    return formatted(100 * np.asarray(values, dtype=float), "{:.1f}%")


def _count(values) -> np.ndarray:
    return formatted(values, "{:,.0f}")


class OriginScreen(BaseEstimator):
    """False-origin screen (see the module docstring for the five checks).

    ``fit(history, outcomes=None, as_of=None)`` learns from declarations dated strictly before ``as_of``:
    ``route_pairs_`` (items per origin x dispatch), ``origin_counts_`` (items per origin), ``origin_shares_``
    (per HS6 x origin: n, recent, share, recent_share, earlier_share), ``hs6_counts_``, ``usual_rate_`` (mean
    duty rate per HS6), ``conventional_rate_`` (per commodity code) and ``importer_history_`` (the rows the
    switch check compares with, as codes into ``history_values_``). Declarations whose control found a false
    origin before ``as_of`` are left out (their declared origin was not the true one). ``score(frame)``
    returns origin_score, origin_duty_at_risk, origin_reason and one ``origin_<check>`` sub-score per check.

    For scoring, ``fit`` also keeps these tables as plain dicts (``lookups_``, ``codes_``) and the importer
    history sorted for binary search (``switch_history_``): a declaration of a few items is then scored in about
    a millisecond, and a large frame as fast as before, by the same code.
    """

    def __init__(self, config: OriginConfig | None = None, route_min_share: float = 0.02, route_weight: float = 0.2,
                 switch_min_prior: int = 3, switch_weight: float = 0.3, new_origin_share: float = 0.05,
                 growth_factor: float = 2.0, recent_days: int = 90, rare_origin_share: float = 0.03,
                 rare_gap_scale: float = 5.0, min_observations: int = 20, preference_weight: float = 0.9,
                 circumvention_weight: float = 0.9, unusual_weight: float = 1.0):
        self.config = config
        self.route_min_share = route_min_share
        self.route_weight = route_weight
        self.switch_min_prior = switch_min_prior
        self.switch_weight = switch_weight
        self.new_origin_share = new_origin_share
        self.growth_factor = growth_factor
        self.recent_days = recent_days
        self.rare_origin_share = rare_origin_share
        self.rare_gap_scale = rare_gap_scale
        self.min_observations = min_observations
        self.preference_weight = preference_weight
        self.circumvention_weight = circumvention_weight
        self.unusual_weight = unusual_weight

    # ------------------------------------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame, outcomes: pd.DataFrame | None = None, as_of=None) -> "OriginScreen":
        config = self.config or OriginConfig()
        found = adjusted_declarations(outcomes, ("false_origin",), as_of)
        history = history.loc[rows_before(history, as_of) & without(history, found)]
        code, code_values = factor(history, "commodity_code", clean_code)
        hs6, hs6_values = derive(code, code_values, lambda v: v[:6])
        origin, origin_values = factor(history, "origin_country")
        dispatch, dispatch_values = factor(history, "dispatch_country")
        importer, importer_values = factor(history, "importer_id", clean_id)
        claim, _ = factor(history, "preference_claim")
        time = datetimes(history, "acceptance_datetime")
        rate = number(history, "duty_rate")

        # route: items per origin x dispatch, and per origin
        both = (origin >= 0) & (dispatch >= 0)
        inverse, parts = combine(origin[both], dispatch[both], sizes=(len(origin_values), len(dispatch_values)))
        self.route_pairs_ = pd.Series(
            np.bincount(inverse, minlength=len(parts)),
            index=pd.MultiIndex.from_arrays([origin_values[parts[:, 0]], dispatch_values[parts[:, 1]]],
                                            names=["origin", "dispatch"]), name="items")
        self.origin_counts_ = self.route_pairs_.groupby(level="origin").sum()

        # origins per HS6, overall and over the last recent_days
        known = (hs6 >= 0) & (origin >= 0)
        end = (pd.Timestamp(as_of).to_datetime64().astype("datetime64[ns]") if as_of is not None
               else (time[known].max() if known.any() else np.datetime64("NaT", "ns")))
        recent = time >= end - np.timedelta64(self.recent_days, "D")
        inverse, parts = combine(hs6[known], origin[known], sizes=(len(hs6_values), len(origin_values)))
        n = np.bincount(inverse, minlength=len(parts)).astype(float)
        n_recent = np.bincount(inverse, weights=recent[known], minlength=len(parts))
        cell_hs6 = hs6_values[parts[:, 0]]
        shares = pd.DataFrame({"n": n, "recent": n_recent},
                              index=pd.MultiIndex.from_arrays([cell_hs6, origin_values[parts[:, 1]]],
                                                              names=["hs6", "origin"]))
        by_hs6 = shares.groupby(level="hs6")[["n", "recent"]].sum()
        total = by_hs6.reindex(cell_hs6)
        recent_total = total["recent"].to_numpy()
        earlier_total = total["n"].to_numpy() - recent_total
        enough = self.min_observations
        with np.errstate(divide="ignore", invalid="ignore"):  # a period with too few imports has no share
            shares["share"] = n / total["n"].to_numpy()
            shares["recent_share"] = np.where(recent_total >= enough, n_recent / recent_total, np.nan)
            shares["earlier_share"] = np.where(earlier_total >= enough, (n - n_recent) / earlier_total, np.nan)
        self.origin_shares_ = shares
        self.hs6_counts_ = by_hs6["n"]

        # duty: what the goods usually pay (mean rate per HS6) and their conventional rate (median rate per
        # code of items without preference claim and without additional duty)
        rated = (hs6 >= 0) & ~np.isnan(rate)
        self.usual_rate_ = pd.Series(
            np.bincount(hs6[rated], weights=rate[rated], minlength=len(hs6_values))
            / np.maximum(np.bincount(hs6[rated], minlength=len(hs6_values)), 1), index=hs6_values)[
            np.bincount(hs6[rated], minlength=len(hs6_values)) > 0]
        plain = rated & (claim < 0) & (code >= 0)
        if "tax_type" in history:
            plain &= history["tax_type"].astype("str").str.strip().ne("A30").to_numpy()
        plain_rates = pd.DataFrame({"code": code_values[code[plain]], "rate": rate[plain]})
        self.conventional_rate_ = plain_rates.groupby("code")["rate"].median()
        self.conventional_rate_hs6_ = plain_rates.groupby(plain_rates["code"].str[:6])["rate"].median()

        # the importer history the switch check compares with
        usable = (importer >= 0) & (hs6 >= 0) & (origin >= 0) & ~np.isnat(time)
        self.importer_history_ = pd.DataFrame(
            {
                "declaration_id": history["declaration_id"].astype("str").to_numpy()[usable],
                "importer": importer[usable], "hs6": hs6[usable], "origin": origin[usable],
                "time": time[usable].view(np.int64), "rate": finite(rate[usable]),
            }
        )
        self.history_values_ = {"importer": importer_values, "hs6": hs6_values, "origin": origin_values}
        self.config_ = config
        self.as_of_ = None if as_of is None else pd.Timestamp(as_of)
        self._prepare_lookups()
        return self

    def _prepare_lookups(self) -> None:
        """Plain dicts and sorted arrays for scoring: a frame of one declaration is then scored with a few
        dict look-ups and binary searches instead of pandas joins on the whole history."""
        config = self.config_
        self.lookups_ = {
            "route_pairs": dict(self.route_pairs_.items()),
            "origin_counts": dict(self.origin_counts_.items()),
            "shares": dict(zip(self.origin_shares_.index, range(len(self.origin_shares_)))),
            "share_values": self.origin_shares_[["n", "recent", "share", "recent_share", "earlier_share"]]
            .to_numpy(dtype=float),
            "hs6_counts": dict(self.hs6_counts_.items()),
            "usual_rate": dict(self.usual_rate_.items()),
            "conventional_rate": dict(self.conventional_rate_.items()),
            "conventional_rate_hs6": dict(self.conventional_rate_hs6_.items()),
            "partners": {(key, country) for key, a in config.agreements.items() for country in a.partners},
            "chapters": {(key, chapter) for key, a in config.agreements.items() if a.chapters is not None
                         for chapter in a.chapters},
            "measured": {(key, country) for key, rates in config.measures.items() for country in rates},
            "top_rate": {key: max(rates.values(), default=0.0) for key, rates in config.measures.items()},
            "measured_names": {key: ", ".join(sorted(rates)) for key, rates in config.measures.items()},
        }
        # the importer history of the switch check, in the coding of history_values_
        history, values = self.importer_history_, self.history_values_
        self.codes_ = {name: {value: i for i, value in enumerate(values[name].tolist())} for name in values}
        time = history["time"].to_numpy()
        times = np.sort(time)
        rank = np.searchsorted(times, time, side="left")  # how many history rows are earlier
        pair = history["importer"].to_numpy() * (len(values["hs6"]) + 1) + history["hs6"].to_numpy()
        pair_origin = pair * (len(values["origin"]) + 1) + history["origin"].to_numpy()
        rate = history["rate"].to_numpy(dtype=float)
        self.switch_history_ = {
            "times": times, "by_time": np.argsort(time, kind="stable"), "rank": rank, "pair": pair,
            "pair_origin": pair_origin, "rate": rate,
            "pairs": _Earlier(pair, rank, len(time), rate), "pairs_origin": _Earlier(pair_origin, rank, len(time)),
        }

    def _history_code(self, name: str, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The codes of ``values[codes]`` in the coding of the fitted history (-1: missing or unseen)."""
        known = self.codes_[name]
        return np.array([known.get(value, -1) for value in values.tolist()] + [-1], dtype=np.int64)[codes]

    # ---------------------------------------------------------------------------------------------- score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.score_columns(frame), index=frame.index)

    def score_columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """`score` as a dict of arrays (no frame built: `risk.assess` reads it)."""
        config = self.config_  # raises AttributeError before fit, as scikit-learn does
        n = len(frame)
        code, code_values = factor(frame, "commodity_code", clean_code)
        rows = {
            "code": (code, code_values),
            "hs6": derive(code, code_values, lambda v: v[:6]),
            "origin": factor(frame, "origin_country"),
            "dispatch": factor(frame, "dispatch_country"),
            "claim": factor(frame, "preference_claim"),
            "importer": factor(frame, "importer_id", clean_id),
        }
        value = number(frame, "customs_value")
        value = np.where(value > 0, value, np.nan)
        rate = number(frame, "duty_rate")
        time = datetimes(frame, "acceptance_datetime")

        sub, risk, text, missing = {}, {}, {}, {}
        for check in CHECKS:
            sub[check], risk[check] = np.full(n, np.nan), np.zeros(n)
            text[check], missing[check] = np.full(n, "", dtype=object), []
            text[f"{check}_code"] = np.full(n, None, dtype=object)  # the same reason as a code and parameters
        self._route(rows, sub, text, missing)
        self._switch(frame, rows, value, rate, time, sub, risk, text, missing)
        self._preference(rows, value, config, sub, risk, text, missing)
        self._goods(rows, value, rate, config, sub, risk, text, missing)
        return self._combine(n, sub, risk, text, missing)

    def _route(self, rows, sub, text, missing) -> None:
        (origin, origin_values), (dispatch, dispatch_values) = rows["origin"], rows["dispatch"]
        missing["route"] = [("origin_country", origin < 0), ("dispatch_country", dispatch < 0)]
        inverse, parts = combine(origin, dispatch, sizes=(len(origin_values), len(dispatch_values)))
        o, d = pick(origin_values, parts[:, 0]), pick(dispatch_values, parts[:, 1])
        runs = (parts >= 0).all(axis=1)
        differs = runs & (o != d)
        pair = _get(self.lookups_["route_pairs"], zip(o, d), 0.0)
        total = _get(self.lookups_["origin_counts"], o, 0.0)
        share = pair / np.maximum(total, 1.0)
        strength = np.where(differs, np.clip(1 - share / self.route_min_share, 0, 1), 0.0)
        cell = np.where(runs, self.route_weight * strength, np.nan)
        sentence = np.full(len(parts), "", dtype=object)
        fire = strength > 0
        if fire.any():
            sentence[fire] = ("origin " + o[fire] + " dispatched from " + d[fire] + ": a route seen in "
                              + _share(share[fire]) + " of " + _count(total[fire]) + " earlier imports from " + o[fire])
        coded = _coded("origin.route", len(parts), fire, origin=o[fire], dispatch=d[fire],
                       share=_round(share[fire]), earlier=total[fire].astype(np.int64))
        sub["route"], text["route"], text["route_code"] = cell[inverse], sentence[inverse], coded[inverse]

    def _switch(self, frame, rows, value, rate, time, sub, risk, text, missing) -> None:
        (importer, importer_values), (hs6, hs6_values), (origin, origin_values) = (
            rows["importer"], rows["hs6"], rows["origin"])
        missing["switch"] = [("importer_id", importer < 0), ("commodity_code", hs6 < 0),
                             ("origin_country", origin < 0), ("acceptance_datetime", np.isnat(time))]
        runs = (importer >= 0) & (hs6 >= 0) & (origin >= 0) & ~np.isnat(time)
        sub["switch"] = np.where(runs, 0.0, np.nan)
        mine = np.flatnonzero(runs)
        if not len(mine):
            return
        history = self.switch_history_
        t = time[mine].view(np.int64)
        times = history["times"]
        start = min(t.min(), times[0]) if len(times) else t.min()  # seconds are counted from the earliest row
        my_rate = rate[mine]
        # earlier rows of the frame itself
        group = importer[mine] * (len(hs6_values) + 1) + hs6[mine]
        group_origin = group * (len(origin_values) + 1) + origin[mine]
        prior, rate_sum = earlier(group, t, finite(my_rate), start)
        prior_same, _ = earlier(group_origin, t, None, start)
        # and of the history: rows of the same importer and HS6 (and origin) accepted in an earlier second
        rank = np.searchsorted(times, start + (t - start) // _SECOND * _SECOND, side="left")
        imp = self._history_code("importer", importer[mine], importer_values)
        code6 = self._history_code("hs6", hs6[mine], hs6_values)
        orig = self._history_code("origin", origin[mine], origin_values)
        pair = np.where((imp >= 0) & (code6 >= 0), imp * (len(self.codes_["hs6"]) + 1) + code6, -1)
        pair_origin = np.where((pair >= 0) & (orig >= 0), pair * (len(self.codes_["origin"]) + 1) + orig, -1)
        count, total = history["pairs"].count(pair, rank)
        prior, rate_sum = prior + count, rate_sum + total
        prior_same = prior_same + history["pairs_origin"].count(pair_origin, rank)[0]
        # less the history rows that are rows of this frame again (a declaration scored twice counts once)
        repeated = self._repeated(frame, mine, t.min())
        if len(repeated):
            rows_rank, size = history["rank"][repeated], len(times)
            count, total = _Earlier(history["pair"][repeated], rows_rank, size, history["rate"][repeated]).count(
                pair, rank)
            prior, rate_sum = prior - count, rate_sum - total
            prior_same = prior_same - _Earlier(history["pair_origin"][repeated], rows_rank, size).count(
                pair_origin, rank)[0]
        switched = (prior >= self.switch_min_prior) & (prior_same == 0)
        before = rate_sum / np.maximum(prior, 1)
        gap = np.where(np.isnan(my_rate), 0.0, before - my_rate)
        strength = 0.4 + 0.6 * np.clip(gap / self.rare_gap_scale, 0, 1)
        sub["switch"][mine] = np.where(switched, self.switch_weight * strength, 0.0)
        if switched.any():
            r, w = mine[switched], switched
            risk["switch"][r] = finite(np.maximum(value[r] * gap[w] / 100, 0.0))
            text["switch"][r] = ("importer " + importer_values[importer[r]] + " switched to origin "
                                 + origin_values[origin[r]] + " for " + hs6_values[hs6[r]] + " after "
                                 + _count(prior[w]) + " earlier declarations from other origins (duty "
                                 + _pct(before[w]) + " on average before, " + _pct(my_rate[w]) + " now)")
            text["switch_code"][r] = _coded(
                "origin.switch", int(w.sum()), np.ones(int(w.sum()), dtype=bool),
                importer=importer_values[importer[r]], origin=origin_values[origin[r]], hs6=hs6_values[hs6[r]],
                earlier=np.asarray(prior[w]).astype(np.int64), before=_round(before[w], 2), now=_round(my_rate[w], 2))

    def _repeated(self, frame, mine: np.ndarray, first) -> np.ndarray:
        """Rows of the switch history that are declarations of the frame again (only rows as late as the
        frame's earliest can be)."""
        history = self.switch_history_
        late = history["by_time"][np.searchsorted(history["times"], first, side="left"):]
        if not len(late) or "declaration_id" not in frame:
            return late[:0]
        ids = pd.Index(pd.unique(frame["declaration_id"].astype("str").to_numpy()[mine]))
        return late[ids.get_indexer(self.importer_history_["declaration_id"].to_numpy()[late]) >= 0]

    def _preference(self, rows, value, config, sub, risk, text, missing) -> None:
        (claim, claim_values), (origin, origin_values), (code, code_values) = (
            rows["claim"], rows["origin"], rows["code"])
        inverse, parts = combine(claim, origin, code, sizes=(len(claim_values), len(origin_values),
                                                             len(code_values)))
        c, o = pick(claim_values, parts[:, 0]), pick(origin_values, parts[:, 1])
        full = pick(code_values, parts[:, 2])
        chapter = pick(_cut(code_values, 2), parts[:, 2])
        claimed = parts[:, 0] >= 0
        runs = parts[:, 1] >= 0  # without an origin nothing can be said, claim or no claim
        cell = np.where(runs, 0.0, np.nan)
        lookups = self.lookups_
        check = claimed & runs
        known_code = np.array([key in config.agreements for key in c], dtype=bool)
        partner = np.array([pair in lookups["partners"] for pair in zip(c, o)], dtype=bool)
        limited = np.array([key in config.agreements and config.agreements[key].chapters is not None for key in c],
                           dtype=bool)
        no_chapter = limited & pd.isna(chapter)
        chapter_ok = ~limited | no_chapter | np.array([pair in lookups["chapters"] for pair in zip(c, chapter)],
                                                      dtype=bool)
        bad = check & (~known_code | ~partner | ~chapter_ok)
        cell[check] = np.where(bad[check], self.preference_weight, 0.0)
        saved = np.zeros(len(parts))
        sentence = np.full(len(parts), "", dtype=object)
        if bad.any():
            saved[bad] = self._conventional(full[bad])
            why = np.where(~known_code[bad], "which is not a configured agreement",
                           np.where(~partner[bad], "whose partners do not include origin " + o[bad].astype(str),
                                    "which does not cover chapter " + chapter[bad].astype(str)))
            sentence[bad] = ("preference " + c[bad] + " claimed for origin " + o[bad] + ", " + why.astype(object)
                             + " (saves " + _pct(saved[bad]) + " duty)")
        why_code = np.where(~known_code, "agreement", np.where(~partner, "partner", "chapter"))
        coded = _coded("origin.preference", len(parts), bad, claim=c[bad], origin=o[bad], why=why_code[bad],
                       chapter=chapter[bad].astype(str), saves=_round(saved[bad], 2))
        sub["preference"], text["preference"] = cell[inverse], sentence[inverse]
        text["preference_code"] = coded[inverse]
        risk["preference"] = finite(value * saved[inverse] / 100)
        missing["preference"] = [("origin_country", (claim >= 0) & (origin < 0)),
                                 ("commodity_code", no_chapter[inverse] & (code < 0))]

    def _conventional(self, codes: np.ndarray) -> np.ndarray:
        """Conventional rate of each code (NaN: missing): configured by HS prefix, else learned from history."""
        table = self.config_.conventional_rates
        learned, learned_hs6 = self.lookups_["conventional_rate"], self.lookups_["conventional_rate_hs6"]
        rates = []
        for code in codes:
            prefix = longest_prefix(code, table) if table else None
            rate = float(table[prefix]) if prefix is not None else np.nan
            if np.isnan(rate) and isinstance(code, str):
                rate = learned.get(code, np.nan)
                rate = learned_hs6.get(code[:6], np.nan) if np.isnan(rate) else rate
            rates.append(0.0 if np.isnan(rate) else rate)
        return np.array(rates, dtype=float)

    def _goods(self, rows, value, rate, config, sub, risk, text, missing) -> None:
        """Checks 4 (circumvention) and 5 (unusual origin): per distinct (code, origin, rate)."""
        (code, code_values), (origin, origin_values) = rows["code"], rows["origin"]
        rate_code, rate_values = factorize(rate)
        rate_values = rate_values.astype(float)
        inverse, parts = combine(code, origin, rate_code,
                                 sizes=(len(code_values), len(origin_values), len(rate_values)))
        full = pick(code_values, parts[:, 0])
        hs6 = pick(_cut(code_values, 6), parts[:, 0])
        o = pick(origin_values, parts[:, 1])
        cell_rate = np.where(parts[:, 2] >= 0, rate_values[np.maximum(parts[:, 2], 0)] if len(rate_values)
                             else np.nan, np.nan)
        runs = (parts[:, 0] >= 0) & (parts[:, 1] >= 0)
        lookups = self.lookups_
        found = np.array([lookups["shares"].get(key, -1) for key in zip(hs6, o)], dtype=np.int64)
        shares = np.vstack([lookups["share_values"], np.full((1, 5), np.nan)])[found]  # row -1: NaN
        n_recent, share, recent, before = shares[:, 1], finite(shares[:, 2]), shares[:, 3], shares[:, 4]
        hs6_n = _get(lookups["hs6_counts"], hs6, 0.0)
        judged = runs & (hs6_n >= self.min_observations)

        # 4. circumvention
        cell = np.where(runs, 0.0, np.nan)
        at_risk = np.zeros(len(parts))
        sentence = np.full(len(parts), "", dtype=object)
        if config.measures and runs.any():
            prefix = np.array([longest_prefix(c, config.measures) for c in full], dtype=object)
            under = runs & pd.notna(prefix)
            measured = np.array([pair in lookups["measured"] for pair in zip(prefix, o)], dtype=bool)
            top_rate = _get(lookups["top_rate"], prefix)
            names = np.array([lookups["measured_names"].get(key, np.nan) for key in prefix], dtype=object)
            with np.errstate(invalid="ignore"):
                growing = (recent >= self.growth_factor * np.maximum(before, 1e-9)) & (
                    finite(n_recent) >= 5)  # False where a share is NaN
            new = share < self.new_origin_share
            fire = under & ~measured & judged & (new | growing)
            strength = np.where(new, np.clip(1 - share / self.new_origin_share, 0.3, 1), 0.7)
            cell[under] = np.where(fire[under], self.circumvention_weight * strength[under], 0.0)
            at_risk[fire] = top_rate[fire] / 100
            if fire.any():
                how = np.where(new[fire], "new or rare for these goods (" + _share(share[fire]) + " of "
                               + _count(hs6_n[fire]) + " earlier imports)",
                               "growing for these goods (share " + _share(before[fire]) + " before, "
                               + _share(recent[fire]) + f" over the last {self.recent_days} days)")
                sentence[fire] = (hs6[fire] + " is under trade-defence measures on " + names[fire] + " (up to "
                                  + _pct(top_rate[fire]) + "); origin " + o[fire] + " is " + how.astype(object)
                                  + ": possible circumvention (transshipment)")
        coded = np.full(len(parts), None, dtype=object)
        if config.measures and runs.any() and fire.any():
            coded = np.where(new, _coded("origin.circumvention_new", len(parts), fire & new, hs6=hs6[fire & new],
                                         measures=names[fire & new], top_rate=_round(top_rate[fire & new], 2),
                                         origin=o[fire & new], share=_round(share[fire & new]),
                                         earlier=hs6_n[fire & new].astype(np.int64)),
                             _coded("origin.circumvention_growing", len(parts), fire & ~new, hs6=hs6[fire & ~new],
                                    measures=names[fire & ~new], top_rate=_round(top_rate[fire & ~new], 2),
                                    origin=o[fire & ~new], before=_round(before[fire & ~new]),
                                    recent=_round(recent[fire & ~new]), days=self.recent_days))
        sub["circumvention"], text["circumvention"] = cell[inverse], sentence[inverse]
        text["circumvention_code"] = coded[inverse]
        risk["circumvention"] = finite(value * at_risk[inverse])
        missing["circumvention"] = [("commodity_code", code < 0), ("origin_country", origin < 0)]

        # 5. unusual origin
        usual = _get(lookups["usual_rate"], hs6)
        gap = usual - cell_rate
        runs5 = runs & ~np.isnan(cell_rate)
        rare = runs5 & judged & (share < self.rare_origin_share) & (gap > 0)
        strength = np.clip(1 - share / self.rare_origin_share, 0, 1) * np.clip(gap / self.rare_gap_scale, 0.2, 1)
        cell = np.where(runs5, np.where(rare, self.unusual_weight * strength, 0.0), np.nan)
        sentence = np.full(len(parts), "", dtype=object)
        if rare.any():
            sentence[rare] = ("origin " + o[rare] + " is rare for " + hs6[rare] + " (" + _share(share[rare]) + " of "
                              + _count(hs6_n[rare]) + " earlier imports) and pays " + _pct(cell_rate[rare])
                              + " duty against " + _pct(usual[rare]) + " usually")
        coded = _coded("origin.unusual", len(parts), rare, origin=o[rare], hs6=hs6[rare], share=_round(share[rare]),
                       earlier=hs6_n[rare].astype(np.int64), rate=_round(cell_rate[rare], 2),
                       usual=_round(usual[rare], 2))
        sub["unusual_origin"], text["unusual_origin"] = cell[inverse], sentence[inverse]
        text["unusual_origin_code"] = coded[inverse]
        risk["unusual_origin"] = finite(value * np.where(rare, gap, 0.0)[inverse] / 100)
        missing["unusual_origin"] = [("commodity_code", code < 0), ("origin_country", origin < 0),
                                     ("duty_rate", np.isnan(rate))]

    @staticmethod
    def _combine(n, sub, risk, text, missing) -> dict[str, np.ndarray]:
        scores = np.column_stack([sub[c] for c in CHECKS]) if n else np.zeros((0, len(CHECKS)))
        ran = ~np.isnan(scores)
        total = np.where(ran.any(axis=1), 1 - np.prod(1 - finite(scores), axis=1), np.nan)
        duty = np.column_stack([risk[c] for c in CHECKS]).max(axis=1) if n else np.zeros(0)
        reason = np.full(n, "", dtype=object)
        coded = np.full(n, None, dtype=object)  # the reasons as codes and parameters, in the same order
        for check in CHECKS:
            part = text[check]
            append_note(reason, part != "", part[part != ""])
            for at in np.flatnonzero(pd.notna(text[f"{check}_code"])).tolist():
                coded[at] = [*(coded[at] or []), text[f"{check}_code"][at]]
        for check in CHECKS:
            absent = [(field, mask) for field, mask in missing[check] if np.any(mask)]
            if not absent:
                continue
            fields = np.full(n, "", dtype=object)
            for field, mask in absent:
                append_note(fields, mask, field, sep=", ")
            has = fields != ""
            append_note(reason, has, f"not checked: {CHECK_NAMES[check]} (missing " + fields[has] + ")")
            append_code(coded, *missing_codes("origin.not_checked.missing", check, absent))
        return ({"origin_score": total, "origin_duty_at_risk": duty, "origin_reason": reason, "origin_codes": coded}
                | {f"origin_{check}": sub[check] for check in CHECKS})
