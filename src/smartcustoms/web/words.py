"""The web's words: what people are shown for the codes of the domains (lanes, statuses, roles, events, ...) and
for the refusals of the services (``smartcustoms.refusals.Refusal``: by its code, never by its English text).
Every entry is an English message id, translated where it is shown (the catalogues under ``web/locales``); the
control modes' words come from ``control.modes``, their one source."""

from smartcustoms.control.service import MODE_NAMES, MODE_SETTINGS
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
    # non-intrusive inspection: scan files and their links (nii)
    "nii_scan_too_large": N_("The scan file is too large (at most %(limit)d bytes)."),
    "nii_scan_not_npz": N_("A scan file is a NumPy .npz archive: this file is not one."),
    "nii_scan_unreadable": N_("The scan file cannot be read: it is damaged or incomplete."),
    "nii_scan_missing_channel": N_("The scan has no %(channel)s-energy image: a dual-energy scan needs both."),
    "nii_scan_bad_type": N_("The %(channel)s-energy image must hold 16-bit unsigned integers (uint16), not %(dtype)s."),
    "nii_scan_bad_size": N_("The %(channel)s-energy image must be 2-D with sides of 32 to 2048 pixels."),
    "nii_scan_shape_mismatch": N_("The low- and high-energy images differ in size."),
    "nii_scan_missing_meta": N_("The scan has no metadata (meta entry)."),
    "nii_scan_bad_meta": N_("The scan's metadata is wrong at %(key)s."),
    "nii_scan_unlinked": N_("Link the scan to a declaration, a container or a vehicle."),
    "nii_container_invalid": N_("A container ID has 1 to 20 characters."),
    "nii_declaration_unknown": N_("There is no such declaration."),
    "nii_analysis_unknown": N_("There is no such scan analysis."),
    "nii_model_missing": N_("No X-ray analysis model is installed."),
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


# --- officer -------------------------------------------------------------------------------------------------------

OFFICER_SOURCES = {  # what selected a declaration, as the task and the decision name it
    "profile": N_("a risk profile"),
    "screen": N_("the risk screens"),
    "model": N_("the targeting model"),
    "random": N_("the random control sample"),
    "override": N_("an officer's decision"),
    "none": N_("nothing: no risk was found"),
}
OFFICER_MODES = MODE_NAMES  # the control modes' words are control.modes' (message ids there)
OFFICER_INFRINGEMENT_NAMES = {
    "valuation": N_("valuation"), "classification": N_("classification"), "origin": N_("origin"),
    "quantity": N_("quantity"), "prohibited": N_("prohibited or restricted goods"),
    "ipr": N_("intellectual property rights"), "other": N_("other"),
}
OFFICER_DOCUMENT_NAMES = {
    "invoice": N_("invoice"), "certificate_of_origin": N_("certificate of origin"),
    "packing_list": N_("packing list"), "transport_document": N_("transport document"),
    "licence": N_("licence"), "other": N_("other document"),
}
OFFICER_REQUEST_STATES = {"requested": N_("requested"), "received": N_("received"), "waived": N_("waived")}
OFFICER_QUERY_STATES = {"open": N_("waiting for the trader's answer"), "answered": N_("answered"),
                "accepted": N_("value accepted"), "adjusted": N_("value adjusted"),
                "expired": N_("deadline passed without an answer")}
OFFICER_RELEASE_NAMES = {"released": N_("Release the goods"), "detained": N_("Detain the goods"),
                 "seized": N_("Seize the goods")}
OFFICER_REFERENCE_LEVELS = {"hs6xorigin": N_("same HS subheading and origin"),
                            "hs6": N_("same HS subheading, all origins"),
                            "hs4": N_("same HS heading"), "chapter": N_("same HS chapter")}
