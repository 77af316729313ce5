"""The web's words: what people are shown for the codes of the domains (lanes, statuses, roles, events, ...) and
for the refusals of the services (``smartcustoms.refusals.Refusal``: by its code, never by its English text).
Every entry is an English message id, translated where it is shown (the catalogues under ``web/locales``)."""

from smartcustoms.refusals import Kind, Refusal
from smartcustoms.web.i18n import N_

LANES = {
    "green": N_("Green: released"),
    "blue": N_("Blue: released, audit later"),
    "yellow": N_("Yellow: documents check"),
    "red": N_("Red: physical inspection"),
}
STATUSES = {
    "lodged": N_("lodged"),
    "assessed": N_("assessed"),
    "held": N_("held"),
    "released": N_("released"),
    "detained": N_("detained"),
    "seized": N_("seized"),
}
ROLES = {
    "trader": N_("trader"),
    "officer": N_("officer"),
    "analyst": N_("analyst"),
    "supervisor": N_("supervisor"),
    "admin": N_("administrator"),
}
REASON_KINDS = {
    "profile": N_("risk profile"),
    "screen": N_("risk screen"),
    "random": N_("random control"),
    "capacity": N_("control capacity"),
    "override": N_("officer decision"),
}
SCREENS = {
    "valuation": N_("valuation"),
    "classification": N_("classification"),
    "origin": N_("origin"),
    "trader": N_("trader history"),
    "model": N_("targeting model"),
}
EVENTS = {
    "lodged": N_("Declaration lodged"),
    "lane": N_("Lane given"),
    "override": N_("Lane changed by customs"),
    "task": N_("Control task"),
    "outcome": N_("Control result"),
    "released": N_("Goods released"),
}
TASK_STATES = {
    "created": N_("created"),
    "assigned": N_("assigned"),
    "scheduled": N_("scheduled"),
    "in_progress": N_("in progress"),
    "completed": N_("completed"),
    "released": N_("released"),
    "detained": N_("detained"),
    "seized": N_("seized"),
}
RESULTS = {"discrepancy": N_("discrepancy found"), "no_discrepancy": N_("no discrepancy")}
CHANNELS = {"api": N_("API"), "file": N_("file upload"), "form": N_("web form")}
CONTROL_TYPES = {
    "documentary": N_("documents check"),
    "physical": N_("physical inspection"),
    "scan": N_("scan"),
    "remote": N_("remote inspection"),
    "audit": N_("post-clearance audit"),
}
TRANSPORT_MODES = {
    "1": N_("Sea"),
    "2": N_("Rail"),
    "3": N_("Road"),
    "4": N_("Air"),
    "5": N_("Post"),
    "7": N_("Fixed installation"),
    "8": N_("Inland waterway"),
    "9": N_("Other"),
}
DECLARATION_TYPES = {"IM": N_("Import"), "EX": N_("Export"), "CO": N_("Special fiscal territories")}

# --- refusals of the services, by code -------------------------------------------------------------------------

REFUSALS = {
    # the outcome of a control (control.workflow.check_outcome)
    "infringement_needed": N_("A discrepancy needs at least one infringement type."),
    "infringement_without_discrepancy": N_("With no discrepancy, tick no infringement type."),
    "duty_changes_without_discrepancy": N_("With no discrepancy, the duty after the control equals the duty before."),
    "seizure_without_discrepancy": N_("A seizure needs a discrepancy."),
    "offence_without_discrepancy": N_("An offence code or a penalty needs a discrepancy."),
    "offence_code_too_long": N_("An offence code has at most 20 characters."),
    "result_unknown": N_("Choose a result."),
    "number_negative": N_("This number is too small."),
    "duty_required": N_("Enter a value."),
    # documents and valuation queries (control.queries)
    "documents_needed": N_("Tick at least one document."),
    "documents_pending": N_("A document ticked was requested before and has not arrived yet."),
    "reasons_needed": N_("State the reasons to doubt the declared value, in at least 3 words (WTO Decision 6.1)."),
    "query_pending": N_("This declaration has a valuation query that is not decided yet: decide it first."),
    "answer_awaited": N_("The trader may answer until the deadline: decide after the answer or after the deadline."),
    "adjusted_value_needed": N_("Give the adjusted customs value (a number above zero)."),
    "adjusted_equals_declared": N_("The adjusted value equals the declared value: accept it."),
    "accepted_value_adjusted": N_("An accepted value stands as declared: leave the adjusted value empty."),
    "query_decided": N_("This valuation query is decided already."),
    # lane overrides (risk)
    "reason_needed": N_("Give the reason for the new lane (at least a few words)."),
    "lane_unknown": N_("Choose a lane."),
    "decision_unknown": N_("There is no such decision."),
    # accounts and passwords
    "username_invalid": N_("A user name has 2 to 64 characters: letters, digits, . _ @ -."),
    "role_unknown": N_("Choose a role."),
    "scope_invalid": N_("An importer, declarant or office ID has only letters, digits and . _ / -."),
    "trader_needs_scope": N_("A trader must be bound to at least one importer or declarant ID."),
    "trader_no_offices": N_("A trader is bound to importer and declarant IDs, not to offices."),
    "officer_needs_office": N_("An officer must be bound to at least one office, and only to offices."),
    "role_sees_all": N_("This role sees every declaration: give no importer, declarant or office."),
    "user_unknown": N_("There is no such user."),
    "user_exists": N_("This user name is taken."),
    "token_name_invalid": N_("Give the token a name of 1 to 100 characters (the system that uses it)."),
    "token_unknown": N_("There is no such API token."),
    "token_revoked": N_("This API token was revoked already."),
    "password_too_short": N_("The password must have at least %(min_length)d characters."),
    "password_too_long": N_("The password may have at most %(max_length)d characters."),
    "password_blank": N_("The password may not be only spaces."),
}
# the field a refusal concerns on the officer's forms, where it differs from the service's own (Refusal.field)
FORM_FIELDS = {"number_negative": "duty_after"}

STATUS = {Kind.INVALID: 422, Kind.NOT_FOUND: 404, Kind.CONFLICT: 409, Kind.FORBIDDEN: 403, Kind.TOO_LARGE: 413}


def status_of(refusal: Refusal) -> int:
    """The HTTP status of a refusal, by its kind (the one place that decides it)."""
    return STATUS[refusal.kind]


def say(exc: Refusal, translate) -> str:
    """A refusal's words in the language of `translate` (a gettext), with its parameters."""
    text = translate(REFUSALS.get(exc.code) or exc.message)
    try:
        return text % exc.params if exc.params and "%(" in text else text
    except (KeyError, TypeError, ValueError):
        return text


def refusal(exc: Refusal, default_field: str = "form") -> tuple[str, str]:
    """(field, words) of a service's refusal, for a form and for the API's ``loc``: the field it concerns (or
    `default_field`), and the message id of its words (its own English words for a code without any)."""
    field = FORM_FIELDS.get(exc.code) or exc.field or default_field
    return field, REFUSALS.get(exc.code) or exc.message
