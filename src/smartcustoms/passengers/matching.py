"""Watchlist matching: passengers against a list of persons, with a calibrated score and its reasons.

Each side is normalised (:mod:`smartcustoms.passengers.names`), then **blocking** keeps, for each passenger, only
the entries sharing at least one key: the phonetic code (NYSIIS) of the surname or of the given name with the year
of birth, the exact date of birth, the first letters of surname and given name, the consonant skeleton, and the
document number. Candidates are **compared** field by field (Jaro-Winkler on surname and given names, swapped
order, joined words, consonant skeletons for Arabic script; date of birth exact, one typing error, day and month
swapped, a year off; document number; nationality), each comparison adding its weight of evidence (log-odds, in
the manner of Fellegi and Sunter) to a prior. The score is the logistic of the sum: a probability that the pair
is the same person, given that it was blocked together. Every weight added is a reason.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_sort_ratio
from rapidfuzz.process import cdist

from smartcustoms.passengers.names import Name, normalise, skeleton

PRIOR = -8.0  # log-odds of a blocked pair being the same person before any comparison
THRESHOLD = 0.5  # the alert threshold: more likely than not (FEBRL 4: docs/passengers.md)
PREFILTER = 0.6  # candidates whose whole name (either order) is less similar are not compared field by field
AGREE = 0.95  # m: how often a true pair's name part agrees (after normalisation)
RARE = 1e-4  # the frequency assumed for a name part seen once (or never) in the list
DEFAULT_FREQUENCY = 0.002  # a name part's frequency when the list says nothing about it
_DOC = re.compile(r"[^A-Z0-9]")


@dataclass
class Person:
    """One side of a comparison, prepared once."""

    id: str
    surname: Name
    given: Name
    dob: str  # YYYYMMDD or ""
    nationality: str
    document: str
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def arabic(self) -> bool:
        return "arabic" in (self.surname.script, self.given.script)


def _dob(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    text = re.sub(r"[^0-9]", "", str(value))
    return text if len(text) == 8 else ""


def person(id, surname, given_names="", date_of_birth=None, nationality=None, document_number=None,
           **raw) -> Person:
    return Person(str(id), normalise(surname), normalise(given_names), _dob(date_of_birth),
                  (nationality or "").strip().upper()[:3], _DOC.sub("", (document_number or "").upper()), raw)


@lru_cache(maxsize=500_000)
def _nysiis(word: str) -> str:
    return jellyfish.nysiis(word) if word else ""


def _phonetic(word: str) -> str:
    return _nysiis(word)[:5]


def block_keys(p: Person) -> set[str]:
    sur = p.surname.joined
    first_given = p.given.text.split(" ")[0] if p.given.text else ""
    year = p.dob[:4]
    keys = set()
    if p.dob:
        keys.add("d" + p.dob)
        if sur:
            keys.add(f"s{_phonetic(sur)}{year}")
        if first_given:
            keys.add(f"g{_phonetic(first_given)}{year}")
    if sur and first_given:
        keys.add(f"n{sur[:3]}{first_given[:2]}")
        keys.add(f"n{first_given[:3]}{sur[:2]}")  # swapped order
        keys.add(f"p{_phonetic(sur)}{_phonetic(first_given)}")
        keys.add(f"k{skeleton(sur)[:4]}{skeleton(first_given)[:2]}")
    elif sur:
        keys.add(f"o{_phonetic(sur)}")
    if p.document:
        keys.add("x" + p.document)
    return keys


def _jw(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a, b) if a and b else 0.0


_FOLD = (("TCH", "CH"), ("KS", "X"), ("CK", "K"), ("PH", "F"), ("KH", "H"), ("TS", "C"), ("OU", "U"), ("OO", "U"),
         ("EE", "I"), ("IY", "I"), ("Y", "I"), ("Q", "K"))
_FOLD_SKELETON = (("SH", "S"), ("CH", "S"), ("TH", "T"), ("DH", "D"), ("KH", "H"), ("GH", "G"), ("Q", "K"),
                  ("SS", "S"))


@lru_cache(maxsize=200_000)
def fold(text: str, table: tuple = _FOLD) -> str:
    """Spelling variants of romanisation made equal (TCHAIKOVSKY, CHAIKOVSKII; ALEXANDER, ALEKSANDR; MILICA,
    MILITSA): used only when the two names were written in different scripts."""
    text = text.replace(" ", "")
    for old, new in table:
        text = text.replace(old, new)
    out = []
    for char in text:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


def _part(a: Name, b: Name, arabic: bool) -> float:
    """Similarity of two name parts: whole, joined, first words, and consonant skeletons for Arabic script."""
    if not a.text or not b.text:
        return -1.0
    best = _jw(a.joined, b.joined)
    if best >= 0.97:
        return best
    best = max(best, token_sort_ratio(a.text, b.text) / 100)
    wa, wb = a.text.split(" "), b.text.split(" ")
    if len(wa) > 1 or len(wb) > 1:
        best = max(best, 0.98 * max(_jw(x, y) for x in wa for y in wb if len(x) > 1 and len(y) > 1) if
                   any(len(x) > 1 for x in wa) and any(len(y) > 1 for y in wb) else 0.0)
    if arabic:
        best = max(best, _jw(skeleton(a.joined), skeleton(b.joined)),
                   _jw(fold(skeleton(a.joined), _FOLD_SKELETON), fold(skeleton(b.joined), _FOLD_SKELETON)))
    for x, y in ((a.variant, b.text), (a.text, b.variant)):
        if x and y:
            best = max(best, _jw(x.replace(" ", ""), y.replace(" ", "")))
    if a.script != b.script:
        best = max(best, _jw(fold(a.text), fold(b.text)))
    if best < 0.95 and _nysiis(a.joined) == _nysiis(b.joined):
        best = 0.95
    return best


def agreement_weight(frequency: float) -> float:
    """log(m/u) for an agreeing name part whose value has this frequency (rarer: stronger evidence)."""
    return min(9.5, max(2.0, math.log(AGREE / max(frequency, RARE))))


def _name_weight(similarity: float, strong: float) -> float:
    if similarity >= 0.97:
        return strong
    if similarity >= 0.92:
        return strong * 0.7
    if similarity >= 0.85:
        return strong * 0.3
    if similarity >= 0.75:
        return -1.0
    return -3.5


def _dob_weight(a: str, b: str) -> tuple[float, str]:
    if not a or not b:
        return 0.0, "date of birth unknown on one side"
    if a == b:
        return 7.0, "same date of birth"
    diff = [i for i in range(8) if a[i] != b[i]]
    if len(diff) == 1:
        return 2.5, "date of birth differs by one digit"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return 2.5, "date of birth with two digits transposed"
    if a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return 2.5, "date of birth with day and month swapped"
    if a[4:] == b[4:] and abs(int(a[:4]) - int(b[:4])) == 1:
        return 1.5, "date of birth a year apart"
    if a[:4] == b[:4]:
        return -2.5, "same year of birth, other day"
    if abs(int(a[:4]) - int(b[:4])) > 5:
        return -6.0, "born more than five years apart"
    return -4.0, "other date of birth"


def compare(a: Person, b: Person, frequency=None) -> tuple[float, list[str]]:
    """The probability that ``a`` and ``b`` are the same person, and the reasons (each with its weight).
    ``frequency(word)``: how common a name part is (the list's own counts); rare names agreeing weigh more."""
    frequency = frequency or (lambda _word: DEFAULT_FREQUENCY)
    strong_sur = agreement_weight(frequency("s" + b.surname.joined))
    first_given = b.given.text.split(" ")[0] if b.given.text else ""
    strong_giv = agreement_weight(frequency("g" + first_given))
    arabic = a.arabic or b.arabic
    sur, giv = _part(a.surname, b.surname, arabic), _part(a.given, b.given, arabic)
    crossed = ((_part(a.surname, b.given, arabic) + _part(a.given, b.surname, arabic)) / 2
               if min(sur, giv) < 0.92 else 0.0)
    reasons: list[str] = []
    total = PRIOR
    if crossed > 0.92 and crossed > (max(sur, 0) + max(giv, 0)) / 2:
        weight = _name_weight(crossed, strong_sur + strong_giv) - 0.5
        total += weight
        reasons.append(f"surname and given names swapped, similarity {crossed:.2f} ({weight:+.1f})")
    else:
        w_sur = _name_weight(sur, strong_sur) if sur >= 0 else 0.0
        w_giv = _name_weight(giv, strong_giv) if giv >= 0 else -0.5
        total += w_sur + w_giv
        reasons.append(f"surname similarity {max(sur, 0):.2f} ({w_sur:+.1f})")
        reasons.append(f"given names similarity {max(giv, 0):.2f} ({w_giv:+.1f})" if giv >= 0
                       else f"given names missing on one side ({w_giv:+.1f})")
    weight, words = _dob_weight(a.dob, b.dob)
    total += weight
    reasons.append(f"{words} ({weight:+.1f})")
    if a.document and b.document:
        if a.document == b.document:
            total += 6.0
            reasons.append("same document number (+6.0)")
        elif _jw(a.document, b.document) >= 0.9:
            total += 2.0
            reasons.append("document number differs by a character (+2.0)")
        else:
            total -= 1.0
            reasons.append("other document number (-1.0)")
    if a.nationality and b.nationality:
        if a.nationality == b.nationality:
            total += 0.5
            reasons.append("same nationality (+0.5)")
        else:
            total -= 1.0
            reasons.append("other nationality (-1.0)")
    return 1 / (1 + math.exp(-total)), reasons


class WatchlistIndex:
    """A watchlist prepared for matching: its persons and the blocking index over them."""

    def __init__(self, entries: list[dict]):
        self.people = [person(**entry) for entry in entries]
        self.blocks: dict[str, list[int]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for index, entry in enumerate(self.people):
            for key in block_keys(entry):
                self.blocks[key].append(index)
            counts["s" + entry.surname.joined] += 1
            if entry.given.text:
                counts["g" + entry.given.text.split(" ")[0]] += 1
        size = max(len(self.people), 1)
        self.whole = [f"{e.surname.joined} {e.given.joined}" for e in self.people]
        self.exempt = [e.arabic or bool(e.surname.variant or e.given.variant) for e in self.people]
        self.counts = counts
        # frequencies within at least 5,000 persons: a short list says little about how common a name is
        self.frequency = lambda word: counts.get(word, 1) / max(size, 5000)
        self.max_block = 2000  # a key shared by more entries than this blocks nothing (too common to tell)

    def __len__(self) -> int:
        return len(self.people)

    def candidates(self, p: Person) -> set[int]:
        found: set[int] = set()
        for key in block_keys(p):
            members = self.blocks.get(key)
            if members and len(members) <= self.max_block:
                found.update(members)
        return found

    def scored(self, p: Person, frequency=None) -> list[tuple[int, float, list[str]]]:
        """The candidates compared: (entry index, score, reasons). A vectorised Jaro-Winkler on the whole name
        (either order) first drops the candidates that cannot reach an alert, unless a document number, an
        Arabic-script or Cyrillic name (compared by skeleton or variant) is involved."""
        found = sorted(self.candidates(p))
        if not found:
            return []
        keep = found
        if not (p.arabic or p.surname.variant or p.given.variant):
            names = [self.whole[i] for i in found]
            query = [f"{p.surname.joined} {p.given.joined}", f"{p.given.joined} {p.surname.joined}"]
            best = cdist(query, names, scorer=JaroWinkler.normalized_similarity, workers=1).max(axis=0)
            keep = [i for i, sim in zip(found, best) if sim >= PREFILTER or self.exempt[i] or not p.given.text
                    or not self.people[i].given.text
                    or (p.document and p.document == self.people[i].document)]
        out = []
        for index in keep:
            score, reasons = compare(p, self.people[index], frequency or self.frequency)
            out.append((index, score, reasons))
        return out

    def match(self, p: Person, threshold: float = THRESHOLD, frequency=None) -> list[dict]:
        hits = []
        for index, score, reasons in self.scored(p, frequency):
            entry = self.people[index]
            if score >= threshold:
                hits.append({"entry": entry.id, "score": round(score, 4), "reasons": reasons,
                             "surname": entry.surname.text, "given_names": entry.given.text})
        return sorted(hits, key=lambda hit: -hit["score"])


TRAVELLERS = 300  # a name seen once among the travellers matched is taken as at least this common: 1/300


def population_frequency(people: list[Person], index: WatchlistIndex):
    """How common a name part is: the larger of its frequency in the list and among the travellers matched (a
    name shared by several passengers of a flight is no rare name, whatever the list says)."""
    counts: dict[str, int] = defaultdict(int)
    for p in people:
        counts["s" + p.surname.joined] += 1
        if p.given.text:
            counts["g" + p.given.text.split(" ")[0]] += 1
    size = max(len(people), TRAVELLERS)
    return lambda word: max(index.frequency(word), counts.get(word, 1) / size)


def match_all(passengers: list[dict], index: WatchlistIndex, threshold: float = THRESHOLD) -> list[dict]:
    """For every passenger (dicts with the documented columns), the entries at or above ``threshold``."""
    people = [person(**row) for row in passengers]
    frequency = population_frequency(people, index)
    return [{"id": p.id, "matches": index.match(p, threshold, frequency)} for p in people]


# ---------------------------------------------------------------------------------------------------------------
# the GTAS rule, reproduced for comparison
# ---------------------------------------------------------------------------------------------------------------


def gtas_rule(a: Person, b: Person) -> bool:
    """US-CBP GTAS watchlist hit: Jaro-Winkler >= 0.95 on the full name, and equal date of birth."""
    full_a = f"{a.given.text} {a.surname.text}".strip()
    full_b = f"{b.given.text} {b.surname.text}".strip()
    return bool(a.dob) and a.dob == b.dob and _jw(full_a, full_b) >= 0.95