OFFICER_DONE = {  # ?done= after a form succeeded -> the notice shown
    "taken": N_("The task is yours: it is locked to you."),
    "started": N_("The control is started."),
    "completed": N_("The outcome is recorded and the control completed."),
    "released": N_("The goods are released."),
    "detained": N_("The goods are detained."),
    "seized": N_("The goods are seized."),
    "documents": N_("The documents are requested from the trader."),
    "query": N_("The valuation query is sent to the trader."),
    "decided": N_("The valuation query is decided."),
    "override": N_("The lane is changed, and the reason recorded."),
}
OFFICER_CONFLICT = N_("Someone else changed this task while you were looking at it. Here it is as it is now: check it, "
              "then try again.")
OFFICER_NUMBER_MESSAGES = {  # written.read_amount's refusal codes -> what to tell the officer
    "number_ambiguous": N_("This number can be read two ways: write the thousands with spaces (24 500) and the "
                           "decimals after the decimal mark."),
}
OFFICER_CONFIRM_DUTY = N_("The duty after the control is more than three times larger or smaller than the duty as "
                  "declared: check the amounts (was a thousands separator read as a decimal mark?) and tick the "
                  "box to confirm.")
OFFICER_CONFIRM_SAME_DUTY = N_(
    "A discrepancy found, but the duty stays the same, with no penalty and no seizure: check the "
    "amounts and tick the box to confirm.")
OFFICER_CONFIRM_VALUE = N_(
    "The adjusted customs value is more than three times larger or smaller than the declared value: "
    "check the amount (was a thousands separator read as a decimal mark?) and tick the box to "
    "confirm.")
OFFICER_FIELD_MESSAGES = {  # (field, pydantic error type) -> what to tell the officer
    ("result", "missing"): N_("Choose a result."),
    ("result", "literal_error"): N_("Choose a result."),
    ("infringements", "literal_error"): N_("Choose among the listed infringement types."),
    ("decision", "missing"): N_("Choose a decision."),
    ("decision", "literal_error"): N_("Choose a decision."),
    ("lane", "missing"): N_("Choose a lane."),
    ("lane", "literal_error"): N_("Choose a lane."),
    ("reason", "missing"): N_("Give the reason for the new lane (at least a few words)."),
    ("reason", "string_too_short"): N_("Give the reason for the new lane (at least a few words)."),
    ("document_types", "missing"): N_("Tick at least one document."),
    ("document_types", "too_short"): N_("Tick at least one document."),
    ("document_types", "literal_error"): N_("Choose among the listed documents."),
    ("reasons_to_doubt", "missing"): N_("State the reasons to doubt the declared value."),
    ("due_days", "greater_than_equal"): N_("Give a number of days from 1 to 60."),
    ("due_days", "less_than_equal"): N_("Give a number of days from 1 to 60."),
    ("due_days", "int_parsing"): N_("Give a number of days from 1 to 60."),
    ("deadline_days", "greater_than_equal"): N_("Give a number of days from 1 to 60."),
    ("deadline_days", "less_than_equal"): N_("Give a number of days from 1 to 60."),
    ("deadline_days", "int_parsing"): N_("Give a number of days from 1 to 60."),
    ("adjusted_value", "greater_than"): N_("Give the adjusted customs value (a number above zero)."),
}
OFFICER_STALE_FORM = N_("This form is out of date: reload the page and try again.")


# --- analyst -------------------------------------------------------------------------------------------------------

