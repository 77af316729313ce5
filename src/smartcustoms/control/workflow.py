"""The inspection task's state machine, its mode, its checklist and the choice of officer (pure: no database).

A task lives through::

    created -> assigned -> scheduled -> in_progress -> completed -> released | detained | seized
                       \\-> in_progress (documentary controls need no slot)      detained -> released | seized

``assigned -> assigned`` is a reassignment. Physical and remote inspections need a booked slot, so only a
documentary task goes from assigned straight to in_progress.
"""

import re

import numpy as np
import pandas as pd

from smartcustoms.control.modes import MODES  # noqa: F401 - the task modes, read here as before
from smartcustoms.outcomes.infringements import INFRINGEMENTS
from smartcustoms.refusals import Kind, Refused

STATES = ("created", "assigned", "scheduled", "in_progress", "completed", "released", "detained", "seized")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "created": ("assigned",),
    "assigned": ("assigned", "scheduled", "in_progress"),
    "scheduled": ("assigned", "in_progress"),  # back to assigned: the booking is cancelled
    "in_progress": ("completed",),
    "completed": ("released", "detained", "seized"),
    "detained": ("released", "seized"),
    "released": (),
    "seized": (),
}
OPEN_STATES = ("assigned", "scheduled", "in_progress")  # an officer's workload
SLOT_MODE = {"physical": "on_site", "remote": "remote"}  # the slot a task books; documentary books none
RESULTS = ("discrepancy", "no_discrepancy")


class ControlError(Refused):
    """A step of the control chain that the rules do not allow; the message says what and why (in English), the
    code which rule (the key of its words in the translation catalogues), the field what it is about."""

    code_default = "control_refused"


class TransitionError(ControlError):
    """A state change the state machine does not allow."""

    code_default = "transition_refused"
    kind_default = Kind.CONFLICT


class ConflictError(ControlError):
    """Someone else changed the task since it was read (optimistic locking)."""

    code_default = "changed_meanwhile"
    kind_default = Kind.CONFLICT


class NotFoundError(ControlError):
    """No such task, officer or slot."""

    code_default = "not_found"
    kind_default = Kind.NOT_FOUND


class AssignmentError(ControlError):
    """No officer can take the task."""

    code_default = "no_officer"
    kind_default = Kind.CONFLICT


class OutcomeError(ControlError):
    """An outcome that contradicts itself (a discrepancy without infringement, a seizure without one, ...)."""

    code_default = "outcome_invalid"


def check_transition(from_state: str, to_state: str, *, task_id: int | None = None, mode: str | None = None) -> None:
    """Raise TransitionError unless the task may go from `from_state` to `to_state`."""
    name = f"task {task_id}" if task_id is not None else "the task"
    if to_state not in TRANSITIONS:
        raise TransitionError(f"unknown state {to_state!r} (states: {', '.join(STATES)})")
    allowed = TRANSITIONS.get(from_state)
    if allowed is None:
        raise TransitionError(f"{name} is in an unknown state {from_state!r}")
    if to_state not in allowed:
        if not allowed:
            raise TransitionError(f"{name} is {from_state}: it is closed, nothing follows")
        raise TransitionError(f"{name} is {from_state}: it cannot go to {to_state}; next: {' or '.join(allowed)}")
    if (from_state, to_state) == ("assigned", "in_progress") and mode in SLOT_MODE:
        raise TransitionError(f"{name} is a {mode} inspection: book a slot first (next: scheduled)")


# --- what the selection asks to check ---------------------------------------------------------------------------

