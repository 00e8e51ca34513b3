"""HTTP routes of the organisation's price list and of the billable events awaiting a price."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["billing"])
