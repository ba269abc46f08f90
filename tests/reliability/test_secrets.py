"""The secrets sweep.

Every error path we can reach is driven with distinctive secrets (a secret access key, a
session token, and the secrets of each credential source: STS-issued keys, the web
identity token, the SSO bearer token and role keys, the IMDS and container credentials,
a credential_process argument) and with every logger at DEBUG (root, ``personalize_lite``,
``botocore``, ``httpx``, ``httpcore``, ``hpack``). The signature of every request is taken
from what the transport actually saw. Then everything a user or an operator could see is
searched:

* every log record: its message, ``msg``, ``args`` and the formatted record with its
  traceback;
* every exception: ``str``, ``repr``, ``args``, ``attempts``, and the same for each
  exception of its ``__cause__`` / ``__context__`` chain, suppressed contexts included
  (they stay attached to the object, and a crash reporter may walk them);
* ``repr`` of clients, credentials, providers, provider contexts and loaded files;
* CLI stdout and stderr (``personalize_lite._cli.main([..., "--debug"])``);
* cassette files written by the recording transports.

A secret counts as found in its raw form, percent-encoded, JSON-escaped, or as the
distinctive core of its value (``zz9``-tagged); a signature also by its first or last 16
hex digits. Each path is one parametrised case, so a failure names the path that leaked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shlex
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    BatchInferenceJobFailed,
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    Credentials,
    EndpointConnectionError,
    ExpiredTokenException,
    InvalidSignatureException,
    NoCredentialsError,
    PersonalizeClient,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResponseParseError,
    RetryConfig,
    ThrottlingException,
    UnrecognizedClientException,
    WaiterTimeoutError,
)
from personalize_lite._cli import main as cli_main
from personalize_lite._config import load_aws_files, resolve_settings
from personalize_lite.credentials._assume_role import AssumeRoleProvider, WebIdentityProvider
from personalize_lite.credentials._base import (
    CallableProvider,
    ConfigFileProvider,
    CredentialCache,
    EnvProvider,
    ProviderContext,
    SharedCredentialsProvider,
    StaticProvider,
)
from personalize_lite.credentials._chain import as_provider, default_chain
from personalize_lite.credentials._container import ContainerProvider
from personalize_lite.credentials._imds import InstanceMetadataProvider
from personalize_lite.credentials._process import ProcessProvider
from personalize_lite.credentials._sso import SSOProvider, sso_token_cache_key
from personalize_lite.testing import AsyncRecordingTransport, FixtureServer, RecordingTransport
from tests.support.drive import sync_runner
from tests.support.metadata_server import AUTH as CONTAINER_AUTH
from tests.support.metadata_server import SECRET as IMDS_SECRET
from tests.support.metadata_server import TOKEN as IMDS_TOKEN
from tests.support.metadata_server import MetadataServer, Reply, creds_document
from tests.support.paths import FIXTURES as FIXTURES_DIR
from tests.support.sts_server import StsStandIn, error_xml

REGION = "us-east-1"
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/sweep-job"
ROLE_ARN = "arn:aws:iam::123456789012:role/sweep-role"

AKID = "AKIDSWEEPEXAMPLE"
SECRET = "wJalrXUtnSWEEPsecretKEYzz9/leak+0001"
TOKEN = "IQoJb3JpZ2luSWEEPsessionTOKENzz9/leak+0002" + "Tk" * 30
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.SWEEPwebIDENTITYzz9.c2lnbmF0dXJl"
SSO_TOKEN = "aoaSWEEPssoBEARERzz9tokenVALUE0003"
SSO_SECRET = "SWEEPssoROLEsecretZZ9/leak+0004"
SSO_SESSION = "SWEEPssoROLEtokenZZ9/leak+0005"
IMDS_SESSION = "AQAEASWEEPimdsSESSIONzz9=="
PROCESS_ARG = "SWEEPprocessARGzz9secret"

STATIC = Credentials(access_key_id=AKID, secret_access_key=SECRET, session_token=TOKEN)
JOB = {"batchInferenceJob": {"batchInferenceJobArn": ARN, "status": "ACTIVE"}}
#: The ``zz9``-tagged cores: found in any encoding that keeps letters and digits.
_CORE = re.compile(r"[A-Za-z]*(?:zz9|ZZ9)[A-Za-z]*")
_SIGNATURE = re.compile(r"Signature=([0-9a-f]{64})")
_SECRET_HEADERS = ("x-amz-security-token", "x-amz-sso_bearer_token", "x-aws-ec2-metadata-token")
#: Attributes the walk reads besides ``vars()``: properties and C-level fields of the
#: exceptions that hold what they were given (httpx, subprocess, json, codecs,
#: configparser, OSError, aiohttp).
_WALK_ATTRIBUTES = (
    "request",
    "response",
    "headers",
    "doc",
    "object",
    "cmd",
    "stdout",
    "stderr",
    "output",
    "source",
    "line",
    "lineno",
    "message",
    "msg",
    "filename",
    "filename2",
    "strerror",
    "reason",
    "request_info",
    "history",
    "errors",
    "body",
    "content",
)
_WALK_DEPTH = 12
_WALK_OBJECTS = 20_000

Handler = Callable[[httpx.Request], httpx.Response]


# --------------------------------------------------------------------------- the sweep


class Sweep:
    """What one path exposed, and the secrets it must not show."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.secrets: dict[str, str] = {
            "secret access key": SECRET,
            "session token": TOKEN,
            "web identity token": WEB_TOKEN,
            "SSO bearer token": SSO_TOKEN,
            "SSO role secret key": SSO_SECRET,
            "SSO role session token": SSO_SESSION,
            "IMDS secret key": IMDS_SECRET,
            "IMDS session token": IMDS_TOKEN,
            "IMDS API token": IMDS_SESSION,
            "container authorization token": CONTAINER_AUTH,
            "credential_process argument": PROCESS_ARG,
        }
        self.texts: list[tuple[str, str]] = []
        self.signatures = 0
        self.walked = 0

    def secret(self, label: str, value: str) -> None:
        self.secrets[label] = value

    def text(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def objects(self, where: str, *objects: object) -> None:
        for obj in objects:
            self.text(f"repr of {where} {type(obj).__name__}", repr(obj))
            self.text(f"str of {where} {type(obj).__name__}", str(obj))

    def exception(self, where: str, exc: BaseException) -> None:
        """The exception and its whole chain, suppressed contexts included, and every
        object they hold: a crash reporter or a debugger walks them all."""
        seen: set[int] = set()
        pending: list[tuple[str, BaseException]] = [(where, exc)]
        while pending:
            label, current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            name = f"{label} {type(current).__name__}"
            self.text(f"str of {name}", str(current))
            self.text(f"repr of {name}", repr(current))
            self.text(f"args of {name}", repr(current.args))
            self.text(f"attempts of {name}", repr(getattr(current, "attempts", ())))
            self.text(f"notes of {name}", repr(getattr(current, "__notes__", ())))
            for link in ("__cause__", "__context__"):
                chained = getattr(current, link)
                if chained is not None:
                    pending.append((f"{label}.{link}", chained))
        self.walk(where, exc, depth=0, seen=set())

    def walk(self, where: str, obj: object, *, depth: int, seen: set[int]) -> None:
        """``obj`` and, recursively (to :data:`_WALK_DEPTH` levels), what it holds: the
        ``__cause__`` / ``__context__`` of exceptions, ``vars()``, ``args``, the
        attributes in :data:`_WALK_ATTRIBUTES` (properties included: httpx's
        ``.request``), the items of containers, the headers and bodies of httpx requests
        and responses. Strings are searched as they are, bytes decoded."""
        if isinstance(obj, str):
            self.text(where, obj)
            return
        if isinstance(obj, bytes | bytearray | memoryview):
            data = bytes(obj)
            self.text(where, data.decode("utf-8", "replace"))
            self.text(f"{where} (latin-1)", data.decode("latin-1"))
            return
        if obj is None or isinstance(obj, bool | int | float | type) or callable(obj):
            return
        if id(obj) in seen or depth > _WALK_DEPTH or len(seen) > _WALK_OBJECTS:
            return
        seen.add(id(obj))
        self.walked += 1
        try:
            shown = repr(obj)
        except Exception as exc:
            shown = f"<repr failed: {type(exc).__name__}>"
        self.text(f"repr of {where} {type(obj).__name__}", shown)
        children: list[tuple[str, object]] = []
        if isinstance(obj, httpx.Headers):
            children += [(f"[{k!r}]", v) for k, v in obj.multi_items()]
        elif isinstance(obj, httpx.Request):
            children += [(".url", str(obj.url)), (".headers", obj.headers)]
            with contextlib.suppress(httpx.RequestNotRead):
                children.append((".content", obj.content))
        elif isinstance(obj, httpx.Response):
            children += [(".headers", obj.headers)]
            with contextlib.suppress(httpx.ResponseNotRead):
                children.append((".content", obj.content))
            with contextlib.suppress(RuntimeError):
                children.append((".request", obj.request))
        elif isinstance(obj, dict):
            children += [(f" key #{i}", k) for i, k in enumerate(obj)]
            children += [(f"[{k!r}]", v) for k, v in obj.items()]
        elif isinstance(obj, list | tuple | set | frozenset):
            children += [(f"[{i}]", item) for i, item in enumerate(obj)]
        if isinstance(obj, BaseException):
            children += [
                (".args", obj.args),
                (".__cause__", obj.__cause__),
                (".__context__", obj.__context__),
                (".__notes__", getattr(obj, "__notes__", None)),
            ]
        with contextlib.suppress(TypeError):
            children += [(f".{k}", v) for k, v in vars(obj).items()]
        for slot in getattr(type(obj), "__slots__", ()):
            with contextlib.suppress(AttributeError, TypeError):
                children.append((f".{slot}", getattr(obj, slot)))
        for name in _WALK_ATTRIBUTES:
            try:
                value = getattr(obj, name, None)
            except Exception:  # noqa: S112 - httpx raises RuntimeError when unset
                continue
            if value is not None:
                children.append((f".{name}", value))
        for label, child in children:
            self.walk(f"{where}{label}", child, depth=depth + 1, seen=seen)

    def requests(self, requests: list[httpx.Request]) -> None:
        """The signatures and secret headers actually sent become secrets too."""
        for request in requests:
            where = f"{request.method} {request.url.host}:{request.url.port}{request.url.path}"
            authorization = request.headers.get("authorization")
            if authorization is not None:
                signatures = _SIGNATURE.findall(authorization)
                for signature in signatures:
                    self.signatures += 1
                    self.secret(f"signature #{self.signatures} ({where})", signature)
                if not signatures:  # the container endpoint's bearer token
                    self.secret(f"authorization header ({where})", authorization)
            for header in _SECRET_HEADERS:
                value = request.headers.get(header)
                if value:
                    self.secret(f"{header} header ({where})", value)

    def records(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in records:
            where = f"log record {record.name}:{record.levelname}"
            self.text(f"message of {where}", record.getMessage())
            self.text(f"msg of {where}", str(record.msg))
            self.text(f"args of {where}", repr(record.args))
            self.text(f"formatted {where}", formatter.format(record))

    def _forms(self, label: str, value: str) -> set[str]:
        forms = {
            value,
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value),
            json.dumps(value)[1:-1],
        }
        forms |= {core for core in _CORE.findall(value) if len(core) >= 12}
        if label.startswith("signature"):
            forms |= {value[:16], value[-16:]}
        return forms

    def assert_clean(self) -> None:
        assert self.texts, f"path {self.path!r} exposed nothing to search"
        needles = {label: self._forms(label, value) for label, value in self.secrets.items()}
        leaks = sorted(
            {
                f"{label} in {where}"
                for where, text in self.texts
                for label, forms in needles.items()
                if any(form in text for form in forms)
            }
        )
        if os.environ.get("PERSONALIZE_LITE_SWEEP_REPORT"):  # figures for docs/reliability.md
            signatures = sum(label.startswith("signature") for label in self.secrets)
            print(
                f"\nsweep {self.path}: {len(self.texts)} texts, "
                f"{sum(len(text) for _, text in self.texts)} characters, "
                f"{len(self.secrets)} secrets ({signatures} signatures), "
                f"{self.walked} objects walked, {len(leaks)} leaks"
            )
        assert not leaks, f"path {self.path!r} leaked: " + "; ".join(leaks)


class Router(httpx.BaseTransport):
    """Records every request. Personalize calls go to ``personalize``; anything else
    (STS, the SSO portal, IMDS, the container endpoint: loopback stand-ins) goes out
    through a real transport."""

    def __init__(self, personalize: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._personalize = personalize
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("X-Amz-Target", "").startswith("AmazonPersonalize."):
            request.read()
            return self._personalize(request)
        return self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


class AsyncRouter(httpx.AsyncBaseTransport):
    def __init__(self, personalize: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._personalize = personalize

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await request.aread()
        return self._personalize(request)


def service_error(status: int, code: str, message: str, **headers: str) -> Handler:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            headers={"x-amzn-RequestId": "req-sweep-1", **headers},
            json={"__type": code, "message": message},
        )

    return answer


def ok(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=JOB, headers={"x-amzn-RequestId": "req-sweep-ok"})


EXPIRED = service_error(
    400, "ExpiredTokenException", "The security token included in the request is expired"
)


def echo_canonical_request(request: httpx.Request) -> httpx.Response:
    """AWS's answer to a bad signature: its message quotes the canonical request it
    computed, the session token included."""
    signed = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{request.headers['content-type']}",
            f"host:{request.url.host}",
            f"x-amz-date:{request.headers['x-amz-date']}",
            f"x-amz-security-token:{request.headers.get('x-amz-security-token', '')}",
            f"x-amz-target:{request.headers['x-amz-target']}",
            "",
            signed,
            hashlib.sha256(request.content).hexdigest(),
        ]
    )
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        f"documentation for details.\n\nThe Canonical String for this request should have "
        f"been\n'{canonical}'\n"
    )
    return httpx.Response(403, json={"__type": "InvalidSignatureException", "message": message})


