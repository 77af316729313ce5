"""Pydantic models of the non-intrusive inspection use cases."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AnalysisOut(BaseModel):
    analysis_id: int
    scan_id: int
    declaration_id: str | None
    container_id: str | None = None
    kind: str
    model_version: str
    image_score: float = Field(description="how likely the scan holds a concealed item (0-1)")
    alarm: bool
    boxes: list[list[float]] = Field(description="[row0, col0, row1, col1, score] in pixels of the scan")
    estimated_kg: float = Field(description="mass of the goods from the dual-energy inversion")
    declared_kg: float | None
    declared_hs: str | None
    manifest_score: float | None = Field(description="how likely the declaration does not match the scan (0-1)")
    manifest_alarm: bool
    signals: dict
    material_kg: dict
    seconds: float
    lane_before: str | None
    lane_after: str | None
    analysed_at: datetime | None = None


class ScanResult(BaseModel):
    scan_id: int
    analyses: list[AnalysisOut]
    findings: list[int] = Field(default_factory=list, description="IDs of findings raised (e.g. unmatched scan)")


class FindingOut(BaseModel):
    finding_id: int
    kind: str
    scan_id: int | None
    declaration_id: str | None
    container_id: str | None
    detail: str
    found_at: datetime | None


class LaneReport(BaseModel):
    trucks_per_hour: float
    hours: float
    arrivals: int
    scans_analysed: int
    matched: int
    unmatched_scans: int
    never_scanned: int
    alarms: int
    escalated: int
    seconds_per_scan_mean: float
    seconds_per_scan_p95: float
    capacity_scans_per_hour: float = Field(description="what the analysis sustains on this machine (3600 / mean)")
    utilisation: float = Field(description="arrival rate over capacity")
    max_queue: int
    mean_wait_s: float