ANALYST_STATES = {
    "committed": N_("awaiting approval"),
    "approved": N_("approved, not published"),
    "published": N_("published"),
    "superseded": N_("superseded"),
    "retired": N_("retired"),
}
ANALYST_MODES = {"active": N_("live"), "shadow": N_("shadow")}
ANALYST_LOG_ACTIONS = {
    "committed": N_("committed"),
    "approved": N_("approved"),
    "published": N_("published"),
    "retired": N_("retired"),
    "suppressed": N_("suppressed"),
}
ANALYST_MODEL_STATUSES = {
    "champion": N_("champion"),
    "challenger": N_("challenger"),
    "registered": N_("registered"),
    "retired": N_("retired"),
}
ANALYST_MODEL_EVENTS = {
    "registered": N_("registered"),
    "promoted": N_("promoted"),
    "demoted": N_("demoted"),
    "rolled_back": N_("rolled back"),
    "retired": N_("retired"),
}
ANALYST_SOURCES = {
    "model": N_("model"),
    "profile": N_("profiles"),
    "screen": N_("screens"),
    "random": N_("random sample"),
    "override": N_("officer override"),
    "audit": N_("post-clearance audit"),
    "none": N_("none"),
    "unknown": N_("unknown"),
    "all": N_("all"),
}
ANALYST_CONTROL_MODES = {**MODE_SETTINGS, "all": N_("all")}
ANALYST_LANE_NAMES = {"green": N_("green"), "blue": N_("blue"), "yellow": N_("yellow"), "red": N_("red"),
                      "all": N_("all")}
ANALYST_VARIANTS = {"published": N_("published profiles"), "draft": N_("your draft")}
ANALYST_DRIFT_LEVELS = {"none": N_("none"), "moderate": N_("moderate"), "significant drift": N_("significant drift")}
ANALYST_CHART_TITLES = {
    "hit_rates": N_("Hit rate by selection source, per week"),
    "lanes_per_day": N_("Declarations per day, by lane"),
    "release_times": N_("Share of declarations released within t hours of lodgement, by lane"),
    "revenue": N_("Duty recovered per month, by selection source"),
    "control_times": N_("Hours from scheduling to completion, by control mode"),
}
ANALYST_PROFILE_KEYS = [  # the keys of a profile, for the editor's help
    ("profile_id", N_("required: stable across versions, capitals, digits and . _ - (for example P-STEEL-AD)")),
    ("title", N_("required: one line")),
    ("purpose", N_("required: the risk it targets and the evidence for it")),
    ("owner", N_("required: the team or officer answerable for it")),
    ("lane", N_("required: yellow, red or blue")),
    ("weight", N_("required: 0 to 100; the lane is forced red from the forcing weight (100) on")),
    ("valid_from, valid_to", N_("optional: the first and last day it applies (2025-01-31)")),
    ("mode", N_("optional: active (the default) selects; shadow is evaluated and reported but selects nothing")),
    ("force", N_("optional: true sends to red whatever the capacity (prohibited goods); needs lane red")),
    ("criteria", N_("required: a list of conditions that must all hold, each a field and one operator")),
]


# --- portal --------------------------------------------------------------------------------------------------------

PORTAL_DOCUMENT_TYPES = {
    "invoice": N_("Commercial invoice"),
    "certificate_of_origin": N_("Certificate of origin"),
    "packing_list": N_("Packing list"),
    "transport_document": N_("Transport document"),
    "licence": N_("Licence or permit"),
    "other": N_("Other document"),
}
PORTAL_REQUEST_STATES = {"requested": N_("waiting for your document"), "received": N_("received"),
                  "waived": N_("no longer needed")}