def echo_headers_page(request: httpx.Request) -> httpx.Response:
    """A proxy's error page that prints the request headers it refused."""
    shown = "".join(f"{k}: {v}\n" for k, v in request.headers.items() if k.startswith("x-amz"))
    auth = request.headers.get("authorization", "")
    body = f"<html>Bad request. {shown}authorization: {auth}</html>"
    return httpx.Response(400, text=body, headers={"Content-Type": "text/html"})


# --------------------------------------------------------------------------- the harness


def capture(fn: Callable[..., Any], *args: Any) -> PersonalizeError | None:
    """The PersonalizeError ``fn(*args)`` raises, None if it returns."""
    try:
        fn(*args)
    except PersonalizeError as exc:
        return exc
    return None


def recording_send(sent: list[httpx.Request]) -> Callable[..., httpx.Response]:
    """A stand-in for ``httpx.Client.send`` that appends each request to ``sent``."""
    real_send = httpx.Client.send

    def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        sent.append(request)
        return real_send(client, request, **kwargs)

    return send


def recording(handler: Handler, seen: list[httpx.Request]) -> Handler:
    """``handler``, appending each request to ``seen``."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return answer


class Harness:
    """What a path function gets: the sweep, fixtures on demand, AWS files under
    tmp_path, and clients whose traffic is recorded."""

    def __init__(
        self,
        sweep: Sweep,
        request: pytest.FixtureRequest,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.sweep = sweep
        self.request = request
        self.tmp = tmp_path
        self.monkeypatch = monkeypatch
        self.config = tmp_path / "config"
        self.credentials = tmp_path / "credentials"
        self.config.write_text("", encoding="utf-8")
        self.credentials.write_text("", encoding="utf-8")
        self.sent: list[httpx.Request] = []

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": str(self.tmp),
            **extra,
        }

    @contextlib.contextmanager
    def client(self, personalize: Handler = EXPIRED, **kwargs: Any) -> Iterator[PersonalizeClient]:
        kwargs.setdefault("env", self.env())
        kwargs.setdefault("region", REGION)
        kwargs.setdefault("sleep", lambda _seconds: None)
        if "credentials" not in kwargs and "profile" not in kwargs:
            kwargs["credentials"] = STATIC
        router = Router(personalize)
        try:
            with (
                httpx.Client(transport=router) as http,
                PersonalizeClient(http_client=http, **kwargs) as client,
            ):
                self.sweep.objects("client", client)
                yield client
                self.sweep.objects("client context", client._context)
        finally:
            self.sent += router.requests

    def expect(
        self, error: type[BaseException], fn: Callable[..., Any], *args: Any, sweep: bool = True
    ) -> BaseException:
        """Run ``fn``, which must raise ``error``; its chain is swept."""
        raised = capture(fn, *args)
        assert isinstance(raised, error), f"expected {error.__name__}, got {raised!r}"
        if sweep:
            self.sweep.exception(f"{error.__name__} from {getattr(fn, '__name__', fn)}", raised)
        return raised

    def describe(
        self, error: type[BaseException], personalize: Handler = EXPIRED, **kwargs: Any
    ) -> BaseException:
        """Build a client (errors at construction count) and describe ARN: ``error``."""

        def describe_batch_inference_job() -> None:
            with self.client(personalize, **kwargs) as client:
                client.describe_batch_inference_job(ARN)

        return self.expect(error, describe_batch_inference_job)

    def cli(self, args: list[str], env: dict[str, str], expected_exit: int) -> None:
        """``personalize-lite ARGS --debug`` in-process, with ``env`` as os.environ; the
        CLI's silencing of third-party loggers is bypassed so that they log at DEBUG."""
        for name in list(os.environ):
            if name.startswith("AWS_"):
                self.monkeypatch.delenv(name)
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        for name in ("httpx", "httpcore", "botocore", "hpack"):
            self.monkeypatch.setattr(logging.getLogger(name), "setLevel", lambda _level: None)
        self.monkeypatch.setattr(httpx.Client, "send", recording_send(self.sent))
        assert cli_main([*args, "--debug"]) == expected_exit


