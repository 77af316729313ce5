"""SQL of non-intrusive inspection, given a connection; never commits."""

from __future__ import annotations

import json

from sqlalchemy import Connection, func, insert, select

from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.nii.tables import nii_analyses, nii_findings, nii_scans, nii_units


def declaration_exists(conn: Connection, declaration_id: str) -> bool:
    return conn.execute(select(declarations.c.declaration_id)
                        .where(declarations.c.declaration_id == declaration_id)).first() is not None


def declared_goods(conn: Connection, declaration_id: str) -> tuple[str | None, float | None]:
    """The heading (4 digits) of the heaviest item and the declared gross mass (net where gross is missing), kg."""
    rows = conn.execute(select(goods_items.c.commodity_code, goods_items.c.net_mass,
                               goods_items.c.gross_mass)
                        .where(goods_items.c.declaration_id == declaration_id)).all()
    if not rows:
        return None, None
    masses = [(float(r.gross_mass if r.gross_mass is not None else r.net_mass or 0.0), r.commodity_code) for r in rows]
    heaviest = max(masses)[1]
    return str(heaviest)[:4], sum(m for m, _ in masses)


def add_unit(conn: Connection, declaration_id: str, container_id: str, vehicle_id: str | None) -> int:
    found = conn.execute(select(nii_units.c.unit_id).where(nii_units.c.declaration_id == declaration_id,
                                                           nii_units.c.container_id == container_id)).first()
    if found:
        return found.unit_id
    return conn.execute(insert(nii_units).values(declaration_id=declaration_id, container_id=container_id,
                                                 vehicle_id=vehicle_id).returning(nii_units.c.unit_id)).scalar_one()


def declarations_of_unit(conn: Connection, container_id: str | None, vehicle_id: str | None) -> list[str]:
    query = select(nii_units.c.declaration_id).order_by(nii_units.c.unit_id)
    if container_id:
        query = query.where(nii_units.c.container_id == container_id)
    elif vehicle_id:
        query = query.where(nii_units.c.vehicle_id == vehicle_id)
    else:
        return []
    return [row.declaration_id for row in conn.execute(query)]


def add_scan(conn: Connection, **values) -> int:
    return conn.execute(insert(nii_scans).values(**values).returning(nii_scans.c.scan_id)).scalar_one()


def add_analysis(conn: Connection, **values) -> int:
    for key in ("boxes", "signals", "material_kg"):
        values[key] = json.dumps(values[key], sort_keys=True)
    return conn.execute(insert(nii_analyses).values(**values).returning(nii_analyses.c.analysis_id)).scalar_one()


def add_finding(conn: Connection, kind: str, detail: str, scan_id: int | None = None,
                declaration_id: str | None = None, container_id: str | None = None) -> int:
    return conn.execute(insert(nii_findings).values(kind=kind, detail=detail, scan_id=scan_id,
                                                    declaration_id=declaration_id, container_id=container_id)
                        .returning(nii_findings.c.finding_id)).scalar_one()


def _analysis_row(row) -> dict:
    out = dict(row._mapping)
    for key in ("boxes", "signals", "material_kg"):
        out[key] = json.loads(out[key])
    return out


_ANALYSIS_COLUMNS = [*nii_analyses.c, nii_scans.c.kind, nii_scans.c.container_id, nii_scans.c.vehicle_id,
                     nii_scans.c.scan_ref, nii_scans.c.rows, nii_scans.c.cols]


def analyses_of(conn: Connection, declaration_id: str) -> list[dict]:
    query = (select(*_ANALYSIS_COLUMNS).join(nii_scans, nii_scans.c.scan_id == nii_analyses.c.scan_id)
             .where(nii_analyses.c.declaration_id == declaration_id).order_by(nii_analyses.c.analysis_id))
    return [_analysis_row(row) for row in conn.execute(query)]


def analysis(conn: Connection, analysis_id: int) -> dict | None:
    row = conn.execute(select(*_ANALYSIS_COLUMNS).join(nii_scans, nii_scans.c.scan_id == nii_analyses.c.scan_id)
                       .where(nii_analyses.c.analysis_id == analysis_id)).first()
    return _analysis_row(row) if row else None


def scan_content(conn: Connection, scan_id: int) -> bytes | None:
    row = conn.execute(select(nii_scans.c.content).where(nii_scans.c.scan_id == scan_id)).first()
    return bytes(row.content) if row else None


def counts(conn: Connection) -> dict:
    return {
        "scans": conn.execute(select(func.count()).select_from(nii_scans)).scalar_one(),
        "analyses": conn.execute(select(func.count()).select_from(nii_analyses)).scalar_one(),
        "findings": conn.execute(select(func.count()).select_from(nii_findings)).scalar_one(),
    }


def findings(conn: Connection, limit: int = 200) -> list[dict]:
    rows = conn.execute(select(nii_findings).order_by(nii_findings.c.finding_id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def scanned_declarations(conn: Connection, declaration_ids: list[str]) -> set[str]:
    if not declaration_ids:
        return set()
    rows = conn.execute(select(nii_scans.c.declaration_id).where(nii_scans.c.declaration_id.in_(declaration_ids)))
    return {row.declaration_id for row in rows}


def unlinked_declarations(conn: Connection, limit: int) -> list[str]:
    """Declarations with no container recorded yet, newest first."""
    linked = select(nii_units.c.declaration_id)
    rows = conn.execute(select(declarations.c.declaration_id).where(declarations.c.declaration_id.not_in(linked))
                        .order_by(declarations.c.acceptance_datetime.desc(), declarations.c.declaration_id)
                        .limit(limit))
    return [row.declaration_id for row in rows]


def accepted_since(conn: Connection, declaration_ids: list[str], since) -> set[str]:
    """Those of the declarations accepted at or after `since`."""
    if not declaration_ids:
        return set()
    rows = conn.execute(select(declarations.c.declaration_id).where(
        declarations.c.declaration_id.in_(list(declaration_ids)), declarations.c.acceptance_datetime >= since))
    return {row.declaration_id for row in rows}
