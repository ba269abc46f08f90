"""Run any plan through the real drivers (sync, and async on asyncio or trio).

Provider tests use these so that their HTTP, sleeps, blocking calls and exclusive
sections go through exactly the code the clients use.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from personalize_lite import AsyncPersonalizeClient, Credentials, PersonalizeClient
from personalize_lite._steps import Plan

__all__ = ["DRIVERS", "async_runner", "sync_runner"]

T = TypeVar("T")
#: The drivers of conftest's ``driver``: the sync client, and the async one on asyncio or
#: on trio.
DRIVERS = ("sync", "asyncio", "trio")

_ENV = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="driver-only")


@contextmanager
def sync_runner(**client_kwargs: Any) -> Iterator[Callable[[Plan[Any]], Any]]:
    """``with sync_runner() as run: result = run(plan)`` (``sleep=`` etc. may be given)."""
    client_kwargs.setdefault("sleep", lambda _seconds: None)
    with PersonalizeClient(
        region="us-east-1", credentials=_CREDS, env=_ENV, **client_kwargs
    ) as client:
        yield client._run


@asynccontextmanager
async def async_runner(
    **client_kwargs: Any,
) -> AsyncIterator[Callable[[Plan[Any]], Awaitable[Any]]]:
    """``async with async_runner() as run: result = await run(plan)``."""

    async def no_sleep(_seconds: float) -> None:
        return None

    client_kwargs.setdefault("sleep", no_sleep)
    async with AsyncPersonalizeClient(
        region="us-east-1", credentials=_CREDS, env=_ENV, **client_kwargs
    ) as client:
        yield client._run
