"""Targeting model quality on a generated world: fit on declarations before a cut date, score the rest.

    .venv/bin/python benchmarks/targeting_quality.py [--declarations 50000] [--seed 1] [--cut 2025-10-01]

Prints Precision@5% (and @1%, @10%, AUC) of the model against the world's truth on the scored rows, beside the
hit rate of the world's historic risk selection and of its random sample over the same period, and a random
ranking (the fraud rate of the scored rows). Truth is used for evaluation only.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from smartcustoms.targeting.features import declaration_features
from smartcustoms.targeting.metrics import precision_at
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.world import WorldConfig, generate


def run(declarations: int, seed: int, cut: str, random_weight="inverse_share") -> dict:
    world = generate(WorldConfig(declarations=declarations, seed=seed))
    feats = declaration_features(world.declarations, world.inspections, as_of=cut)
    when = feats["declaration_date"]
    train, test = feats.loc[when < cut], feats.loc[when >= cut]
    model = TargetingModel(random_weight=random_weight).fit(train)
    scores = model.predict_proba(test)
    truth = world.truth.set_index("declaration_id")
    fraud = (truth["fraud_type"].reindex(test.index) != "none").to_numpy(dtype=float)
    at_stake = truth["duty_at_stake"].reindex(test.index).to_numpy(dtype=float)
    out = {"rows": len(test), "labelled": int(train["label_fraud"].notna().sum()), "fraud_rate": fraud.mean(),
           "auc": roc_auc_score(fraud, scores["p_fraud"])}
    for f in (0.01, 0.05, 0.10):
        out[f"p@{f:.0%}"] = precision_at(scores["p_fraud"].to_numpy(), fraud, f)
    k = int(round(0.05 * len(test)))
    out["revenue@5%_fraud"] = at_stake[np.argsort(-scores["p_fraud"].to_numpy(), kind="stable")[:k]].sum()
    by_rev = TargetingModel(rank_by="revenue", random_weight=random_weight).fit(train).predict_proba(test)
    out["revenue@5%_revenue"] = at_stake[np.argsort(-by_rev["score"].to_numpy(), kind="stable")[:k]].sum()
    out["p@5%_revenue"] = precision_at(by_rev["score"].to_numpy(), fraud, 0.05)
    # the world's own controls over the scored period, judged by the same truth
    insp = world.inspections.assign(declaration_id=world.inspections["declaration_id"].astype("str"))
    insp = insp.loc[insp["declaration_id"].isin(test.index)]
    hit = (truth["fraud_type"].reindex(insp["declaration_id"]) != "none").to_numpy()
    for reason in ("risk", "random"):
        mask = (insp["selection_reason"] == reason).to_numpy()
        out[f"historic_{reason}"] = hit[mask].mean() if mask.any() else float("nan")
        out[f"historic_{reason}_n"] = int(mask.sum())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cut", default="2025-10-01")
    parser.add_argument("--unweighted", action="store_true", help="no selection-bias weights")
    args = parser.parse_args()
    start = time.perf_counter()
    r = run(args.declarations, args.seed, args.cut, None if args.unweighted else "inverse_share")
    took = time.perf_counter() - start
    print(f"world {args.declarations:,} declarations, seed {args.seed}; fit before {args.cut} "
          f"({r['labelled']:,} labelled controls), score {r['rows']:,} declarations from {args.cut} "
          f"(fraud rate {r['fraud_rate']:.3f}); {took:.1f} s")
    print("| ranking | P@1% | P@5% | P@10% | AUC | duty at stake in top 5% (EUR) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| model, rank_by=fraud | {r['p@1%']:.3f} | {r['p@5%']:.3f} | {r['p@10%']:.3f} | {r['auc']:.3f} "
          f"| {r['revenue@5%_fraud']:,.0f} |")
    print(f"| model, rank_by=revenue | | {r['p@5%_revenue']:.3f} | | | {r['revenue@5%_revenue']:,.0f} |")
    for reason, label in (("risk", "historic risk selection"), ("random", "historic random sample")):
        print(f"| {label} (hit rate, {r[f'historic_{reason}_n']:,} controls) | | {r[f'historic_{reason}']:.3f} | | | |")
    print(f"| random ranking (fraud rate) | {r['fraud_rate']:.3f} | {r['fraud_rate']:.3f} | {r['fraud_rate']:.3f} "
          f"| 0.500 | |")


if __name__ == "__main__":
    main()
