"""A fast, faulty HTTP/1.1 keep-alive server on 127.0.0.1 for the soak tests.

:class:`FaultyServer` is an asyncio-streams server on its own event loop in its own
thread. The tests run it in a child process (:class:`SoakServer`, which starts
``python -m tests.support.soak_server`` and drives it over stdin/stdout), so that serving takes
neither the test process's GIL nor its memory: the client under test gets one CPU, and
tracemalloc sees only the client. Every request gets
the canned DescribeBatchInferenceJob reply of ``fixtures/strict-active.json``, except a
seeded random share that gets a transient fault instead:

* ``unavailable``: ``503 ServiceUnavailable`` (JSON 1.1 error);
* ``throttle``: ``400 ThrottlingException``;
* ``reset``: the request is read, then the connection is reset (RST, nothing sent);
* ``reset-mid-reply``: half a 200 reply is sent, then the connection is reset;
* ``slow``: the reply is held back ``slow_seconds`` (longer than the client's read
  timeout); a client that gives up and closes is noticed at once.

The draw comes from ``random.Random(seed)`` on the server's one loop, so the fault sequence
is fixed by the seed (which request meets which fault depends on arrival order).

The server counts what it did and the connections it holds open
(:meth:`SoakServer.status`, :meth:`SoakServer.wait_idle`); :func:`tcp_sockets` reads the
kernel's view of a port from ``/proc/net/tcp``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from tests.support.paths import FIXTURES as FIXTURES_DIR
from tests.support.paths import REPO

__all__ = [
    "CANNED_ARN_PREFIX",
    "FAULTS",
    "FaultyServer",
    "ServerStatus",
    "SoakServer",
    "canned_job_body",
    "tcp_sockets",
]

TARGET: Final = b"AmazonPersonalize.DescribeBatchInferenceJob"
CANNED_ARN_PREFIX: Final = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
#: The access key every soak client signs with (the AWS documentation's example key).
ACCESS_KEY: Final = "AKIDEXAMPLE"

FAULTS: Final = ("unavailable", "throttle", "reset", "reset-mid-reply", "slow")
#: Share of each fault among the faulty requests: mostly error replies, some resets and
#: some replies slower than the client's read timeout.
DEFAULT_MIX: Final[Mapping[str, float]] = {
    "unavailable": 0.35,
    "throttle": 0.35,
    "reset": 0.1,
    "reset-mid-reply": 0.1,
    "slow": 0.1,
}
_MAX_HEAD: Final = 16 * 1024
_MAX_BODY: Final = 64 * 1024


def canned_job_body() -> bytes:
    """The 200 reply body recorded in ``fixtures/strict-active.json``."""
    cassette = json.loads((FIXTURES_DIR / "strict-active.json").read_text(encoding="utf-8"))
    body: str = cassette["interactions"][0]["response"]["body"]
    return body.encode("utf-8")


def _reply(status: str, body: bytes, request_id: str, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/x-amz-json-1.1\r\n"
        f"x-amzn-RequestId: {request_id}\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    ).encode("ascii") + body


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode("utf-8")


class FaultyServer:
    """The faulty server, in this process; a context manager (start on enter, stop on
    exit)."""

    def __init__(
        self,
        *,
        seed: int = 20240607,
        fault_rate: float = 0.2,
        mix: Mapping[str, float] = DEFAULT_MIX,
        slow_seconds: float = 2.0,
    ) -> None:
        self.seed = seed
        self.slow_seconds = slow_seconds
        self._rng = random.Random(seed)
        self._faults: tuple[float, tuple[str, ...], tuple[float, ...]] = (0.0, (), ())
        self.set_faults(fault_rate, mix)
        self._job = canned_job_body()
        #: What the server did: ``requests``, ``ok``, one key per fault, ``bad`` (a
        #: request that was not a signed DescribeBatchInferenceJob), ``connections``.
        self.stats: Counter[str] = Counter()
        #: Unexpected exceptions in the server (each one fails the soak).
        self.errors: list[str] = []
        self.open_connections = 0
        self.peak_connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._on_loop_error)
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    # ------------------------------------------------------------------ control

    def set_faults(self, rate: float, mix: Mapping[str, float] = DEFAULT_MIX) -> None:
        """Change the fault rate and mix (thread-safe: one tuple is swapped in)."""
        unknown = set(mix) - set(FAULTS)
        if unknown or not 0.0 <= rate <= 1.0:
            raise ValueError(f"bad fault settings: rate={rate!r}, unknown={sorted(unknown)}")
        self._faults = (rate, tuple(mix), tuple(mix.values()))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyServer:
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self._thread.start()
        future.result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, backlog=512, limit=_MAX_HEAD
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(concurrent.futures.TimeoutError):
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def status(self) -> dict[str, Any]:
        """A snapshot of the counters, taken on the server's loop."""

        async def snapshot() -> dict[str, Any]:
            return {
                "stats": dict(self.stats),
                "open": self.open_connections,
                "peak": self.peak_connections,
                "errors": list(self.errors),
            }

        return asyncio.run_coroutine_threadsafe(snapshot(), self._loop).result(timeout=10)

    # ------------------------------------------------------------------ serving

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        self.errors.append(str(context.get("exception") or context.get("message")))

    def _draw(self) -> str | None:
        rate, names, weights = self._faults
        if rate <= 0.0 or self._rng.random() >= rate:
            return None
        return self._rng.choices(names, weights)[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        self.open_connections += 1
        self.peak_connections = max(self.peak_connections, self.open_connections)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (or timed out and closed): normal in a soak
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.errors.append(repr(exc))
        finally:
            self._writers.discard(writer)
            writer.transport.abort()
            self.open_connections -= 1

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    self.stats["bad"] += 1
                return
            except asyncio.LimitOverrunError:
                self.stats["bad"] += 1
                return
            lines = head.decode("latin-1").split("\r\n")
            method, _, rest = lines[0].partition(" ")
            path = rest.partition(" ")[0]
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or "0")
            if not 0 <= length <= _MAX_BODY:
                self.stats["bad"] += 1
                return
            body = await reader.readexactly(length)
            self.stats["requests"] += 1
            request_id = f"soak-{self.stats['requests']:08d}"
            if not self._valid(method, path, headers, body):
                self.stats["bad"] += 1
                writer.write(
                    _reply(
                        "400 Bad Request",
                        _error_body("UnknownOperationException", "not a soak request"),
                        request_id,
                        "Connection: close\r\n",
                    )
                )
                await writer.drain()
                return
            fault = self._draw()
            self.stats[fault or "ok"] += 1
            if fault == "reset" or fault == "reset-mid-reply":
                if fault == "reset-mid-reply":
                    reply = _reply("200 OK", self._job, request_id)
                    writer.write(reply[: len(reply) // 2])
                    await writer.drain()
                _reset(writer)
                return
            if fault == "slow":
                try:
                    early = await asyncio.wait_for(reader.read(1), self.slow_seconds)
                except asyncio.TimeoutError:
                    early = None  # still connected: answer late
                if early is not None:
                    return  # the client gave up and closed (b"") or broke the protocol
                reply = _reply("200 OK", self._job, request_id)
            elif fault == "unavailable":
                reply = _reply(
                    "503 Service Unavailable",
                    _error_body("ServiceUnavailable", "soak: injected 503"),
                    request_id,
                )
            elif fault == "throttle":
                reply = _reply(
                    "400 Bad Request",
                    _error_body("ThrottlingException", "soak: injected throttling"),
                    request_id,
                    "x-amzn-ErrorType: ThrottlingException\r\n",
                )
            else:
                reply = _reply("200 OK", self._job, request_id)
            writer.write(reply)
            await writer.drain()

    @staticmethod
    def _valid(method: str, path: str, headers: Mapping[str, str], body: bytes) -> bool:
        if method != "POST" or path != "/":
            return False
        if headers.get("x-amz-target", "").encode() != TARGET:
            return False
        if not headers.get("authorization", "").startswith(
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/"
        ):
            return False
        try:
            arn = json.loads(body)["batchInferenceJobArn"]
        except (ValueError, KeyError, TypeError):
            return False
        return isinstance(arn, str) and arn.startswith(CANNED_ARN_PREFIX)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0: the peer sees a reset (RST), not an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# ---------------------------------------------------------------------- child process


@dataclass(frozen=True)
class ServerStatus:
    """What the server did: ``stats`` has ``requests``, ``ok``, one key per fault, ``bad``
    (a request that was not a signed DescribeBatchInferenceJob) and ``connections``
    (accepted); ``open`` and ``peak`` count connections held; ``errors`` are unexpected
    exceptions in the server."""

    stats: Counter[str]
    open: int
    peak: int
    errors: list[str]


class SoakServer:
    """A :class:`FaultyServer` in a child process, driven over its stdin/stdout (one JSON
    line per command and per answer). A context manager; the child is killed on exit."""

    def __init__(self, *, seed: int = 20240607, fault_rate: float = 0.2) -> None:
        self.seed = seed
        self.fault_rate = fault_rate
        self.port = 0
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SoakServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.soak_server", f"--seed={self.seed}"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        try:
            self.set_faults(self.fault_rate)
            self.port = int(self._command({"op": "port"})["port"])
        except BaseException:
            self._kill()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
        if process.stdout is not None:
            process.stdout.close()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def _command(self, command: Mapping[str, Any]) -> dict[str, Any]:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        with self._lock:
            process.stdin.write(json.dumps(command) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the soak server exited (code {process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def set_faults(self, rate: float, mix: Mapping[str, float] = DEFAULT_MIX) -> None:
        """Change the fault rate and mix from the next request on."""
        self._command({"op": "faults", "rate": rate, "mix": dict(mix)})

    def status(self) -> ServerStatus:
        answer = self._command({"op": "status"})
        return ServerStatus(
            stats=Counter(answer["stats"]),
            open=answer["open"],
            peak=answer["peak"],
            errors=answer["errors"],
        )

    def wait_idle(self, timeout: float = 5.0) -> int:
        """Wait until the server holds no connection; the number still open."""
        deadline = time.monotonic() + timeout
        while (still_open := self.status().open) and time.monotonic() < deadline:
            time.sleep(0.01)
        return still_open


def _serve_commands(server: FaultyServer, commands: IO[str], answers: IO[str]) -> None:
    for line in commands:
        command = json.loads(line)
        answer: dict[str, Any]
        if command["op"] == "port":
            answer = {"port": server.port}
        elif command["op"] == "faults":
            server.set_faults(command["rate"], command["mix"])
            answer = {}
        else:
            answer = server.status()
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main(argv: list[str] | None = None) -> None:
    """The child process: serve until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20240607)
    args = parser.parse_args(argv)
    with FaultyServer(seed=args.seed) as server:
        _serve_commands(server, sys.stdin, sys.stdout)


# ---------------------------------------------------------------------- kernel view

_TCP_STATES: Final = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


def tcp_sockets(port: int) -> Counter[str] | None:
    """``side:STATE`` counts of the IPv4 sockets with ``port`` at one end, from
    ``/proc/net/tcp`` (``server:`` the port is local, ``client:`` it is remote); None where
    there is no ``/proc/net/tcp``. The listening socket is left out."""
    try:
        lines = Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return None
    counts: Counter[str] = Counter()
    for line in lines:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        state = _TCP_STATES.get(fields[3], fields[3])
        if state == "LISTEN":
            continue
        if local_port == port:
            counts[f"server:{state}"] += 1
        elif remote_port == port:
            counts[f"client:{state}"] += 1
    return counts


if __name__ == "__main__":
    main()