def write_process(h: Harness, body: str, *args: str) -> str:
    """A ``credential_process`` line running a Python script with ``args``."""
    script = h.tmp / "credential-process.py"
    script.write_text("import json, os, sys, time\n" + body, encoding="utf-8")
    return shlex.join([sys.executable, str(script), *args])


GOOD_PROCESS_OUTPUT = {
    "Version": 1,
    "AccessKeyId": AKID,
    "SecretAccessKey": SECRET,
    "SessionToken": TOKEN,
}


# --------------------------------------------------------------------------- paths
# Each path drives one way things fail and records what it exposed in h.sweep.


def personalize_service_errors(h: Harness) -> None:
    h.describe(
        UnrecognizedClientException,
        service_error(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
    )
    h.describe(ExpiredTokenException)
    h.describe(
        InvalidSignatureException,
        service_error(
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        ),
    )
    h.describe(
        PersonalizeServiceError,
        service_error(
            400,
            "AccessDeniedException",
            f"User: arn:aws:sts::123456789012:assumed-role/x/{AKID} is not authorized",
        ),
    )


def throttling_to_exhaustion(h: Harness) -> None:
    h.describe(
        ThrottlingException,
        service_error(400, "ThrottlingException", "Rate exceeded"),
        retry=RetryConfig(max_attempts=4),
    )
    h.describe(
        PersonalizeServiceError,
        lambda _r: httpx.Response(503, text="<html>Service Unavailable</html>"),
    )


def clock_skew_then_failure(h: Harness) -> None:
    skewed = datetime.now(timezone.utc) + timedelta(hours=2)
    h.describe(
        InvalidSignatureException,
        service_error(
            403,
            "InvalidSignatureException",
            "Signature expired: 20300101T000000Z is now earlier than 20300101T020000Z",
            Date=skewed.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        ),
    )


def redirects_and_garbage(h: Harness) -> None:
    h.describe(
        RedirectError,
        lambda _r: httpx.Response(307, headers={"Location": "https://elsewhere.example/"}),
    )
    h.describe(
        ResponseParseError, lambda _r: httpx.Response(200, text="<html>captive portal</html>")
    )
    h.describe(
        ResponseParseError,
        lambda _r: httpx.Response(200, json={"batchInferenceJob": {"numResults": "5"}}),
    )


def transport_failures_mocked(h: Harness) -> None:
    def raising(exc: Exception) -> Handler:
        def answer(_request: httpx.Request) -> httpx.Response:
            raise exc

        return answer

    h.describe(
        EndpointConnectionError, raising(httpx.ConnectError("[Errno 111] Connection refused"))
    )
    h.describe(ConnectTimeoutError, raising(httpx.ConnectTimeout("timed out")))
    h.describe(ReadTimeoutError, raising(httpx.ReadTimeout("The read operation timed out")))
    h.describe(ConnectionClosedError, raising(httpx.RemoteProtocolError("Server disconnected")))


def transport_failures_real(h: Harness) -> None:
    env = h.env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN)
    refused = h.fixture("refused_port")
    host, port = h.fixture("hangup_server")
    silent_host, silent_port = h.fixture("silent_server")
    for url, error, timeout in (
        (f"http://127.0.0.1:{refused}", EndpointConnectionError, 5.0),
        (f"http://{host}:{port}", ConnectionClosedError, 5.0),
        (f"http://{silent_host}:{silent_port}", ReadTimeoutError, 0.2),
    ):
        recorder: list[httpx.Request] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(httpx.Client, "send", recording_send(recorder))
            with PersonalizeClient(
                endpoint_url=url,
                env=env,
                timeout=timeout,
                sleep=lambda _s: None,
                retry=RetryConfig(max_attempts=2),
            ) as client:
                h.sweep.objects("client", client)
                h.expect(error, client.describe_batch_inference_job, ARN)
        h.sent += recorder


