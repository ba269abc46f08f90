"""Credentials from an external command: botocore's ``ProcessProvider``.

The profile's ``credential_process`` (the config file's profile, overridden by the
credentials file's section of the same name, as botocore's scoped config) is split into
arguments as botocore does (:func:`shlex.split` on POSIX, the Windows C runtime's rules
on Windows) and run without a shell, inheriting ``os.environ``, the working directory
and stdin. It must print, on stdout::

    {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
     "SessionToken": "...", "Expiration": "2030-01-01T00:00:00Z"}

``SessionToken`` and ``Expiration`` (ISO 8601) are optional. With an ``Expiration`` the
credentials carry it, so the client's credential cache runs the command again before
they expire.

Differences from botocore, on purpose:

* **A timeout.** botocore waits for the command forever; we kill it after
  :data:`DEFAULT_TIMEOUT` seconds (the ``timeout=`` keyword) and raise
  :class:`CredentialRetrievalError`, so a stuck command cannot hang a client.
* **Bounded output.** stdout and stderr are read as they come, at most
  :data:`~.._config.MAX_LOCAL_SOURCE` bytes each (1 MiB); past it the command is killed
  and :class:`CredentialRetrievalError` raised (botocore keeps it all in memory).
* **Done when the command exits.** A command that exits while a background process it
  started keeps stdout open is not waited for beyond :data:`EOF_GRACE` seconds: its
  exit status and what it printed by then decide (botocore waits for end of file).
* Errors never quote stdout (it holds the secret key) and quote at most the first
  200 characters of stderr, with the command's arguments, the secrets of its output and
  of its last credentials, and the values of credential-like fields (``set -x`` echoes)
  masked; botocore puts all of stderr in its message.
* A command that cannot be started, output that is not JSON or not UTF-8, and values
  that are not usable credentials are all a :class:`CredentialRetrievalError` naming
  what is wrong (botocore lets ``OSError``, ``JSONDecodeError``... escape).
* ``Version`` must be the number 1 (botocore also takes ``true`` and ``1.0``).
* ``AccountId`` and the profile's ``aws_account_id`` are ignored: :class:`Credentials`
  has no account id.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any, Final

import attrs

from .._checks import positive_seconds
from .._config import MAX_LOCAL_SOURCE, scoped_config
from .._errors import ConfigurationError, CredentialRetrievalError, ParamValidationError
from .._steps import Blocking, Plan
from ._base import Credentials, ProviderContext, parse_expiration

__all__ = ["DEFAULT_TIMEOUT", "EOF_GRACE", "ProcessProvider", "split_command"]

#: Seconds a ``credential_process`` may run before it is killed (botocore: no limit).
DEFAULT_TIMEOUT: Final = 60.0
#: Seconds to wait, once the command has exited, for its stdout and stderr to close: a
#: background process it started may hold them open for as long as it runs.
EOF_GRACE: Final = 1.0
_STDERR_LIMIT: Final = 200
#: How often a running command is checked for having exited while its pipes are open.
_POLL: Final = 0.05
_CHUNK: Final = 65536
_KEY: Final = "credential_process"


def split_command(command: str, *, platform: str | None = None) -> list[str]:
    """Split ``command`` into arguments as botocore's ``compat_shell_split`` does.

    Raises ValueError on an unterminated quote.
    """
    if (platform or sys.platform) == "win32":
        return _windows_shell_split(command)
    return shlex.split(command)


def _windows_shell_split(text: str) -> list[str]:
    """botocore's ``_windows_shell_split``: the Microsoft C runtime's rules (space and
    tab separate, only double quotes quote, backslashes are literal unless they lead up
    to a double quote)."""
    components: list[str] = []
    buff: list[str] = []
    quoted = False
    backslashes = 0
    for char in text:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            if backslashes:
                buff.append("\\" * (backslashes // 2))
                odd = backslashes % 2
                backslashes = 0
                if odd:
                    buff.append('"')
                    continue
            quoted = not quoted
            buff.append("")  # keeps "" as an empty argument
            continue
        if backslashes:
            buff.append("\\" * backslashes)
            backslashes = 0
        if char in " \t" and not quoted:
            if buff:
                components.append("".join(buff))
                buff = []
        else:
            buff.append(char)
    if quoted:
        raise ValueError("No closing quotation")
    if backslashes:
        buff.append("\\" * backslashes)
    if buff:
        components.append("".join(buff))
    return components


class ProcessProvider:
    """Runs the profile's ``credential_process`` and reads credentials from its stdout.

    ``timeout`` (seconds) bounds each run of the command.
    """

    name = "custom-process"

    def __init__(self, ctx: ProviderContext, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._ctx = ctx
        self.profile = ctx.settings.profile
        self.timeout = positive_seconds(timeout)
        #: The secrets of the last credentials the command gave: masked should a later
        #: run, failing, echo them on stderr.
        self._issued: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # The command is left out: its arguments may hold secrets.
        return f"ProcessProvider(profile={self.profile!r})"

    def skip_reason(self) -> str:
        return f"profile {self.profile!r} has no {_KEY}"

    def _command(self) -> list[str] | None:
        value = scoped_config(self._ctx.files, self.profile).get(_KEY)
        if value is None:
            return None
        where = f"{_KEY} of profile {self.profile!r}"
        if not isinstance(value, str):
            raise ConfigurationError(f"{where} must be a single value, not a nested section")
        try:
            argv = split_command(value)
        except ValueError:
            raise ConfigurationError(f"{where} has an unterminated quote") from None
        if not argv or not argv[0]:
            raise ConfigurationError(f"{where} has no command to run")
        return argv

    def _fail(self, message: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(message, provider=self.name)

    def load(self) -> Plan[Credentials | None]:
        argv = self._command()
        if argv is None:
            return None
        program = argv[0]
        # Errors are raised after the except blocks, never in them: an exception raised
        # there keeps the caught one as __context__ (even with ``from None``).
        problem = None
        try:
            ran: _Ran = yield Blocking(fn=lambda: _run(argv, self.timeout))
        except FileNotFoundError:
            problem = f"{_KEY} {program!r}: command not found"
        except PermissionError:
            problem = f"{_KEY} {program!r}: permission denied (not executable?)"
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            problem = f"{_KEY} {program!r} could not be started: {why}"
        if problem is not None:
            raise self._fail(problem) from None
        if ran.overflow is not None:
            raise self._fail(
                f"{_KEY} {program!r} wrote more than {MAX_LOCAL_SOURCE} bytes on "
                f"{ran.overflow} and was killed"
            )
        if ran.timed_out:
            raise self._fail(
                f"{_KEY} {program!r} did not finish within {self.timeout:g} seconds and was killed"
            )
        returncode = ran.returncode
        if returncode != 0:
            how = (
                f"was killed by signal {-returncode}"
                if returncode < 0
                else f"exited with code {returncode}"
            )
            excerpt = _stderr_excerpt(ran.stderr, [*argv, *self._issued], ran.stdout)
            raise self._fail(f"{_KEY} {program!r} {how}{excerpt}")
        credentials = self._parse(ran.stdout, program, held_open=ran.held_open)
        self._issued = tuple(
            s for s in (credentials.secret_access_key, credentials.session_token) if s
        )
        return credentials

    def _parse(self, stdout: bytes, program: str, *, held_open: bool = False) -> Credentials:
        source = f"the output of {_KEY} {program!r}"
        if held_open:
            source += (
                f" (it exited with code 0, but a process it started kept its output open "
                f"{EOF_GRACE:g} s later: what it had printed by then was read)"
            )
        # Errors are raised after the except blocks, never in them: the decoding errors
        # hold the output (the secret key), and would ride along as __context__.
        problem = None
        try:
            parsed = json.loads(stdout.decode("utf-8"))
        except UnicodeDecodeError:
            problem = "is not UTF-8 text"
        except ValueError:  # the decoder's message may quote the output: left out
            problem = "is not JSON"
        if problem is not None:
            raise self._fail(f"{source} {problem}") from None
        if not isinstance(parsed, dict):
            raise self._fail(f"{source} is not a JSON object")
        version = parsed.get("Version")
        if type(version) is not int or version != 1:
            if "Version" not in parsed:
                shown = "<Version key not provided>"
            elif isinstance(version, int | float) and not isinstance(version, bool):
                shown = repr(version)
            else:  # not echoed: it could be anything
                shown = f"<a JSON {type(version).__name__}>"
            raise self._fail(
                f"Unsupported version {shown} for credential process provider, "
                f"supported versions: 1 ({source})"
            )
        missing = [key for key in ("AccessKeyId", "SecretAccessKey") if key not in parsed]
        if missing:
            raise self._fail(f"Missing required key in response: {', '.join(missing)} ({source})")
        values: dict[str, Any] = {}
        for key, field in (
            ("AccessKeyId", "access_key_id"),
            ("SecretAccessKey", "secret_access_key"),
            ("SessionToken", "session_token"),
        ):
            value = parsed.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise self._fail(f"{key} in {source} must be a string")
            values[field] = value
        expiration = parsed.get("Expiration")
        if expiration is not None:
            if not isinstance(expiration, str):
                raise self._fail(f"Expiration in {source} must be an ISO 8601 string")
            try:
                values["expiration"] = parse_expiration(expiration, what="Expiration")
            except ConfigurationError as exc:
                raise self._fail(f"{exc} ({source})") from None
        try:
            return Credentials(**values)
        except ParamValidationError as exc:
            # The message names the field, never its value.
            raise self._fail(f"unusable credentials in {source}: {exc}") from None


@attrs.frozen(kw_only=True)
class _Ran:
    """How a run of the command ended, and what it printed (at most the limit)."""

    returncode: int
    stdout: bytes = attrs.field(repr=False)
    stderr: bytes = attrs.field(repr=False)
    #: Still running at the deadline: killed.
    timed_out: bool = False
    #: ``"stdout"`` or ``"stderr"`` when that one went past the limit: killed.
    overflow: str | None = None
    #: Exited, but its stdout or stderr was still open :data:`EOF_GRACE` seconds later.
    held_open: bool = False


def _run(
    argv: Sequence[str],
    timeout: float,
    *,
    limit: int = MAX_LOCAL_SOURCE,
    grace: float = EOF_GRACE,
) -> _Ran:
    """Run the command (blocking; no shell; os.environ and stdin inherited), reading its
    stdout and stderr as they come, at most ``limit`` bytes each.

    Ends, killing the command if it still runs, at the first of: both pipes closed and
    the command exited; a pipe past ``limit``; ``timeout`` seconds; ``grace`` seconds
    after the command exited with a pipe still open (a background process holds it).
    Nothing here raises from an except block: no exception (``TimeoutExpired`` holds the
    arguments and the output) rides along on a later error.
    """
    if sys.platform == "win32":  # no select() on pipes: botocore's way, unbounded
        return _run_unbounded(argv, timeout)
    import selectors
    import subprocess

    process = subprocess.Popen(  # noqa: S603 (the user's configured command, no shell)
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    streams = {"stdout": process.stdout, "stderr": process.stderr}
    output = {"stdout": bytearray(), "stderr": bytearray()}
    deadline = time.monotonic() + timeout
    overflow: str | None = None
    exited_at: float | None = None
    try:
        with selectors.DefaultSelector() as selector:
            for name, stream in streams.items():
                assert stream is not None
                selector.register(stream, selectors.EVENT_READ, name)
            while selector.get_map() and overflow is None:
                now = time.monotonic()
                if exited_at is None and process.poll() is not None:
                    exited_at = now
                end = deadline if exited_at is None else min(deadline, exited_at + grace)
                if now >= end:
                    break
                wait = end - now if exited_at is not None else min(end - now, _POLL)
                for key, _events in selector.select(wait):
                    chunk = os.read(key.fd, _CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffer = output[key.data]
                    buffer += chunk
                    if len(buffer) > limit:
                        overflow = key.data
                        break
            still_open = bool(selector.get_map())
        timed_out = False
        if overflow is None and process.poll() is None:
            remaining = max(0.0, deadline - time.monotonic())
            timed_out = _wait(process, remaining) is None
        held_open = still_open and overflow is None and not timed_out
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in streams.values():
            if stream is not None:
                stream.close()
    return _Ran(
        returncode=process.returncode,
        stdout=bytes(output["stdout"][:limit]),
        stderr=bytes(output["stderr"][:limit]),
        timed_out=timed_out,
        overflow=overflow,
        held_open=held_open,
    )


def _wait(process: Any, seconds: float) -> int | None:
    """The exit status, None if the process still runs after ``seconds``."""
    import subprocess

    try:
        status: int = process.wait(seconds)
    except subprocess.TimeoutExpired:  # only a flag leaves this block
        return None
    return status


def _run_unbounded(argv: Sequence[str], timeout: float) -> _Ran:
    """Windows: ``subprocess.run`` (its output is not bounded, select() cannot wait on
    pipes there)."""
    import subprocess

    timed_out = False
    try:
        result = subprocess.run(  # noqa: S603 (the user's configured command, no shell)
            list(argv), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:  # holds the arguments and the output: dropped
        timed_out = True
    if timed_out:
        return _Ran(returncode=-9, stdout=b"", stderr=b"", timed_out=True)
    return _Ran(returncode=result.returncode, stdout=result.stdout, stderr=result.stderr)


#: A credential field and its value, as JSON (``"SecretAccessKey": "..."``), INI or shell
#: (``aws_session_token=...``) would write it: the value is masked in quoted stderr.
_SECRET_FIELD: Final = re.compile(
    r"""((?:secret|token|password)[\w-]*["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;}'"]+)""",
    re.IGNORECASE,
)
#: Shorter arguments are not masked in quoted stderr (``-v``, ``--json``, ``prod``).
_MIN_MASKED: Final = 8


def _known_secrets(argv: Sequence[str], stdout: bytes) -> list[str]:
    """What a failing command's stderr must not show: its arguments (the configured
    command may hold a secret, which is why a ProcessProvider's repr leaves it out; the
    provider appends the secrets of the command's last credentials) and the secret values
    of whatever credentials it wrote on stdout before failing."""
    found = []
    for arg in argv[1:]:
        value = arg.partition("=")[2] if arg.startswith("-") and "=" in arg else arg
        if len(value) >= _MIN_MASKED and not value.startswith("-"):
            found.append(value)
    try:
        parsed = json.loads(stdout)
    except ValueError:  # not JSON (UnicodeDecodeError included): nothing to learn
        parsed = None
    if isinstance(parsed, dict):
        for key in ("SecretAccessKey", "SessionToken"):
            printed = parsed.get(key)
            if isinstance(printed, str) and printed:
                found.append(printed)
    return sorted(found, key=len, reverse=True)


def _stderr_excerpt(stderr: bytes, argv: Sequence[str] = (), stdout: bytes = b"") -> str:
    """``": <first line(s) of stderr>"``, at most 200 characters; empty if none. The
    command's arguments, the secrets it printed on stdout, and the values of credential
    fields (a script run with ``set -x`` echoes the JSON it prints) are masked."""
    text = stderr.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    for secret in _known_secrets(argv, stdout):
        text = text.replace(secret, "***")
    text = _SECRET_FIELD.sub(lambda found: found.group(1) + "***", text)
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(text) > _STDERR_LIMIT:
        text = text[: _STDERR_LIMIT - 3] + "..."
    return f": {text}"
