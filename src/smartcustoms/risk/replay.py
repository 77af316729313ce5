"""Replay: draft profiles and settings over past declarations, beside the profiles published now. The screens
know only what was dated before the period; the results are measured against the recorded outcomes. Writes
nothing. Pure: risk.service.replay reads the declarations, the outcomes and the published engine."""

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.config import RiskConfig
from smartcustoms.risk.profiles import Profile, evaluate
from smartcustoms.risk.selectivity import SelectivitySettings
from smartcustoms.risk.signals import LANES

CONTROLLED = ("yellow", "red")


@dataclass
class ReplayReport:
    start: datetime
    end: datetime
    draft: pd.DataFrame  # decisions with the draft profiles and settings
    published: pd.DataFrame  # decisions with the published profiles and the same settings
    outcomes: pd.DataFrame  # recorded outcomes of the replayed declarations
    capacity: dict[str, int | None]  # per lane, summed over the offices and days of the period
    draft_hits: pd.DataFrame  # profile hits of the drafts (for per-profile figures)

    def lanes(self) -> pd.DataFrame:
        rows = []
        for lane in reversed(LANES):
            rows.append({"lane": lane, "published": int(self.published["lane"].eq(lane).sum()),
                         "draft": int(self.draft["lane"].eq(lane).sum()), "capacity": self.capacity.get(lane)})
        return pd.DataFrame(rows)

    def metrics(self) -> pd.DataFrame:
        """Precision and recall of the controlled lanes against the recorded outcomes."""
        found = self.outcomes.groupby("declaration_id").agg(
            hit=("result", lambda r: (r == "discrepancy").any()), recovered=("duty_recovered", "sum"))
        rows = []
        for name, decided in (("published", self.published), ("draft", self.draft)):
            chosen = decided[decided["lane"].isin(CONTROLLED)].set_index("declaration_id")
            known = found.reindex(chosen.index).dropna()
            hits = int(known["hit"].sum())
            precision = hits / len(known) if len(known) else float("nan")
            all_hits = found.index[found["hit"]]
            all_hits = all_hits[all_hits.isin(decided["declaration_id"])]
            rows.append({
                "variant": name, "selected": len(chosen), "with outcome": len(known), "hits": hits,
                "precision": precision, "recall": hits / len(all_hits) if len(all_hits) else float("nan"),
                "expected hits": precision * len(chosen) if len(known) else float("nan"),
                "duty at risk": float(chosen["duty_at_risk"].sum()),
                "duty recovered": float(known.loc[known["hit"].astype(bool), "recovered"].sum()),
            })
        return pd.DataFrame(rows)

    def changes(self) -> pd.DataFrame:
        """How many declarations move from each published lane to each draft lane."""
        both = self.published[["declaration_id", "lane"]].merge(
            self.draft[["declaration_id", "lane"]], on="declaration_id", suffixes=("_published", "_draft"))
        table = pd.crosstab(both["lane_published"], both["lane_draft"])
        return table.reindex(index=LANES[::-1], columns=LANES[::-1], fill_value=0)

    def profiles(self) -> pd.DataFrame:
        """Per draft profile: declarations hit, and how many of those have a recorded discrepancy."""
        if self.draft_hits.empty:
            return pd.DataFrame(columns=["profile", "mode", "declarations hit", "with outcome", "hits"])
        found = self.outcomes.groupby("declaration_id")["result"].agg(lambda r: (r == "discrepancy").any())
        rows = []
        for (profile_id, shadow), group in self.draft_hits.groupby(["profile_id", "shadow"]):
            ids = group["declaration_id"].unique()
            known = found.reindex(ids).dropna()
            rows.append({"profile": profile_id, "mode": "shadow" if shadow else "active",
                         "declarations hit": len(ids), "with outcome": len(known), "hits": int(known.sum())})
        return pd.DataFrame(rows)


def _capacity(frame: pd.DataFrame, settings: SelectivitySettings) -> dict[str, int | None]:
    office_days = frame[["office_id"]].assign(day=frame["acceptance_datetime"].dt.normalize()).drop_duplicates()
    total = {}
    for lane in ("red", "yellow", "blue"):
        limits = office_days["office_id"].map(lambda office, lane=lane: settings.capacity_of(office, lane))
        total[lane] = None if limits.isna().any() else int(limits.sum())
    total["green"] = None
    return total


def run(frame: pd.DataFrame, outcomes: pd.DataFrame, published: RiskEngine, drafts: list[Profile], start: datetime,
        end: datetime, config: RiskConfig, *, with_published: bool = False) -> ReplayReport:
    """Replay the declarations of [start, end) (`frame`, not empty) with the `drafts` beside the `published`
    engine (fitted as of `start`; risk.service.replay loads both). The draft run has the `drafts` as its
    profiles; `with_published`, the published profiles too, each draft replacing only the published profile of
    its ID (its own earlier version): an unchanged copy of a published profile then gives the same run as the
    published one."""
    mine = {profile.profile_id for profile in drafts}
    profiles = ([p for p in published.profiles if p.profile_id not in mine] if with_published else []) + list(drafts)
    draft = RiskEngine(screens=published.screens, profiles=profiles, suppressions=published.suppressions,
                       settings=config.selectivity, combination=published.combination)
    outcomes = outcomes[outcomes["declaration_id"].isin(frame["declaration_id"])]
    items = frame.reset_index(drop=True)
    hits = evaluate(drafts, items, published.suppressions)
    hits = hits.assign(declaration_id=items.loc[hits["row"], "declaration_id"].to_numpy())
    return ReplayReport(start, end, assess(frame, draft), assess(frame, published), outcomes,
                        _capacity(frame, config.selectivity), hits)
