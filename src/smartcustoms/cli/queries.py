"""`smartcustoms documents` and `smartcustoms query`: documentary checks and valuation queries."""

from datetime import timedelta
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, fail, frame_table
from smartcustoms.control import service as control
from smartcustoms.control.service import DOCUMENT_TYPES

documents = typer.Typer(help="Documentary checks: request supporting documents from the trader, and record them "
                             "as received (linked to uploaded evidence) or waived.", no_args_is_help=True)
query = typer.Typer(help="Valuation queries (WTO Valuation Agreement, Decision 6.1): state the reasons to doubt "
                         "the declared value, take the trader's answer until the deadline, then accept the value "
                         "or adjust it (the duty is recomputed and the decision becomes an outcome).",
                    no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who does it (recorded).")]
QUERY_COLUMNS = ["query_id", "declaration_id", "state", "declared_value", "deadline", "answered_at", "decided_value",
                 "duty_before", "duty_after"]


def _run(action):
    try:
        return action()
    except control.QueryError as exc:
        fail(f"{exc}. Nothing was changed.", 1)


@documents.command("request")
def request_command(
    declaration_id: str,
    document: Annotated[list[str], typer.Option("--document", "-d", help=f"One of {', '.join(DOCUMENT_TYPES)}; "
                                                                          "repeat for several.")],
    days: Annotated[float, typer.Option(help="Days the trader has to provide them.")] = 5,
    task: Annotated[int | None, typer.Option(help="The inspection task it belongs to.")] = None,
    by: By = "officer",
) -> None:
    """Ask the trader of a declaration for documents."""
    ids = _run(lambda: control.request_documents(engine(), declaration_id, document, requested_by=by,
                                                 due_in=timedelta(days=days), task_id=task))
    console.print(f"requested {len(ids)} document(s) for {declaration_id}: request(s) {', '.join(map(str, ids))}")


@documents.command("receive")
def receive_command(request_id: int, evidence_id: Annotated[int, typer.Option(help="The uploaded file.")]) -> None:
    """Record a requested document as received (a late one is accepted and counted late)."""
    late = _run(lambda: control.mark_document_received(engine(), request_id, evidence_id))
    console.print(f"request {request_id}: received{' (late)' if late else ''}")


@documents.command("waive")
def waive_command(request_id: int) -> None:
    """No longer require a requested document."""
    _run(lambda: control.waive_document(engine(), request_id))
    console.print(f"request {request_id}: waived")


@documents.command("list")
def list_documents(declaration_id: Annotated[str | None, typer.Argument()] = None,
                   state: Annotated[str | None, typer.Option(help="requested, received or waived.")] = None) -> None:
    """List document requests."""
    frame = _run(lambda: control.requests_frame(engine(), declaration_id, state=state))
    if frame.empty:
        console.print("no document requests")
        return
    console.print(frame_table(frame, "Document requests", ["request_id", "declaration_id", "document_type", "state",
                                                           "requested_at", "due_at", "received_at", "late"]))


@query.command("raise")
def raise_command(
    declaration_id: str,
    reasons: Annotated[str, typer.Option(help="The reasons to doubt the truth or accuracy of the declared value.")],
    days: Annotated[float, typer.Option(help="Days the trader has to answer.")] = 10,
    task: Annotated[int | None, typer.Option(help="The inspection task it belongs to.")] = None,
    by: By = "officer",
) -> None:
    """Open a valuation query on a declaration."""
    query_id = _run(lambda: control.raise_valuation_query(engine(), declaration_id, reasons_to_doubt=reasons,
                                                          raised_by=by, deadline_days=days, task_id=task))
    console.print(f"valuation query {query_id} raised on {declaration_id}")


@query.command("answer")
def answer_command(query_id: int, answer: Annotated[str, typer.Option(help="The trader's answer.")],
                   by: By = "trader") -> None:
    """Record the trader's answer (refused after the deadline)."""
    _run(lambda: control.answer_valuation_query(engine(), query_id, answer=answer, answered_by=by))
    console.print(f"valuation query {query_id}: answer recorded")


@query.command("decide")
def decide_command(
    query_id: int,
    decision: Annotated[str, typer.Argument(help="accept or adjust.")],
    value: Annotated[float | None, typer.Option(help="The adjusted customs value (with 'adjust').")] = None,
    by: By = "officer",
) -> None:
    """Accept the declared value or adjust it; the duty is recomputed and the decision recorded as an outcome."""
    result = _run(lambda: control.decide_valuation_query(engine(), query_id, decision=decision, decided_by=by,
                                                         adjusted_value=value))
    console.print(f"valuation query {query_id}: {result['state']}; duty {result['duty_before']:,.2f} -> "
                  f"{result['duty_after']:,.2f} (recovered {result['duty_recovered']:,.2f}); "
                  f"outcome {result['outcome_id']}")


@query.command("expire")
def expire_command() -> None:
    """Mark open queries past their deadline as expired (answers are then refused; a decision is due)."""
    expired = control.expire_overdue(engine())
    console.print(f"{len(expired)} valuation quer{'y' if len(expired) == 1 else 'ies'} expired")


@query.command("list")
def list_queries(declaration_id: Annotated[str | None, typer.Argument()] = None,
                 state: Annotated[str | None, typer.Option(help="open, answered, accepted, adjusted or expired.")]
                 = None) -> None:
    """List valuation queries."""
    frame = _run(lambda: control.queries_frame(engine(), declaration_id, state=state))
    if frame.empty:
        console.print("no valuation queries")
        return
    console.print(frame_table(frame, "Valuation queries", QUERY_COLUMNS))