def service_echoes_canonical_request(h: Harness) -> None:
    h.describe(InvalidSignatureException, echo_canonical_request)


def proxy_echoes_request_headers(h: Harness) -> None:
    h.describe(PersonalizeServiceError, echo_headers_page)


async def _describe_async(h: Harness, router: AsyncRouter, backend: str) -> None:
    async def no_sleep(_seconds: float) -> None:
        return None

    async with (
        httpx.AsyncClient(transport=router) as http,
        AsyncPersonalizeClient(
            region=REGION, credentials=STATIC, env=h.env(), http_client=http, sleep=no_sleep
        ) as client,
    ):
        h.sweep.objects("async client", client)
        try:
            await client.describe_batch_inference_job(ARN)
        except PersonalizeError as exc:
            h.sweep.exception(f"async ({backend})", exc)
            h.sweep.text("async error type", type(exc).__name__)
        else:
            raise AssertionError("no error")


def async_client_errors(h: Harness) -> None:
    for backend in ("asyncio", "trio"):
        for handler in (EXPIRED, service_error(429, "TooManyRequestsException", "slow down")):
            router = AsyncRouter(handler)
            anyio.run(_describe_async, h, router, backend, backend=backend)
            h.sent += router.requests
    errors = [text for where, text in h.sweep.texts if where == "async error type"]
    assert errors == ["ExpiredTokenException", "PersonalizeServiceError"] * 2