PORTAL_QUERY_STATES = {
    "open": N_("waiting for your answer"),
    "answered": N_("answered: customs will decide"),
    "accepted": N_("declared value accepted"),
    "adjusted": N_("customs value adjusted"),
    "expired": N_("no answer before the deadline: customs will decide"),
}
PORTAL_EVIDENCE_KINDS = {"photo": N_("photo"), "video": N_("video"), "document": N_("document")}
PORTAL_SLOT_MODES = {"on_site": N_("on site"), "remote": N_("remote")}
PORTAL_SERVICES = {
    "preference": N_("Preferential tariff rate applied under %(agreement)s: certificate of origin %(certificate)s "
                     "valid for origin %(origin)s (items %(items)s)."),
    "aeo": N_("Authorised economic operator: fewer physical controls, and promise-based release available."),
    "good_record": N_("No documents asked up front: thanks to your compliance record you may promise the documents "
                      "and have the goods released at once."),
}
PORTAL_FINDINGS = {
    "aeo": N_("You are an authorised economic operator."),
    "declarations": N_("Declarations in the last %(days)d days: %(count)d (at least %(needed)d needed)."),
    "controls": N_("Controls in the last %(days)d days: %(count)d (at least %(needed)d needed)."),
    "discrepancies": N_("Discrepancies found by those controls: %(count)d (at most %(allowed)d allowed)."),
}
PORTAL_REFUSALS = {  # UndertakingError / Refusal codes
    "not_yellow": N_("Promise-based release is only for declarations in the yellow lane (documents check)."),
    "no_control": N_("The documents check of this declaration is not open yet: come back once customs has opened "
                     "it."),
    "already_controlled": N_("Customs has already checked this declaration: there is nothing left to promise."),
    "not_held": N_("The goods are not held, so there is nothing to release."),
    "already_signed": N_("An undertaking was already signed for this declaration."),
    "not_in_good_standing": N_("Your compliance record does not allow promise-based release yet: send the documents "
                               "instead."),
    "not_found": N_("There is no such declaration."),
    "unsigned": N_("The undertaking could not be signed."),
}
PORTAL_DONE = {
    "document": N_("Thank you: the document was received."),
    "document_late": N_("Thank you: the document was received after its due date. It is accepted and counted as "
                        "late."),
    "answer": N_("Your answer was sent to customs."),
    "remote": N_("You asked for a remote inspection: book a remote slot below."),
    "booked": N_("Your inspection slot is booked."),
    "cancelled": N_("Your booking is cancelled: the slot is free again. Book another slot below."),
    "evidence": N_("Your file was uploaded."),
    "signed": N_("You signed the undertaking: the goods are released. Customs will check the documents after "
                 "release."),
}
PORTAL_RESULTS = {"documents_confirmed": N_("the documents confirm the declaration"),
           "discrepancy": N_("a discrepancy was found"), "not_provided": N_("the documents were not provided")}
PORTAL_UNDERTAKING_TEXT = N_(
    "I, %(name)s, undertake to provide customs on request, after release, with the supporting documents of "
    "declaration %(id)s (invoice, certificate of origin, transport and other documents as applicable), to keep them "
    "for at least three years, and to pay any duty, tax or penalty that their verification shows to be due. On "
    "this undertaking the goods are released now and the documents are checked after release.")
PORTAL_SAY = {
    "choose_file": N_("Choose a file to upload."),
    "too_large": N_("The file is too large for its type. Nothing was stored."),
    "file_type": N_("Files of this type are not accepted: send a photo (JPEG, PNG), a video (MP4, WebM) or a "
                    "document (PDF, CSV). Nothing was stored."),
    "file_content": N_("The file's content does not match its type. Nothing was stored."),
    "file_empty": N_("The file is empty. Nothing was stored."),
    "not_requested": N_("This document is no longer requested."),
    "deadline": N_("The deadline to answer has passed: answers are no longer accepted. Nothing was recorded."),
    "write_answer": N_("Write your answer."),
    "changed": N_("This was changed meanwhile: reload the page and try again."),
    "not_open": N_("This query is no longer open for answers."),
    "no_inspection": N_("This declaration has no inspection to arrange."),
    "not_remote": N_("This inspection cannot be done remotely."),
    "remote_refused": N_("The inspection could not be switched to remote."),
    "no_remote_slots": N_("The office has no free slot for remote inspections at the moment: please look again "
                          "later."),
    "choose_slot": N_("Choose a slot."),
    "slot_full": N_("This slot is full: choose another one. Nothing was booked."),
    "not_assigned": N_("No officer is assigned to your inspection yet: you can book a slot once one is."),
    "booking_refused": N_("This slot cannot be booked: choose another one."),
    "not_booked": N_("Your inspection has no booked slot: there is no booking to cancel."),
    "cancel_refused": N_("This booking can no longer be cancelled: its slot has started."),
    "no_evidence_yet": N_("Files can be uploaded once a remote inspection is booked."),
    "agree": N_("Tick the box to confirm that you sign the undertaking."),
}
