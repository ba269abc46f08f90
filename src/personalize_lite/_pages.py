"""The iterators the two clients return from ``list_batch_inference_jobs``.

Both hold a :class:`~personalize_lite._call.Paginator` and a ``fetch`` that runs its
next page plan through the client's driver. A page is requested only when the caller
asks for an item and the previous page is used up; between pages nothing is suspended
(no generator frame, no pending coroutine), so an abandoned iterator needs no cleanup and
``close()`` / ``aclose()`` only make sure no further page is requested. After an error
the iterator is finished: it raises the error once, then stops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from ._models import BatchInferenceJobSummary

__all__ = ["AsyncJobSummaries", "JobSummaries"]

_Page = tuple[BatchInferenceJobSummary, ...]
#: The page fetcher: a function (sync) or a coroutine function (async).
F = TypeVar("F")


class _Summaries(Generic[F]):
    """What the two iterators share: the buffered page, and when to stop."""

    def __init__(
        self,
        fetch: F,
        done: Callable[[], bool],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._fetch: F = fetch
        self._done = done
        self._on_close = on_close
        self._buffer: deque[BatchInferenceJobSummary] = deque()
        self._closed = False

    def _finished(self) -> bool:
        """Closed, or the listing has no further page (asked once the buffer is empty)."""
        return self._closed or self._done()

    def _stop(self) -> None:
        """Stop: no further page is requested."""
        self._closed = True
        self._buffer.clear()
        if self._on_close is not None:
            self._on_close()  # the paginator ends the listing's span


class JobSummaries(_Summaries[Callable[[], _Page]], Iterator[BatchInferenceJobSummary]):
    """The sync iterator: ``for job in client.list_batch_inference_jobs(): ...``."""

    def __iter__(self) -> JobSummaries:
        return self

    def __next__(self) -> BatchInferenceJobSummary:
        while not self._buffer:
            if self._finished():
                raise StopIteration
            try:
                self._buffer.extend(self._fetch())
            except BaseException:
                self._closed = True
                raise
        return self._buffer.popleft()

    def close(self) -> None:
        """Stop: no further page is requested."""
        self._stop()

    def __enter__(self) -> JobSummaries:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncJobSummaries(
    _Summaries[Callable[[], Awaitable[_Page]]], AsyncIterator[BatchInferenceJobSummary]
):
    """The async iterator: ``async for job in client.list_batch_inference_jobs(): ...``
    (asyncio and trio)."""

    def __aiter__(self) -> AsyncJobSummaries:
        return self

    async def __anext__(self) -> BatchInferenceJobSummary:
        while not self._buffer:
            if self._finished():
                raise StopAsyncIteration
            try:
                self._buffer.extend(await self._fetch())
            except BaseException:
                # Cancellation included: the page plan was closed by the driver, and a
                # half-fetched page is never resumed.
                self._closed = True
                raise
        return self._buffer.popleft()

    async def aclose(self) -> None:
        """Stop: no further page is requested."""
        self._stop()

    async def __aenter__(self) -> AsyncJobSummaries:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
