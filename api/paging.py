"""Paging of list endpoints: every list answers one page, `limit` at most MAX_PAGE_SIZE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE,
                                description="Items per page")] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET,
                                 description="Items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Page = Annotated[PageRequest, Depends(page_request)]