CHECKS = {
    "valuation": "Check the invoice and payment against the unit price band (WTO Valuation Agreement Art. 1, "
                 "Decision 6.1)",
    "classification": "Check the goods against the declared HS code and the goods description (General Rules of "
                      "Interpretation 1 and 6)",
    "origin": "Check origin marking and the certificate of origin (and the preference claimed, if any)",
    "quantity": "Count and weigh the goods: compare quantity, net and gross mass with the declaration and the "
                "packing list",
    "prohibited": "Look for prohibited, restricted or concealed goods (scan or open the packages, check licences)",
    "trader": "Check the importer's identity and registration, and the links between importer, seller and "
              "declarant",
}
GENERAL_CHECKLIST = [
    "Check the documents against the declaration: invoice, transport document, packing list, certificate of "
    "origin",
    "Examine the goods: description and HS code, origin marking, quantity and mass",
    "Look for undeclared, prohibited or restricted goods",
]
# the fields a profile criterion names -> what to check (a profile's `matched` text names its fields)
FIELD_CHECKS = {
    "valuation": ("unit_value", "value_per_kg", "customs_value", "item_price", "invoice_currency", "exchange_rate",
                  "incoterm"),
    "classification": ("commodity_code", "goods_description"),
    "origin": ("origin_country", "preference_claim", "dispatch_country"),
    "quantity": ("quantity", "net_mass", "gross_mass", "mass_ratio", "quantity_unit"),
    "prohibited": ("mass_ratio",),  # gross far above net: hidden goods
    "trader": ("importer_id", "declarant_id", "seller_id", "new_importer"),
}
SCREEN_CHECKS = {"valuation": "valuation", "classification": "classification", "origin": "origin",
                 "trader": "trader"}
# a red control may be done remotely (photos, video, documents) when every reason is of this kind
REMOTE_FIT = frozenset({"valuation", "classification", "origin", "trader"})


def _flagged_screens(explanation: dict) -> dict[str, str]:
    """screen -> its reason, for the screens that gave one (not the "not checked" notes)."""
    out = {}
    for name, score in (explanation.get("scores") or {}).items():
        reason = (score or {}).get("reason") or ""
        if reason and not reason.startswith("not checked"):
            out[name] = reason
    return out


def _profile_categories(matched: str) -> list[str]:
    return [category for category, fields in FIELD_CHECKS.items()
            if any(re.search(rf"\b{field}\b", matched or "") for field in fields)]


def reason_categories(explanation: dict) -> set[str]:
    """The kinds of doubt behind a selection: CHECKS keys, plus "model" and "random"."""
    found: set[str] = set()
    if explanation.get("random") or explanation.get("source") == "random":
        found.add("random")
    for hit in explanation.get("profiles") or []:
        found.update(_profile_categories(hit.get("matched", "")))
    for name in _flagged_screens(explanation):
        found.add(SCREEN_CHECKS.get(name, "model" if name == "model" else name))
    return found


def reasons(explanation: dict, override_reason: str | None = None) -> list[str]:
    """The selection reasons in words: random sample, profile hits, screens' reasons, capacity, override."""
    out = []
    if explanation.get("random") or explanation.get("source") == "random":
        out.append("random control sample")
    for hit in explanation.get("profiles") or []:
        out.append(f"profile {hit.get('id')} v{hit.get('version')}: {hit.get('matched', '')}".rstrip(": "))
    out += [f"{name}: {reason}" for name, reason in _flagged_screens(explanation).items()]
    if explanation.get("capacity"):
        out.append(f"capacity: {explanation['capacity']}")
    if override_reason:
        out.append(f"officer override: {override_reason}")
    return out


def profile_checks(explanation: dict) -> dict[str, dict]:
    """The checklist lines that ask what a profile targets (the hits whose criteria name no kind of doubt), each
    with its hit: the officer page writes such a line in its words from the hit, the task keeps the English."""
    return {f"Check what profile {hit.get('id')} targets: {hit.get('matched', '')}": hit
            for hit in explanation.get("profiles") or [] if not _profile_categories(hit.get("matched", ""))}


def checklist(explanation: dict) -> list[str]:
    """What the officer must check, from the profile hits and the screens' reasons; the general checklist for a
    random control or when no reason says more."""
    items: list[str] = []
    categories = reason_categories(explanation)
    for category in CHECKS:  # a fixed order: valuation, classification, origin, quantity, prohibited, trader
        if category in categories:
            items.append(CHECKS[category])
    items.extend(profile_checks(explanation))
    model = _flagged_screens(explanation).get("model")
    if model:
        top = model.split(";", 1)[1].strip() if ";" in model else model
        items.append(f"Targeting model: check these features, which raised the risk most: {top}")
    if "random" in categories or not items:
        items += [item for item in GENERAL_CHECKLIST if item not in items]
    return items