def waiter_errors(h: Harness) -> None:
    failed = {"batchInferenceJob": {"status": "CREATE FAILED", "failureReason": "bad input"}}
    replies: Iterator[Handler] = iter(
        [service_error(400, "ThrottlingException", "Rate exceeded")] * 3
        + [lambda _r: httpx.Response(200, json=failed)]
    )

    def throttled_then_failed(request: httpx.Request) -> httpx.Response:
        return next(replies)(request)

    with h.client(throttled_then_failed) as client:
        h.expect(
            BatchInferenceJobFailed,
            client.wait_for_batch_inference_job,
            ARN,
        )
    pending = {"batchInferenceJob": {"status": "PENDING"}}
    clock = [datetime(2030, 1, 1, tzinfo=timezone.utc)]

    def advance(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    with h.client(
        lambda _r: httpx.Response(200, json=pending), clock=lambda: clock[0], sleep=advance
    ) as client:
        h.expect(
            WaiterTimeoutError,
            lambda: client.wait_for_batch_inference_job(ARN, poll_interval=10, timeout=30),
        )


def env_credentials(h: Harness) -> None:
    keys = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    h.describe(
        UnrecognizedClientException,
        service_error(403, "UnrecognizedClientException", "invalid"),
        credentials=None,
        env=h.env(**keys),
    )
    for broken in (
        {**keys, "AWS_SECRET_ACCESS_KEY": f"{SECRET} trailing"},
        {**keys, "AWS_SESSION_TOKEN": f"{TOKEN}\u00e9"},
        {**keys, "AWS_SESSION_TOKEN": f"{TOKEN}\udcff"},  # undecodable bytes in os.environ
        {**keys, "AWS_CREDENTIAL_EXPIRATION": "0001-01-01T00:00:00+01:00"},
        {"AWS_ACCESS_KEY_ID": AKID, "AWS_SESSION_TOKEN": TOKEN},
    ):
        h.describe(ConfigurationError, credentials=None, env=h.env(**broken))
    h.describe(
        NoCredentialsError,
        credentials=None,
        env=h.env(AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN),
    )


def credentials_file_errors(h: Harness) -> None:
    cases = [
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key {SECRET}\n",
        f"aws_secret_access_key = {SECRET}\n[default]\n",
        f"[default]\naws_secret_access_key = {SECRET}\naws_secret_access_key = {SECRET}\n",
        f"[default]\naws_secret_access_key =\n  {SECRET}\n",
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = a {SECRET}\n",
        f"[default]\naws_access_key_id = {AKID}\naws_session_token = {TOKEN}\n",
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\x00\n",
    ]
    for text in cases:
        h.credentials.write_text(text, encoding="utf-8")
        h.describe(ConfigurationError, credentials=None)
    h.credentials.write_bytes(
        f"[default]\naws_secret_access_key = {SECRET}\xff\n".encode("latin-1")
    )
    h.describe(ConfigurationError, credentials=None)
    h.credentials.write_text(f"[default]\naws_secret_access_key = {SECRET}\n", encoding="utf-8")
    h.describe(NoCredentialsError, credentials=None)
    # The same keys in the config file, a profile named explicitly.
    h.credentials.write_text("", encoding="utf-8")
    h.config.write_text("[profile dev]\n" + BASE_KEYS.partition("\n")[2], encoding="utf-8")
    h.describe(ExpiredTokenException, profile="dev")


def _printing(output: dict[str, Any]) -> str:
    return f"sys.stdout.write({json.dumps(output)!r})\n"


def process_failures(h: Harness) -> None:
    echo = json.dumps(GOOD_PROCESS_OUTPUT)
    scripts = [
        # Prints its input (its arguments) and, as `set -x` would, the JSON it prints.
        (
            f"sys.stderr.write('usage: ' + ' '.join(sys.argv) + '\\n')\n"
            f'sys.stderr.write("+ echo \'" + {echo!r} + "\'\\n")\n'
            f"sys.stdout.write({echo!r})\nsys.exit(1)\n"
        ),
        f"sys.stderr.write('secret_access_key={SECRET} token: {TOKEN}')\nsys.exit(3)\n",
        f"sys.stdout.buffer.write({echo.encode()!r} + b'\\xff')\n",
        f"sys.stdout.write({echo[:-5]!r})\n",
        _printing({**GOOD_PROCESS_OUTPUT, "Version": 2}),
        _printing({**GOOD_PROCESS_OUTPUT, "SecretAccessKey": f"x {SECRET}"}),
        _printing({**GOOD_PROCESS_OUTPUT, "Expiration": "soon"}),
    ]
    for body in scripts:
        command = write_process(h, body, "--token", PROCESS_ARG, f"--password={PROCESS_ARG}")
        h.config.write_text(f"[default]\ncredential_process = {command}\n", encoding="utf-8")
        h.describe(CredentialRetrievalError, credentials=None)
    command = write_process(h, f"sys.stdout.write({echo!r})\n", PROCESS_ARG)
    h.config.write_text(f"[default]\ncredential_process = {command}\n", encoding="utf-8")
    h.describe(ExpiredTokenException, credentials=None)


def process_refresh_fails_in_advisory_window(h: Harness) -> None:
    """The refresh fails while the credentials are still usable: a WARNING is logged with
    the error, and the old credentials carry on."""
    counter = h.tmp / "runs"
    body = (
        f"path = {str(counter)!r}\n"
        "runs = int(open(path).read()) if os.path.exists(path) else 0\n"
        "open(path, 'w').write(str(runs + 1))\n"
        "if runs:\n"
        f"    sys.stderr.write('refresh failed for ' + {SECRET!r} + ' ' + ' '.join(sys.argv))\n"
        "    sys.exit(1)\n"
        "expires = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 720))\n"
        f"sys.stdout.write(json.dumps({{**{GOOD_PROCESS_OUTPUT!r}, 'Expiration': expires}}))\n"
    )
    command = write_process(h, body, PROCESS_ARG)
    h.config.write_text(f"[default]\ncredential_process = {command}\n", encoding="utf-8")
    with h.client(ok, credentials=None) as client:
        client.describe_batch_inference_job(ARN)
        client.describe_batch_inference_job(ARN)
    assert counter.read_text() == "2"


class EchoingSts(StsStandIn):
    """The STS stand-in, plus ``echo-canonical``: a SignatureDoesNotMatch quoting the
    canonical request with the caller's session token, as AWS does."""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self.script and self.script[0] == "echo-canonical":
            self.script.pop(0)
            token = headers.get("x-amz-security-token", "")
            message = (
                "The request signature we calculated does not match the signature you "
                f"provided. The Canonical String for this request should have been 'POST / "
                f"host:{headers.get('host')} x-amz-security-token:{token}'"
            )
            return 403, error_xml("SignatureDoesNotMatch", message)
        return super().handle(path, headers, body)


ROLE_CONFIG = f"[profile role]\nrole_arn = {ROLE_ARN}\nsource_profile = base\n[profile base]\n"
BASE_KEYS = (
    f"[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    f"aws_session_token = {TOKEN}\n"
)


def sts_assume_role_failures(h: Harness) -> None:
    h.config.write_text(ROLE_CONFIG, encoding="utf-8")
    h.credentials.write_text(BASE_KEYS, encoding="utf-8")
    with EchoingSts() as sts:
        sts.add_key(STATIC)
        issued = sts.issue(ROLE_ARN, AKID)
        h.sweep.secret("STS-issued secret key", issued.secret_access_key)
        assert issued.session_token is not None
        h.sweep.secret("STS-issued session token", issued.session_token)
        env = h.env(AWS_ENDPOINT_URL_STS=sts.url)
        for script in (
            ["denied"],
            ["throttle"] * 3,
            ["500"] * 3,
            ["idp"] * 3,
            ["non-xml"],
            ["truncated"],
            ["doctype"],
            ["missing:SecretAccessKey"],
            ["echo-canonical"],
        ):
            sts.script = list(script)
            h.describe(CredentialRetrievalError, profile="role", env=env)
        sts.script = []
        h.describe(ExpiredTokenException, profile="role", env=env)
        for received in sts.requests:
            authorization = received.headers.get("authorization", "")
            for signature in _SIGNATURE.findall(authorization):
                h.sweep.secret(f"signature of STS request {signature[:6]}", signature)
        assert sts.problems == []


def web_identity_failures(h: Harness) -> None:
    token_file = h.tmp / "web-identity-token"
    token_file.write_text(WEB_TOKEN, encoding="utf-8")
    with EchoingSts() as sts:
        env = h.env(
            AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
            AWS_ROLE_ARN=ROLE_ARN,
            AWS_ROLE_SESSION_NAME="sweep",
            AWS_ENDPOINT_URL_STS=sts.url,
        )
        for script in (["echo-token"], ["denied"], ["truncated"]):
            sts.script = list(script)
            h.describe(CredentialRetrievalError, credentials=None, env=env)
        issued = sts.issue(ROLE_ARN, WEB_TOKEN)
        h.sweep.secret("STS-issued secret key (web identity)", issued.secret_access_key)
        assert issued.session_token is not None
        h.sweep.secret("STS-issued session token (web identity)", issued.session_token)
        sts.script = []
        h.describe(ExpiredTokenException, credentials=None, env=env)
        token_file.write_bytes(WEB_TOKEN.encode() + b"\xff")
        h.describe(CredentialRetrievalError, credentials=None, env=env)


SSO_CONFIG = (
    "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
    "sso_role_name = SweepRole\nregion = us-east-1\n"
    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
)
SSO_PATH = "/federation/credentials?role_name=SweepRole&account_id=123456789012"


#: A cached SSO token that is valid until 2099.
SSO_CACHED_TOKEN = {"accessToken": SSO_TOKEN, "expiresAt": "2099-01-01T00:00:00Z"}


def write_sso_setup(h: Harness) -> Path:
    """The ``sso`` profile (SSO_CONFIG) and a valid cached token for its session; the
    token file's path."""
    h.config.write_text(SSO_CONFIG, encoding="utf-8")
    cache = h.tmp / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    token_path = cache / f"{sso_token_cache_key(start_url='', session_name='corp')}.json"
    token_path.write_text(json.dumps(SSO_CACHED_TOKEN), encoding="utf-8")
    return token_path


def sso_failures(h: Harness) -> None:
    server: MetadataServer = h.fixture("server")
    token_path = write_sso_setup(h)
    good = SSO_CACHED_TOKEN
    env = h.env(AWS_ENDPOINT_URL_SSO=server.url)
    role = {
        "roleCredentials": {
            "accessKeyId": AKID,
            "secretAccessKey": SSO_SECRET,
            "sessionToken": SSO_SESSION,
            "expiration": 4_102_444_800_000,
        }
    }
    for reply in (
        Reply(401, json.dumps({"message": f"Session token {SSO_TOKEN} not found or invalid"})),
        Reply(403, json.dumps({"__type": "ForbiddenException", "message": "No access"})),
        Reply(500, "<html>oops</html>"),
        Reply(200, "not json at all " + SSO_SECRET),
        Reply(200, json.dumps({"roleCredentials": {**role["roleCredentials"], "expiration": "x"}})),
        Reply(200, json.dumps(role)[:-10]),
    ):
        server.route("GET", SSO_PATH, reply)
        h.describe(CredentialRetrievalError, profile="sso", env=env)
    server.route("GET", SSO_PATH, Reply(200, json.dumps(role)))
    h.describe(ExpiredTokenException, profile="sso", env=env)
    for cached in (
        json.dumps({**good, "expiresAt": "2001-01-01T00:00:00Z"}).encode(),
        json.dumps(good).encode() + b"\xff",
        json.dumps({**good, "expiresAt": 5}).encode(),
    ):
        token_path.write_bytes(cached)
        h.describe(CredentialRetrievalError, profile="sso", env=env)


def _process_provider(h: Harness, body: str, **kwargs: Any) -> ProcessProvider:
    command = write_process(h, body, "--token", PROCESS_ARG, f"--password={PROCESS_ARG}")
    h.config.write_text(f"[default]\ncredential_process = {command}\n", encoding="utf-8")
    env = h.env()
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, region=REGION)
    ctx = ProviderContext(
        env=env, files=files, settings=settings, clock=lambda: datetime.now(timezone.utc)
    )
    return ProcessProvider(ctx, **kwargs)


