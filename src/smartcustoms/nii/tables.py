"""Tables of non-intrusive inspection: transport units (which container or vehicle carries which declaration),
scans (the file as received), their analyses (the evidence on the declaration) and the lane's findings."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from smartcustoms.store.db import metadata

nii_units = Table(
    "nii_units",
    metadata,
    Column("unit_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("container_id", String(20), nullable=False, index=True),
    Column("vehicle_id", String(20)),
    Column("registered_at", DateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("declaration_id", "container_id", name="uq_nii_units_declaration_container"),
)

nii_scans = Table(
    "nii_scans",
    metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=True),
    Column("scan_ref", String(64)),
    Column("sha256", String(64), nullable=False, index=True),
    Column("declaration_id", String(35), index=True),
    Column("container_id", String(20), index=True),
    Column("vehicle_id", String(20)),
    Column("kind", String(10), nullable=False),
    Column("settings", Text, nullable=False),  # JSON
    Column("rows", Integer, nullable=False),
    Column("cols", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),  # the scan file as received
    Column("received_by", String(100), nullable=False),
    Column("received_at", DateTime, nullable=False, server_default=func.now()),
    CheckConstraint("kind IN ('parcel', 'bag', 'container')", name="ck_nii_scans_kind"),
)

nii_analyses = Table(
    "nii_analyses",
    metadata,
    Column("analysis_id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", Integer, ForeignKey("nii_scans.scan_id"), nullable=False, index=True),
    Column("declaration_id", String(35), index=True),
    Column("model_version", String(80), nullable=False),
    Column("image_score", Float, nullable=False),
    Column("alarm", Boolean, nullable=False),
    Column("boxes", Text, nullable=False),  # JSON [[row0, col0, row1, col1, score], ...]
    Column("estimated_kg", Float, nullable=False),
    Column("declared_kg", Float),
    Column("declared_hs", String(10)),
    Column("manifest_score", Float),
    Column("manifest_alarm", Boolean, nullable=False),
    Column("signals", Text, nullable=False),  # JSON
    Column("material_kg", Text, nullable=False),  # JSON
    Column("seconds", Float, nullable=False),
    Column("lane_before", String(10)),
    Column("lane_after", String(10)),
    Column("analysed_at", DateTime, nullable=False, server_default=func.now()),
)

nii_findings = Table(
    "nii_findings",
    metadata,
    Column("finding_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("scan_id", Integer, ForeignKey("nii_scans.scan_id")),
    Column("declaration_id", String(35), index=True),
    Column("container_id", String(20)),
    Column("detail", Text, nullable=False),
    Column("found_at", DateTime, nullable=False, server_default=func.now()),
    CheckConstraint("kind IN ('unmatched_scan', 'never_scanned')", name="ck_nii_findings_kind"),
)
