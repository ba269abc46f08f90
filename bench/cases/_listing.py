"""Checks shared by the list cases (standard library only): a listing is one "call"; it
must yield exactly the jobs of the three pages, and may not run past them (a routing
mistake would otherwise repeat page 1 for ever)."""

from __future__ import annotations

from collections.abc import Iterable

from _replies import LIST_JOBS, LIST_PAGES, job_name, last_job_name

__all__ = ["MAX_PAGES", "floor_ok", "listing_ok", "names_ok"]

#: A listing stops with an error past this many pages.
MAX_PAGES = LIST_PAGES + 1


def names_ok(names: list[str]) -> bool:
    """The job names of one listing, in order, are the whole listing."""
    return len(names) == LIST_JOBS and names[-1] == last_job_name()


def listing_ok(pages: Iterable[list[str]]) -> list[str]:
    """The job names of a listing given page by page; raises past :data:`MAX_PAGES`."""
    names: list[str] = []
    for count, page in enumerate(pages, start=1):
        if count > LIST_PAGES:
            raise RuntimeError(f"the listing did not end after {LIST_PAGES} pages")
        names += page
    return names


def floor_ok(status_and_bodies: list[tuple[int, bytes]]) -> bool:
    """The raw floors' check of one listing: 200s, page 1, 2 and 3 in that order (each
    starts with its own first job), no nextToken on the last."""
    return (
        len(status_and_bodies) == LIST_PAGES
        and all(
            status == 200 and f'"jobName": "{job_name(page, 0)}"'.encode() in body
            for page, (status, body) in enumerate(status_and_bodies, start=1)
        )
        and b"nextToken" not in status_and_bodies[-1][1]
    )