def process_timeouts_and_overflows(h: Harness) -> None:
    """Issue 14, finding 3: a timed-out credential_process kept TimeoutExpired (its cmd:
    the arguments; its stdout: the printed secret key) as the error's __context__."""
    echo = json.dumps(GOOD_PROCESS_OUTPUT)
    bodies = [
        # prints the credentials (and its arguments on stderr), then hangs
        f"sys.stdout.write({echo!r})\nsys.stdout.flush()\n"
        "sys.stderr.write(' '.join(sys.argv))\nsys.stderr.flush()\ntime.sleep(30)\n",
        # prints the credentials, then endless output
        f"sys.stdout.write({echo!r})\nwhile True:\n    sys.stdout.write({echo!r} * 100)\n",
        f"while True:\n    sys.stderr.write({SECRET!r} + ' '.join(sys.argv) * 100)\n",
    ]
    for body in bodies:
        provider = _process_provider(h, body, timeout=1.0)
        h.sweep.objects("process provider", provider)
        with sync_runner() as run:
            h.expect(CredentialRetrievalError, run, provider.load())


def sso_transport_errors(h: Harness) -> None:
    """Issue 14, finding 3: the SSO error chained httpx's error, whose .request.headers
    held the bearer token."""
    write_sso_setup(h)
    refused = h.fixture("refused_port")
    host, port = h.fixture("hangup_server")
    for url in (f"http://127.0.0.1:{refused}", f"http://{host}:{port}"):
        h.describe(CredentialRetrievalError, profile="sso", env=h.env(AWS_ENDPOINT_URL_SSO=url))


def sts_transport_errors(h: Harness) -> None:
    """AssumeRole signs with the source credentials: a transport error after signing."""
    h.config.write_text(ROLE_CONFIG, encoding="utf-8")
    h.credentials.write_text(BASE_KEYS, encoding="utf-8")
    refused = h.fixture("refused_port")
    host, port = h.fixture("hangup_server")
    for url in (f"http://127.0.0.1:{refused}", f"http://{host}:{port}"):
        h.describe(CredentialRetrievalError, profile="role", env=h.env(AWS_ENDPOINT_URL_STS=url))


def async_transport_failures(h: Harness) -> None:
    """The service call is signed, then the transport fails (the async driver)."""
    for exc in (
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("The read operation timed out"),
        httpx.RemoteProtocolError("Server disconnected"),
    ):

        def raising(_request: httpx.Request, exc: Exception = exc) -> httpx.Response:
            raise exc

        for backend in ("asyncio", "trio"):
            router = AsyncRouter(raising)
            anyio.run(_describe_async, h, router, backend, backend=backend)
            h.sent += router.requests


IMDS_ROLES = "/latest/meta-data/iam/security-credentials/"


