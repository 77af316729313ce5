"""`smartcustoms audit`: post-clearance audit of released declarations (green and blue lanes)."""

from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, fail, frame_table
from smartcustoms.control import service as audit_cases
from smartcustoms.control.service import AuditCaseError, AuditPlanError

app = typer.Typer(
    help="Post-clearance audit: plan audit cases among released declarations by residual risk x duty at stake "
         "under an audit capacity, one case per importer and period; open them, record findings (they become "
         "outcomes), close them.",
    no_args_is_help=True,
)

INFRINGEMENT_HELP = "valuation, classification, origin, quantity, prohibited, ipr or other; repeat for several."
By = Annotated[str, typer.Option("--by", help="Who does it (recorded).")]
CASE_COLUMNS = ["case_id", "importer_id", "period_start", "state", "declarations", "residual_risk", "duty_at_stake",
                "findings", "discrepancies", "duty_recovered", "penalties"]


def _run(action):
    try:
        return action()
    except (AuditCaseError, AuditPlanError) as exc:
        fail(f"{exc}. Nothing was changed.", 1)


@app.command()
def plan(
    capacity: Annotated[int, typer.Option("--capacity", min=1, help="How many audit cases the team can take.")],
    period: Annotated[str, typer.Option(help="Group a trader's declarations per 'month' or 'quarter'.")] = "quarter",
    max_declarations: Annotated[int | None, typer.Option(help="At most this many declarations in all.")] = None,
    by: By = "audit.planner",
) -> None:
    """Plan and store the next audit cases: released declarations not yet controlled, ranked by residual risk x
    duty at stake (blue lane first), grouped per importer and period, the best cases within the capacity."""
    cases = _run(lambda: audit_cases.plan_and_store(engine(), capacity_cases=capacity, period=period,
                                                    capacity_declarations=max_declarations, planned_by=by))
    if cases.empty:
        console.print("no audit case planned: no released declaration left to audit")
        return
    columns = [c for c in ("case_id", "importer_id", "period_start", "declarations", "residual_risk",
                           "duty_at_stake", "case_value", "why") if c in cases]
    console.print(frame_table(cases, f"{len(cases)} audit case(s) planned", columns))


@app.command("cases")
def list_cases(state: Annotated[str | None, typer.Option(help="planned, open or closed.")] = None) -> None:
    """List audit cases with their findings and the duty recovered."""
    frame = _run(lambda: audit_cases.cases_frame(engine(), state=state))
    if frame.empty:
        console.print("no audit cases")
        return
    console.print(frame_table(frame, "Audit cases", CASE_COLUMNS))


@app.command("open")
def open_command(case_id: int, auditor: Annotated[str, typer.Option(help="The auditor's officer ID.")]) -> None:
    """An auditor takes a planned case."""
    _run(lambda: audit_cases.open_case(engine(), case_id, auditor))
    console.print(f"audit case {case_id} opened by {auditor}")
    console.print(frame_table(audit_cases.case_declarations(engine(), case_id), "Declarations to audit"))


@app.command()
def finding(
    case_id: int,
    declaration_id: str,
    result: Annotated[str, typer.Option(help="discrepancy or no_discrepancy.")],
    duty_before: Annotated[float, typer.Option(help="Duty as declared.")],
    duty_after: Annotated[float, typer.Option(help="Duty after the audit.")],
    infringement: Annotated[list[str] | None, typer.Option(help=INFRINGEMENT_HELP)] = None,
    penalty: Annotated[float, typer.Option(help="Penalty imposed.")] = 0.0,
    offence_code: Annotated[str | None, typer.Option(help="National offence code.")] = None,
    by: By = "auditor",
) -> None:
    """Record the audit's finding on one declaration of an open case (it becomes an outcome: a label)."""
    outcome_id = _run(lambda: audit_cases.record_finding(
        engine(), case_id, declaration_id, result=result, infringements=infringement or [], duty_before=duty_before,
        duty_after=duty_after, penalty=penalty, offence_code=offence_code, recorded_by=by))
    console.print(f"finding recorded as outcome {outcome_id}")


@app.command()
def close(case_id: int) -> None:
    """Close an open case once every declaration in it has a finding."""
    _run(lambda: audit_cases.close_case(engine(), case_id))
    console.print(f"audit case {case_id} closed")
