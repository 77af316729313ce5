"""api_analyst (being built)."""

from fastapi import APIRouter

router = APIRouter()