def imds_failures(h: Harness) -> None:
    server: MetadataServer = h.fixture("server")
    env = h.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=server.url)
    del env["AWS_EC2_METADATA_DISABLED"]
    server.route("PUT", "/latest/api/token", Reply(200, IMDS_SESSION))
    server.route("GET", IMDS_ROLES, Reply(200, "sweep-role"))
    document = json.dumps(creds_document())
    for reply in (
        Reply(500, "internal error"),
        Reply(200, json.dumps(creds_document(Code="Failure", Message="no creds for you"))),
        Reply(200, document[: len(document) // 2]),
        Reply(200, document.encode() + b"\xff"),
        Reply(200, json.dumps(creds_document(Token=None))),
        Reply(200, json.dumps(creds_document(Expiration="whenever"))),
        Reply(200, json.dumps(creds_document(SecretAccessKey=IMDS_SECRET + " x"))),
    ):
        server.route("GET", IMDS_ROLES + "sweep-role", reply)
        h.describe(CredentialRetrievalError, credentials=None, env=env)
    server.route("GET", IMDS_ROLES + "sweep-role", Reply(200, document))
    h.describe(ExpiredTokenException, credentials=None, env=env)


def container_failures(h: Harness) -> None:
    server: MetadataServer = h.fixture("server")
    env = h.env(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{server.url}/creds",
        AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH,
    )
    server.required_auth = "some-other-token"  # 401, echoing the token it got
    h.describe(CredentialRetrievalError, credentials=None, env=env)
    server.required_auth = CONTAINER_AUTH
    server.route("GET", "/creds", Reply(200, json.dumps(creds_document())))
    h.describe(ExpiredTokenException, credentials=None, env=env)
    token_file = h.tmp / "container-token"
    token_file.write_bytes(CONTAINER_AUTH.encode() + b"\xff")
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_file)
    h.describe(CredentialRetrievalError, credentials=None, env=env)


def recording_cassettes(h: Harness) -> None:
    for index, handler in enumerate((ok, EXPIRED)):
        seen: list[httpx.Request] = []
        recorder = RecordingTransport(httpx.MockTransport(recording(handler, seen)))
        with (
            httpx.Client(transport=recorder) as http,
            PersonalizeClient(
                region=REGION, credentials=STATIC, env=h.env(), http_client=http
            ) as client,
            contextlib.suppress(PersonalizeError),
        ):
            client.describe_batch_inference_job(ARN)
        h.sent += seen
        path = recorder.save(h.tmp / f"recorded-{index}.json")
        h.sweep.text(f"cassette {path.name}", path.read_text(encoding="utf-8"))
        h.sweep.objects("recorded cassette", recorder.cassette.interactions)


def recording_an_echoing_reply(h: Harness) -> None:
    """The reply quotes the session token (a signature error): the cassette must not."""
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return echo_canonical_request(request)

    recorder = RecordingTransport(httpx.MockTransport(echo))
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region=REGION, credentials=STATIC, env=h.env(), http_client=http
        ) as client,
    ):
        # The exception itself is the service_echoes_canonical_request path.
        h.expect(InvalidSignatureException, client.describe_batch_inference_job, ARN, sweep=False)
    h.sent += seen
    path = recorder.save(h.tmp / "echo.json")
    h.sweep.text(f"cassette {path.name}", path.read_text(encoding="utf-8"))

    async def record_async() -> None:
        arecorder = AsyncRecordingTransport(httpx.MockTransport(echo))
        async with (
            httpx.AsyncClient(transport=arecorder) as http,
            AsyncPersonalizeClient(
                region=REGION, credentials=STATIC, env=h.env(), http_client=http
            ) as client,
        ):
            with contextlib.suppress(PersonalizeError):
                await client.describe_batch_inference_job(ARN)
        apath = arecorder.save(h.tmp / "echo-async.json")
        h.sweep.text(f"cassette {apath.name}", apath.read_text(encoding="utf-8"))

    anyio.run(record_async)
    h.sent += seen


def reprs(h: Harness) -> None:
    """Every object that holds secrets, as repr() and str() show it."""
    h.config.write_text(
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
        f"credential_process = helper --token {PROCESS_ARG}\n" + ROLE_CONFIG + SSO_CONFIG,
        encoding="utf-8",
    )
    h.credentials.write_text(
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n" + BASE_KEYS,
        encoding="utf-8",
    )
    env = h.env(
        AWS_ACCESS_KEY_ID=AKID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH,
        AWS_CONTAINER_CREDENTIALS_FULL_URI="https://creds.example/",
    )
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, region=REGION)
    ctx = ProviderContext(
        env=env, files=files, settings=settings, clock=lambda: datetime.now(timezone.utc)
    )
    chain = default_chain(ctx)
    providers: list[object] = [
        StaticProvider(STATIC),
        EnvProvider(env),
        SharedCredentialsProvider(files, "default"),
        ConfigFileProvider(files, "default"),
        CallableProvider(lambda: STATIC),
        ProcessProvider(ctx),
        SSOProvider(ctx),
        AssumeRoleProvider(ctx, credential_source_factory=lambda _name: EnvProvider(env)),
        WebIdentityProvider(ctx),
        ContainerProvider(ctx),
        InstanceMetadataProvider(ctx),
        chain,
        as_provider(STATIC, ctx),
        CredentialCache(chain, ctx.clock),
    ]
    h.sweep.objects("credentials", STATIC, files, settings, ctx, *providers)
    with h.client(ok, credentials=None, env=env) as client:
        client.describe_batch_inference_job(ARN)
        assert client._context is not None
        cache = client._context.credentials
        h.sweep.objects("client's credentials", cache, cache.provider, cache._current)


