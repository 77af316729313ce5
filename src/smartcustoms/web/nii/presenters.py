"""What the officer's pages show of a declaration's scan analyses."""

from sqlalchemy import Engine

from smartcustoms.nii import service
from smartcustoms.nii.schemas import AnalysisOut

ROLES = ("officer", "supervisor", "admin")  # who sees scans and their analyses
SENDERS = ("officer", "supervisor", "admin")  # who sends scans through the API (scanners use an officer's token)
GROUP_KEYS = (("organic", "Organic"), ("inorganic", "Inorganic (mixed)"), ("metal", "Metal"))


def row(analysis: AnalysisOut) -> dict:
    mass = analysis.material_kg
    return {
        "analysis_id": analysis.analysis_id, "scan_id": analysis.scan_id, "kind": analysis.kind,
        "container_id": analysis.container_id, "alarm": analysis.alarm, "image_score": analysis.image_score,
        "boxes": len(analysis.boxes), "estimated_kg": analysis.estimated_kg, "declared_kg": analysis.declared_kg,
        "declared_hs": analysis.declared_hs, "manifest_score": analysis.manifest_score,
        "manifest_alarm": analysis.manifest_alarm, "lane_before": analysis.lane_before,
        "lane_after": analysis.lane_after, "escalated": analysis.lane_before != analysis.lane_after,
        "materials": [(label, mass.get(key, 0.0)) for key, label in GROUP_KEYS],
        "opaque_share": mass.get("opaque_share", 0.0), "model_version": analysis.model_version,
        "analysed_at": analysis.analysed_at,
    }


def panel(db: Engine, declaration_id: str) -> list[dict]:
    """The declaration's analyses, newest first, as the officer's page shows them."""
    return [row(a) for a in reversed(service.analyses_for(db, declaration_id))]
