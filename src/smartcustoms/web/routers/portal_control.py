"""portal_control (being built)."""

from fastapi import APIRouter

router = APIRouter()
