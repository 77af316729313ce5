"""The control modes of an inspection task, by code, and their words: the one place that names them.

Each mode has two names in English: ``NAMES`` says what the control is (the officer's queue and task page, the
control-times chart), ``SETTINGS`` where it happens, in short (the KPI table of ``smartcustoms kpi`` and of the
analyst's page). The CLI and the charts print these words as they are; the web takes its tables from here
(``web.words``) and translates them through its catalogues: they are message ids, and ``pybabel extract`` reads
this file beside ``web/`` (docs/web.md, Translations).
"""


def N_(message: str) -> str:  # noqa: N802 - the no-op marker that message extraction looks for (as web.i18n.N_)
    return message


MODES = ("physical", "documentary", "remote")
NAMES = {"physical": N_("physical (on site)"), "documentary": N_("documentary (desk)"), "remote": N_("remote")}
SETTINGS = {"physical": N_("on site"), "documentary": N_("desk"), "remote": N_("remote")}
