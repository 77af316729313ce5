"""Words for codes shown to people (lanes, statuses, roles, events); translated where they are shown."""

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
