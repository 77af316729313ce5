"""Pytest plugin to run today's reliability tests against 8d636c95, before the reliability work (docs/reliability.md,
the reproductions proven): today's module paths are mapped to where the old code had the same functions; names the
old code lacks become stubs that raise (the test fails, reported as `absent at 8d636c95`). Only with the old tree's
src first on PYTHONPATH:

    git worktree add /tmp/old 8d636c95 && cp <the test files> /tmp/old/tests/...
    cd /tmp/old && PYTHONPATH=/tmp/old/src:<this folder> pytest -p no:xdist -p old_aliases <the test files>
"""
import sys
import types


def _absent(name):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"{name}: absent at 8d636c95")
    return stub


def _module(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


import smartcustoms  # noqa: E402
import smartcustoms.control.outcomes as control_outcomes  # noqa: E402
import smartcustoms.declarations.intake as intake  # noqa: E402
import smartcustoms.declarations.models as models  # noqa: E402
import smartcustoms.risk.audit as audit  # noqa: E402
import smartcustoms.risk.repository as risk_repository  # noqa: E402
import smartcustoms.store.db as db  # noqa: E402
import smartcustoms.web.accounts as web_accounts  # noqa: E402

models.acceptance_window = getattr(models, "acceptance_window", _absent("acceptance_window"))
db.sqlite_time = getattr(db, "sqlite_time", _absent("sqlite_time"))
for name in ("decisions", "assessments"):
    setattr(risk_repository, name, getattr(risk_repository, name, getattr(audit, name)))
_module("smartcustoms.declarations.service", import_file=intake.import_file)
_module("smartcustoms.accounts")
_module("smartcustoms.accounts.service", **{k: v for k, v in vars(web_accounts).items() if not k.startswith("__")})
_module("smartcustoms.outcomes")
_module("smartcustoms.outcomes.models", read_outcomes=control_outcomes.read_outcomes)
smartcustoms.yaml_limits = _module("smartcustoms.yaml_limits", safe_load=_absent("yaml_limits.safe_load"),
                                   MAX_BYTES=256 * 1024)
try:
    import smartcustoms.exports  # noqa: F401
except ImportError:

    def to_csv(frame):
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    _module("smartcustoms.exports", defused=_absent("exports.defused"), to_csv=to_csv)
import smartcustoms.control.inspections as inspections  # noqa: E402

_module("smartcustoms.control.service", open_controls=inspections.open_controls, task_frame=inspections.task_frame,
        unopened=_absent("control.service.unopened"))
risk_repository.record_assessment = getattr(risk_repository, "record_assessment", audit.record_assessment)
