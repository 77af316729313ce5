"""What the passenger pages show: a flight's risk list in rows, and the planning charts."""

import pandas as pd

from smartcustoms import charts
from smartcustoms.passengers.schemas import FlightView

ROLES = ("officer", "supervisor", "admin", "analyst")  # who sees the passenger pages
DECIDERS = ("officer", "supervisor", "admin")  # who confirms matches and records dispositions
RESULTS = ("no_finding", "undeclared_goods", "prohibited_goods", "currency", "referred")


def flight_rows(view: FlightView) -> dict:
    """The risk list (selected first, then by score), each with its matches, bags and dispositions."""
    by_passenger: dict[int, dict] = {}
    for match in view.matches:
        by_passenger.setdefault(match.passenger_id, {}).setdefault("matches", []).append(match)
    for bag in view.bags:
        by_passenger.setdefault(bag.passenger_id, {}).setdefault("bags", []).append(bag)
    for disposition in view.dispositions:
        by_passenger.setdefault(disposition.passenger_id, {}).setdefault("dispositions", []).append(disposition)
    rows = []
    for p in view.passengers:
        extra = by_passenger.get(p.passenger_id, {})
        if not (p.selected or p.reasons or extra.get("matches") or extra.get("dispositions")):
            continue
        rows.append({"p": p, "matches": extra.get("matches", []), "dispositions": extra.get("dispositions", []),
                     "flagged_bags": [b for b in extra.get("bags", []) if b.flagged]})
    return {"rows": rows, "others": sum(1 for p in view.passengers if p.role == "passenger") - len(rows),
            "open_matches": sum(1 for m in view.matches if m.status == "open"),
            "bags_screened": sum(1 for b in view.bags if b.screen_score is not None),
            "bags_flagged": sum(1 for b in view.bags if b.flagged), "bags": len(view.bags)}


def distribution_chart(result: dict, title: str, xlabel: str, ylabel: str, with_label: str,
                       without_label: str) -> bytes:
    """The claim-to-exit distribution (share of passengers per half minute), with and without pre-screening."""
    frames = []
    for key, label in (("histogram_with", with_label), ("histogram_without", without_label)):
        hist = result[key]
        frames.append(pd.DataFrame({"minutes": hist["edges"][:-1], "share": hist["shares"], "series": label}))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["minutes"] <= 30]
    return charts.line_chart(frame, "minutes", "share", title, xlabel, ylabel, series="series", percent=True,
                             fmt="svg")
