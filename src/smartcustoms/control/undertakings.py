"""Promise-based release: a trader in good standing signs an undertaking instead of sending the supporting
documents of a yellow-lane declaration up front; the declaration is released at once (blue lane) and its
documents are verified after release.

Signing (``sign_undertaking``) is one transaction that writes

- the ``undertakings`` row (one per declaration: who signed, when, the text signed, and the basis, i.e. why the
  trader was in good standing, as JSON),
- an override of the latest decision to the blue lane, with the reason "promise-based release: undertaking N
  signed by X" (the append-only ``decision_overrides`` of ``risk.tables``), and
- the release of the clearance row (status released, released now, lane blue).

The documentary task stays open: it is the verification after release, and ``verify_undertaking`` records its
result on the undertaking. Refused, with a ``code`` and a message, and nothing written: a declaration not in the
yellow lane (``not_yellow``), without a documentary check opened (``no_control``), already controlled
(``already_controlled``: the documentary check is completed or an outcome exists), no longer held
(``not_held``), already signed (``already_signed``), or a trader not in good standing
(``not_in_good_standing``: the basis must say ``good_standing: true``, see ``eligibility``).

The SQL is in ``control.repository.undertakings``, the use cases (one transaction each) in ``control.service``.
"""

from dataclasses import dataclass, field
from datetime import datetime

from smartcustoms.control.facilitation import Finding, good_standing

RESULTS = ("documents_confirmed", "discrepancy", "not_provided")  # what the verification after release found
CONTROLLED = ("completed", "released", "detained", "seized")  # a documentary task in these states has been done


class UndertakingError(ValueError):
    """An undertaking refused or a verification not allowed; ``code`` says which rule (see the module doc)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Refusal:
    code: str
    text: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Eligibility:
    """Whether a declaration may be released on an undertaking now, and why (not)."""

    eligible: bool
    refusals: list[Refusal]  # the rules of the declaration's state that refuse it (empty: none)
    in_good_standing: bool
    findings: list[Finding]  # good standing, criterion by criterion
    record: dict  # the importer's record (facilitation.trader_record)
    basis: dict  # what sign_undertaking stores as the basis


def judged(refusals: list[Refusal], importer: str | None, record: dict, at: datetime,
           **thresholds) -> Eligibility:
    """The eligibility of a declaration from the refusals of its state and its importer's record (``good_standing``
    with `thresholds`). The basis it returns is what ``sign_undertaking`` stores."""
    standing, findings = good_standing(record, **thresholds) if importer else (False, [])
    if importer and not standing:
        refusals.append(Refusal("not_in_good_standing", f"importer {importer} is not in good standing: "
                        + "; ".join(f.text for f in findings if not f.met)))
    basis = {"good_standing": standing, "importer_id": importer, "aeo": bool(record.get("aeo")),
             "window_days": record.get("window_days"), "declarations": record.get("declarations"),
             "controls": record.get("controls"), "discrepancies": record.get("discrepancies"),
             "as_of": f"{at:%Y-%m-%d %H:%M:%S}", "findings": [f.text for f in findings if f.met]}
    return Eligibility(not refusals, refusals, standing, findings, record, basis)


def check_signature(declaration_id: str, signed_by: str, text: str, basis: dict) -> tuple[str, str]:
    """Who signs and the text signed, stripped; refused when either is missing or the basis is not good standing."""
    signed_by, text = (signed_by or "").strip(), (text or "").strip()
    if not signed_by:
        raise UndertakingError("unsigned", "who signs the undertaking must be named")
    if not text:
        raise UndertakingError("unsigned", "the undertaking's text is empty")
    if not (basis or {}).get("good_standing"):
        raise UndertakingError("not_in_good_standing", f"declaration {declaration_id}: the trader is not in good "
                                                       "standing, so the documents are needed before release")
    return signed_by, text
