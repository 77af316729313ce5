"""Shadow scoring: challengers score the same declarations as the champion without deciding anything, so an
analyst can see, before promoting one, how it would have ranked live traffic.

`shadow_table(features, models, budget)`: for each model, which declarations it would put in its top `budget`
share, how much that set overlaps the champion's, and, among those that were controlled (labels exist only
there), how often a control found something. The labels come from controls chosen by the champion and the
profiles, so a challenger is judged on the declarations it agrees on; the overlap says how far that goes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

COLUMNS = ["model", "status", "scored", "top", "overlap_with_champion", "controlled_in_top", "hits_in_top",
           "hit_rate_in_top", "auc_on_controlled"]


def shadow_table(features: pd.DataFrame, models: dict[str, tuple[str, object]], budget: float = 0.05) -> pd.DataFrame:
    """`models`: {model_id: (status, fitted TargetingModel)}, the champion among them (status "champion").
    One row per model; ``overlap_with_champion`` is the share of its top set that the champion's top set holds."""
    if not 0 < budget <= 1:
        raise ValueError(f"budget must lie in (0, 1], got {budget}")
    if features.empty:
        raise ValueError("no declarations to score")
    label = features["label_fraud"].to_numpy(dtype=float)
    controlled = ~np.isnan(label)
    k = max(1, int(round(budget * len(features))))
    tops, rows = {}, []
    for model_id, (status, model) in models.items():
        score = model.predict_proba(features)["score"].to_numpy(dtype=float)
        top = np.zeros(len(features), dtype=bool)
        top[np.argsort(-score, kind="stable")[:k]] = True
        tops[model_id] = top
        both_classes = controlled.any() and len(np.unique(label[controlled])) == 2
        hits = int(np.nansum(label[top & controlled]))
        rows.append({"model": model_id, "status": status, "scored": len(features), "top": k,
                     "controlled_in_top": int((top & controlled).sum()), "hits_in_top": hits,
                     "hit_rate_in_top": hits / (top & controlled).sum() if (top & controlled).any() else np.nan,
                     "auc_on_controlled": roc_auc_score(label[controlled], score[controlled]) if both_classes
                     else np.nan})
    champion = next((m for m, (status, _) in models.items() if status == "champion"), None)
    for row in rows:
        row["overlap_with_champion"] = (float((tops[row["model"]] & tops[champion]).sum() / k)
                                        if champion is not None else np.nan)
    order = {"champion": 0, "challenger": 1, "registered": 2, "retired": 3}
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("status", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