def cli_paths(h: Harness) -> None:
    refused = h.fixture("refused_port")
    base = {
        "AWS_CONFIG_FILE": str(h.config),
        "AWS_SHARED_CREDENTIALS_FILE": str(h.credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": REGION,
        "HOME": str(h.tmp),
    }
    keys = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    arn = ARN.rsplit("/", 1)[0]
    h.cli(
        ["describe", f"{arn}/x", "--endpoint-url", f"http://127.0.0.1:{refused}"],
        {**base, **keys},
        1,
    )
    with FixtureServer([FIXTURES_DIR], credentials={AKID: "not-the-secret"}) as checking:
        h.cli(
            ["describe", f"{arn}/movie-recs-full", "--endpoint-url", checking.url],
            {**base, **keys},
            1,
        )
    with FixtureServer([FIXTURES_DIR]) as server:
        for name, expected in (
            ("no-such-job", 1),
            ("needs-fresh-token", 1),
            ("movie-recs-full", 0),
        ):
            h.cli(
                ["describe", f"{arn}/{name}", "--endpoint-url", server.url],
                {**base, **keys},
                expected,
            )
        h.cli(
            [
                "wait",
                f"{arn}/movie-recs-failed",
                "--endpoint-url",
                server.url,
                "--interval",
                "0.01",
            ],
            {**base, **keys},
            3,
        )
        h.cli(
            ["describe", "arn:aws:s3:::not-a-job", "--endpoint-url", server.url],
            {**base, **keys},
            2,
        )
        echo = json.dumps(GOOD_PROCESS_OUTPUT)
        command = write_process(
            h,
            f"sys.stderr.write('failed: ' + ' '.join(sys.argv) + ' ' + {echo!r})\nsys.exit(1)\n",
            PROCESS_ARG,
        )
        h.config.write_text(f"[default]\ncredential_process = {command}\n", encoding="utf-8")
        h.cli(["describe", f"{arn}/movie-recs-full", "--endpoint-url", server.url], base, 1)
        h.config.write_text("", encoding="utf-8")
        h.credentials.write_text(f"[default]\naws_secret_access_key {SECRET}\n", encoding="utf-8")
        h.cli(["describe", f"{arn}/movie-recs-full", "--endpoint-url", server.url], base, 2)


def create_and_list_errors(h: Harness) -> None:
    """Create's safe-retry path (a 500, a conflict, then a describe answered by an
    echoing proxy page: the conflict is raised with the describe's error as its cause),
    and a listing whose second page is refused with the canonical request quoted."""
    sv = "arn:aws:personalize:us-east-1:123456789012:solution/sweep/v1"
    replies: Iterator[Handler] = iter(
        [
            service_error(500, "InternalFailure", "try again"),
            service_error(400, "ResourceAlreadyExistsException", "exists"),
            echo_headers_page,
        ]
    )
    with h.client(lambda request: next(replies)(request)) as client:
        raised = h.expect(
            PersonalizeServiceError,
            lambda: client.create_batch_inference_job(
                job_name="sweep-job",
                solution_version_arn=sv,
                role_arn=ROLE_ARN,
                job_input="s3://sweep/in.json",
                job_output="s3://sweep/out/",
                tags={"owner": "sweep"},
            ),
        )
    assert type(raised).__name__ == "ResourceAlreadyExistsException"
    assert isinstance(raised.__cause__, PersonalizeServiceError)
    assert "***" in str(raised.__cause__)  # the echoed signature, masked
    pages: Iterator[Handler] = iter(
        [
            lambda _r: httpx.Response(200, json={"batchInferenceJobs": [], "nextToken": "t1"}),
            echo_canonical_request,
        ]
    )
    with h.client(lambda request: next(pages)(request)) as client:
        h.expect(InvalidSignatureException, lambda: list(client.list_batch_inference_jobs()))


def traced_errors(h: Harness) -> None:
    """With a tracer provider set: every span our calls make (attributes, events, the
    recorded exceptions with their stack traces, status) over the error paths that quote
    secrets back (the canonical request, an echoing proxy page), a throttled-then-failed
    waiter, create's safe-retry path and a listing refused on its second page."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    h.monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    service_echoes_canonical_request(h)
    proxy_echoes_request_headers(h)
    throttling_to_exhaustion(h)
    waiter_errors(h)
    create_and_list_errors(h)
    spans = exporter.get_finished_spans()
    assert len(spans) >= 8, [span.name for span in spans]
    assert any(event.name == "exception" for span in spans for event in span.events)
    for span in spans:
        where = f"span {span.name}"
        h.sweep.text(f"{where} name", span.name)
        h.sweep.text(f"{where} status", repr(span.status.description))
        h.sweep.walk(f"{where} attributes", dict(span.attributes or {}), depth=0, seen=set())
        for event in span.events:
            h.sweep.walk(
                f"{where} event {event.name}", dict(event.attributes or {}), depth=0, seen=set()
            )
        h.sweep.text(f"{where} as JSON", span.to_json())
    provider.shutdown()


PATHS: dict[str, Callable[[Harness], None]] = {
    "personalize-service-errors": personalize_service_errors,
    "throttling-and-5xx-to-exhaustion": throttling_to_exhaustion,
    "clock-skew-then-failure": clock_skew_then_failure,
    "redirects-and-garbage-replies": redirects_and_garbage,
    "transport-failures-mocked": transport_failures_mocked,
    "transport-failures-real-sockets": transport_failures_real,
    "async-client-errors": async_client_errors,
    "waiter-errors": waiter_errors,
    "env-credentials": env_credentials,
    "credentials-file-errors": credentials_file_errors,
    "credential-process-failures": process_failures,
    "credential-process-refresh-warning": process_refresh_fails_in_advisory_window,
    "sts-assume-role-failures": sts_assume_role_failures,
    "sts-web-identity-failures": web_identity_failures,
    "sso-failures": sso_failures,
    "sso-transport-errors": sso_transport_errors,
    "sts-transport-errors": sts_transport_errors,
    "credential-process-timeouts-and-overflows": process_timeouts_and_overflows,
    "async-transport-failures": async_transport_failures,
    "imds-failures": imds_failures,
    "container-failures": container_failures,
    "recording-cassettes": recording_cassettes,
    "recording-an-echoing-reply": recording_an_echoing_reply,
    "reprs": reprs,
    "cli": cli_paths,
    "service-echoes-canonical-request": service_echoes_canonical_request,
    "proxy-echoes-request-headers": proxy_echoes_request_headers,
    "create-and-list-errors": create_and_list_errors,
    "traced-errors": traced_errors,
}

#: Leaks whose fix belongs in modules this suite's owner may not edit.
_ECHO_FIX = (
    "fix belongs in _call.py/_json_protocol.py: a service or proxy reply that quotes the "
    "request (AWS's signature errors quote the canonical request, session token included) "
    "ends up verbatim in the exception's message; decode_error/decode_job should blank out "
    "the credentials' token and secret and the request's signature"
)
KNOWN_LEAKS: dict[str, str] = {}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_LEAKS[name])]
            if name in KNOWN_LEAKS
            else [],
        )
        for name in PATHS
    ],
)
def test_no_path_leaks_a_secret(
    path: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in (None, "personalize_lite", "botocore", "httpx", "httpcore", "hpack"):
        caplog.set_level(logging.DEBUG, logger=name)
    sweep = Sweep(path)
    harness = Harness(sweep, request, tmp_path, monkeypatch)
    PATHS[path](harness)
    sweep.requests(harness.sent)
    sweep.records(caplog.records)
    out, err = capsys.readouterr()
    sweep.text("stdout", out)
    sweep.text("stderr", err)
    sweep.assert_clean()
