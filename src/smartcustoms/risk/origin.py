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

from smartcustoms.risk.valuation import (
    adjusted_declarations,
    append_note,
    clean_code,
    combine,
    datetimes,
    derive,
    factor,
    formatted,
    number,
    pick,
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


def longest_prefix(codes: pd.Series, prefixes) -> pd.Series:
    """For each code, the longest of ``prefixes`` it starts with (NaN if none)."""
    result = pd.Series(np.nan, index=codes.index, dtype=object)
    table = {prefix: prefix for prefix in prefixes}
    for length in sorted({len(prefix) for prefix in table}):
        found = codes.str[:length].map(table)
        found = found[found.notna() & (codes.str.len() >= length)]
        result.loc[found.index] = found.to_numpy(dtype=object)
    return result


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Sorted arrays: for each position, the index where its run of equal keys starts."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.maximum.accumulate(np.where(change, np.arange(n), 0)) if n else np.zeros(0, dtype=np.int64)


def earlier(group: np.ndarray, time: np.ndarray, weight: np.ndarray | None = None):
    """Per row: how many rows of the same group are strictly earlier in time, and the sum of their weights.

    ``group``: non-negative int64 codes; ``time``: int64 nanoseconds. Rows of the same group within the same
    second count as simultaneous (neither is earlier than the other).
    """
    seconds = (time - time.min()) // 1_000_000_000 if len(time) else time
    span = int(seconds.max()) + 1 if len(time) else 1
    if len(time) and int(group.max()) < (2**62) // span:
        order = np.argsort(group * span + seconds)  # one key: much faster than a lexsort
    else:
        order = np.lexsort((seconds, group))
    g, t = group[order], seconds[order]
    start, tie = _run_starts(g), _run_starts(g, t)
    count = np.empty(len(group), dtype=np.int64)
    count[order] = tie - start
    if weight is None:
        return count, None
    before = np.concatenate([[0.0], np.cumsum(weight[order])])  # exclusive prefix sums
    total = np.empty(len(group))
    total[order] = before[tie] - before[start]
    return count, total


def _pct(values) -> np.ndarray:
    return formatted(values, "{:.1f}%")


def _share(values) -> np.ndarray:
    return formatted(100 * np.asarray(values, dtype=float), "{:.1f}%")


def _count(values) -> np.ndarray:
    return formatted(values, "{:,.0f}")


def _common(codes: np.ndarray, values: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, int]:
    """Recode (codes into values) into the coding of ``known``; values not in ``known`` get new codes after
    them. Returns the codes and the size of the combined coding."""
    position = pd.Index(known).get_indexer(values) if len(values) else np.zeros(0, dtype=np.int64)
    new = position < 0
    position[new] = len(known) + np.arange(new.sum())
    position = np.append(position, -1)
    return position[codes], len(known) + int(new.sum())


class OriginScreen(BaseEstimator):
    """False-origin screen (see the module docstring for the five checks).

    ``fit(history, outcomes=None, as_of=None)`` learns from declarations dated strictly before ``as_of``:
    ``route_pairs_`` (items per origin x dispatch), ``origin_counts_`` (items per origin), ``origin_shares_``
    (per HS6 x origin: n, recent, share, recent_share, earlier_share), ``hs6_counts_``, ``usual_rate_`` (mean
    duty rate per HS6), ``conventional_rate_`` (per commodity code) and ``importer_history_`` (the rows the
    switch check compares with, as codes into ``history_values_``). Declarations whose control found a false
    origin before ``as_of`` are left out (their declared origin was not the true one). ``score(frame)``
    returns origin_score, origin_duty_at_risk, origin_reason and one ``origin_<check>`` sub-score per check.
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
        hs6, hs6_values = derive(code, code_values, lambda v: v.str[:6])
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
                "time": time[usable].view(np.int64), "rate": np.nan_to_num(rate[usable], nan=0.0),
            }
        )
        self.history_values_ = {"importer": importer_values, "hs6": hs6_values, "origin": origin_values}
        self.config_ = config
        self.as_of_ = None if as_of is None else pd.Timestamp(as_of)
        return self

    # ---------------------------------------------------------------------------------------------- score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        config = self.config_  # raises AttributeError before fit, as scikit-learn does
        n = len(frame)
        code, code_values = factor(frame, "commodity_code", clean_code)
        rows = {
            "code": (code, code_values),
            "hs6": derive(code, code_values, lambda v: v.str[:6]),
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
        self._route(rows, sub, text, missing)
        self._switch(frame, rows, value, rate, time, sub, risk, text, missing)
        self._preference(rows, value, config, sub, risk, text, missing)
        self._goods(rows, value, rate, config, sub, risk, text, missing)
        return self._combine(frame.index, sub, risk, text, missing)

    def _route(self, rows, sub, text, missing) -> None:
        (origin, origin_values), (dispatch, dispatch_values) = rows["origin"], rows["dispatch"]
        missing["route"] = [("origin_country", origin < 0), ("dispatch_country", dispatch < 0)]
        inverse, parts = combine(origin, dispatch, sizes=(len(origin_values), len(dispatch_values)))
        o, d = pick(origin_values, parts[:, 0]), pick(dispatch_values, parts[:, 1])
        runs = (parts >= 0).all(axis=1)
        differs = runs & (o != d)
        pair = self.route_pairs_.reindex(pd.MultiIndex.from_arrays([o, d])).fillna(0).to_numpy(dtype=float)
        total = self.origin_counts_.reindex(o).fillna(0).to_numpy(dtype=float)
        share = pair / np.maximum(total, 1.0)
        strength = np.where(differs, np.clip(1 - share / self.route_min_share, 0, 1), 0.0)
        cell = np.where(runs, self.route_weight * strength, np.nan)
        sentence = np.full(len(parts), "", dtype=object)
        fire = strength > 0
        if fire.any():
            sentence[fire] = ("origin " + o[fire] + " dispatched from " + d[fire] + ": a route seen in "
                              + _share(share[fire]) + " of " + _count(total[fire]) + " earlier imports from " + o[fire])
        sub["route"], text["route"] = cell[inverse], sentence[inverse]

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
        history, known = self.importer_history_, self.history_values_
        t = time[mine].view(np.int64)
        overlap = history["time"].to_numpy() >= t.min()  # only rows as late as the frame can be in it again
        if overlap.any() and "declaration_id" in frame:
            ids = pd.Index(pd.unique(frame["declaration_id"].astype("str").to_numpy()[mine]))
            repeated = np.zeros(len(history), dtype=bool)
            repeated[overlap] = ids.get_indexer(history["declaration_id"].to_numpy()[overlap]) >= 0
            history = history[~repeated]
        imp, n_imp = _common(importer[mine], importer_values, known["importer"])
        code6, n_hs6 = _common(hs6[mine], hs6_values, known["hs6"])
        orig, n_origin = _common(origin[mine], origin_values, known["origin"])
        group = (np.concatenate([history["importer"].to_numpy(), imp]) * (n_hs6 + 1)
                 + np.concatenate([history["hs6"].to_numpy(), code6]))
        group_origin = group * (n_origin + 1) + np.concatenate([history["origin"].to_numpy(), orig])
        when = np.concatenate([history["time"].to_numpy(), t])
        my_rate = rate[mine]
        prior, rate_sum = earlier(group, when, np.concatenate([history["rate"].to_numpy(),
                                                              np.nan_to_num(my_rate, nan=0.0)]))
        prior_same, _ = earlier(group_origin, when)
        last = slice(len(history), None)
        prior, rate_sum, prior_same = prior[last], rate_sum[last], prior_same[last]
        switched = (prior >= self.switch_min_prior) & (prior_same == 0)
        before = rate_sum / np.maximum(prior, 1)
        gap = np.where(np.isnan(my_rate), 0.0, before - my_rate)
        strength = 0.4 + 0.6 * np.clip(gap / self.rare_gap_scale, 0, 1)
        sub["switch"][mine] = np.where(switched, self.switch_weight * strength, 0.0)
        if switched.any():
            r, w = mine[switched], switched
            risk["switch"][r] = np.nan_to_num(np.maximum(value[r] * gap[w] / 100, 0.0))
            text["switch"][r] = ("importer " + importer_values[importer[r]] + " switched to origin "
                                 + origin_values[origin[r]] + " for " + hs6_values[hs6[r]] + " after "
                                 + _count(prior[w]) + " earlier declarations from other origins (duty "
                                 + _pct(before[w]) + " on average before, " + _pct(my_rate[w]) + " now)")

    def _preference(self, rows, value, config, sub, risk, text, missing) -> None:
        (claim, claim_values), (origin, origin_values), (code, code_values) = (
            rows["claim"], rows["origin"], rows["code"])
        inverse, parts = combine(claim, origin, code, sizes=(len(claim_values), len(origin_values),
                                                             len(code_values)))
        c, o = pick(claim_values, parts[:, 0]), pick(origin_values, parts[:, 1])
        full = pd.Series(pick(code_values, parts[:, 2]), dtype=object)
        chapter = full.str[:2].to_numpy(dtype=object)
        claimed = parts[:, 0] >= 0
        runs = parts[:, 1] >= 0  # without an origin nothing can be said, claim or no claim
        cell = np.where(runs, 0.0, np.nan)
        restricted = {key: a.chapters for key, a in config.agreements.items() if a.chapters is not None}
        partners = {(key, country) for key, a in config.agreements.items() for country in a.partners}
        chapters = {(key, ch) for key, chs in restricted.items() for ch in chs}
        check = claimed & runs
        known_code = np.isin(c, list(config.agreements))
        partner = pd.MultiIndex.from_arrays([c, o]).isin(list(partners)) if partners else np.zeros(len(c), bool)
        limited = np.isin(c, list(restricted))
        no_chapter = limited & pd.isna(chapter)
        chapter_ok = ~limited | no_chapter | pd.MultiIndex.from_arrays(
            [c, np.where(pd.isna(chapter), "", chapter)]).isin(list(chapters))
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
        sub["preference"], text["preference"] = cell[inverse], sentence[inverse]
        risk["preference"] = np.nan_to_num(value * saved[inverse] / 100)
        missing["preference"] = [("origin_country", (claim >= 0) & (origin < 0)),
                                 ("commodity_code", no_chapter[inverse] & (code < 0))]

    def _conventional(self, codes: pd.Series) -> np.ndarray:
        """Conventional rate of each code: configured by HS prefix, else learned from history."""
        rate = pd.Series(np.nan, index=codes.index, dtype=float)
        table = self.config_.conventional_rates
        if table:
            rate = longest_prefix(codes.fillna(""), table).map(table).astype(float)
        learned = codes.map(self.conventional_rate_).astype(float)
        learned = learned.fillna(codes.str[:6].map(self.conventional_rate_hs6_).astype(float))
        return rate.fillna(learned).fillna(0.0).to_numpy(dtype=float)

    def _goods(self, rows, value, rate, config, sub, risk, text, missing) -> None:
        """Checks 4 (circumvention) and 5 (unusual origin): per distinct (code, origin, rate)."""
        (code, code_values), (origin, origin_values) = rows["code"], rows["origin"]
        rate_code, rate_values = pd.factorize(rate, use_na_sentinel=True)
        rate_values = np.asarray(rate_values, dtype=float)
        inverse, parts = combine(code, origin, np.asarray(rate_code, dtype=np.int64),
                                 sizes=(len(code_values), len(origin_values), len(rate_values)))
        full = pd.Series(pick(code_values, parts[:, 0]), dtype=object)
        hs6 = full.str[:6].to_numpy(dtype=object)
        o = pick(origin_values, parts[:, 1])
        cell_rate = np.where(parts[:, 2] >= 0, rate_values[np.maximum(parts[:, 2], 0)] if len(rate_values)
                             else np.nan, np.nan)
        runs = (parts[:, 0] >= 0) & (parts[:, 1] >= 0)
        shares = self.origin_shares_.reindex(pd.MultiIndex.from_arrays([hs6, o]))
        share = shares["share"].fillna(0).to_numpy(dtype=float)
        hs6_n = self.hs6_counts_.reindex(hs6).fillna(0).to_numpy(dtype=float)
        judged = runs & (hs6_n >= self.min_observations)

        # 4. circumvention
        cell = np.where(runs, 0.0, np.nan)
        at_risk = np.zeros(len(parts))
        sentence = np.full(len(parts), "", dtype=object)
        if config.measures and runs.any():
            prefix = longest_prefix(full.fillna(""), config.measures).to_numpy(dtype=object)
            under = runs & pd.notna(prefix)
            measured = pd.MultiIndex.from_arrays([np.where(under, prefix, ""), o]).isin(
                [(key, country) for key, rates in config.measures.items() for country in rates])
            top_rate = pd.Series(prefix).map({k: max(r.values(), default=0.0) for k, r in config.measures.items()})
            top_rate = top_rate.to_numpy(dtype=float)
            names = pd.Series(prefix).map({k: ", ".join(sorted(r)) for k, r in config.measures.items()})
            names = names.to_numpy(dtype=object)
            recent, before = shares["recent_share"].to_numpy(dtype=float), shares["earlier_share"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                growing = (recent >= self.growth_factor * np.maximum(before, 1e-9)) & (
                    shares["recent"].fillna(0).to_numpy(dtype=float) >= 5)  # False where a share is NaN
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
        sub["circumvention"], text["circumvention"] = cell[inverse], sentence[inverse]
        risk["circumvention"] = np.nan_to_num(value * at_risk[inverse])
        missing["circumvention"] = [("commodity_code", code < 0), ("origin_country", origin < 0)]

        # 5. unusual origin
        usual = self.usual_rate_.reindex(hs6).to_numpy(dtype=float)
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
        sub["unusual_origin"], text["unusual_origin"] = cell[inverse], sentence[inverse]
        risk["unusual_origin"] = np.nan_to_num(value * np.where(rare, gap, 0.0)[inverse] / 100)
        missing["unusual_origin"] = [("commodity_code", code < 0), ("origin_country", origin < 0),
                                     ("duty_rate", np.isnan(rate))]

    @staticmethod
    def _combine(index, sub, risk, text, missing) -> pd.DataFrame:
        n = len(index)
        scores = np.column_stack([sub[c] for c in CHECKS]) if n else np.zeros((0, len(CHECKS)))
        ran = ~np.isnan(scores)
        total = np.where(ran.any(axis=1), 1 - np.prod(1 - np.nan_to_num(scores), axis=1), np.nan)
        duty = np.column_stack([risk[c] for c in CHECKS]).max(axis=1) if n else np.zeros(0)
        reason = np.full(n, "", dtype=object)
        for check in CHECKS:
            part = text[check]
            append_note(reason, part != "", part[part != ""])
        for check in CHECKS:
            absent = [(field, mask) for field, mask in missing[check] if np.any(mask)]
            if not absent:
                continue
            fields = np.full(n, "", dtype=object)
            for field, mask in absent:
                append_note(fields, mask, field, sep=", ")
            has = fields != ""
            append_note(reason, has, f"not checked: {CHECK_NAMES[check]} (missing " + fields[has] + ")")
        out = pd.DataFrame({"origin_score": total, "origin_duty_at_risk": duty, "origin_reason": reason}, index=index)
        for check in CHECKS:
            out[f"origin_{check}"] = sub[check]
        return out