def remote_fit(explanation: dict) -> bool:
    """Whether a red control can be done remotely: every reason is documentary in nature (value, tariff code,
    origin, trader), none asks to count, weigh or open the goods, and it is not a random (general) control."""
    categories = reason_categories(explanation)
    return bool(categories) and categories <= REMOTE_FIT


def mode_for(lane: str, explanation: dict, *, remote_allowed: bool = False) -> str:
    """yellow -> documentary; red -> physical, or remote where the office allows it and `remote_fit`."""
    if lane == "yellow":
        return "documentary"
    if lane == "red":
        return "remote" if remote_allowed and remote_fit(explanation) else "physical"
    raise ControlError(f"lane {lane!r} asks for no inspection (only red and yellow do)")


# --- outcome ----------------------------------------------------------------------------------------------------


def check_outcome(result: str, infringements: list[str], duty_before: float, duty_after: float, *,
                  seized: bool = False, offence_code: str | None = None, penalty: float | None = None) -> None:
    """Raise OutcomeError unless the outcome is consistent."""
    if result not in RESULTS:
        raise OutcomeError(f"result must be one of {', '.join(RESULTS)}, got {result!r}", code="result_unknown",
                           field="result")
    unknown = [kind for kind in infringements if kind not in INFRINGEMENTS]
    if unknown:
        raise OutcomeError(f"unknown infringement type(s) {unknown} (types: {', '.join(INFRINGEMENTS)})")
    if len(set(infringements)) != len(infringements):
        raise OutcomeError(f"infringement types listed twice: {list(infringements)}")
    for name, value in (("duty_before", duty_before), ("duty_after", duty_after), ("penalty", penalty)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise OutcomeError(f"{name} must be a number >= 0, got {value!r}", code="number_negative", field=name)
    if duty_before is None or duty_after is None:
        raise OutcomeError("duty_before and duty_after are required (the same amount when nothing changed)",
                           code="duty_required", field="duty_after")
    if result == "discrepancy" and not infringements:
        raise OutcomeError("a discrepancy needs at least one infringement type", code="infringement_needed",
                           field="infringements")
    if result == "no_discrepancy":
        if infringements:
            raise OutcomeError(f"no discrepancy, yet infringement types are given: {list(infringements)}",
                               code="infringement_without_discrepancy", field="infringements")
        if not np.isclose(duty_after, duty_before, rtol=0, atol=0.005):
            raise OutcomeError(f"no discrepancy, yet the duty changes ({duty_before} -> {duty_after})",
                               code="duty_changes_without_discrepancy", field="duty_after")
        if seized:
            raise OutcomeError("a seizure needs a discrepancy", code="seizure_without_discrepancy", field="seized")
        if offence_code or penalty:
            raise OutcomeError("an offence code or a penalty needs a discrepancy", code="offence_without_discrepancy",
                               field="offence_code")


# --- who inspects -----------------------------------------------------------------------------------------------


def pick_officer(candidates: pd.DataFrame, rng: int | np.random.Generator | None = None) -> str:
    """One officer, drawn uniformly among the qualified candidates with the fewest open tasks.

    `candidates` has columns officer_id and open_tasks. Always taking the least loaded keeps the workloads
    within one task of each other; drawing among them (not the first by name) means neither the trader nor the
    officer can know or choose who inspects. Pass a seed or Generator to make the draw reproducible.
    """
    if candidates.empty:
        raise AssignmentError("no qualified officer is available")
    least = candidates["open_tasks"].min()
    pool = sorted(candidates.loc[candidates["open_tasks"] == least, "officer_id"].astype(str))
    return pool[int(np.random.default_rng(rng).integers(len(pool)))]
