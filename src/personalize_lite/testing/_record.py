"""Recording: httpx transports that write cassettes from real traffic.

::

    recorder = RecordingTransport()            # wraps httpx.HTTPTransport() by default
    with PersonalizeClient(http_client=httpx.Client(transport=recorder)) as client:
        client.describe_batch_inference_job(arn)
    recorder.save("tests/cassettes/my-job.json", description="my job, active")

``AsyncRecordingTransport`` does the same for an ``httpx.AsyncClient`` (it wraps
``httpx.AsyncHTTPTransport()`` by default, on asyncio and trio). Both are thin shells
around one recorder; ``.cassette`` is what was recorded (already redacted) and
``.save(path)`` writes it.

What is recorded: only Amazon Personalize calls (``X-Amz-Target: AmazonPersonalize.*``).
Anything else the client sends through the same transport (STS, SSO, instance metadata,
whose replies hold credentials) passes through untouched and unrecorded.

Redaction happens as each exchange is recorded, so nothing secret is ever held:

- ``Authorization`` keeps ``Credential=<key id>/<scope>`` and ``SignedHeaders=...``;
  the signature becomes ``Signature=REDACTED``.
- ``X-Amz-Security-Token`` becomes ``REDACTED``.
- Wherever a reply's body or headers echo a redacted value (AWS's signature errors quote
  the canonical request, session token included), it becomes ``REDACTED`` there too.
- ``redact_account_ids=True`` rewrites the 12-digit account id of every ARN in the URL,
  the request body and the response body; each real id gets one stand-in, the first
  ``123456789012``, the next ``123456789013`` and so on, the same in every exchange
  of the recorder, so requests still match and replies still agree with them.
- Requests signed with the AWS documentation example keys (``AKIDEXAMPLE``) keep their
  ``Authorization`` verbatim: that is how strict cassettes are made (see
  :mod:`._replay`). If account-id redaction changed such a request, its signature no
  longer fits it and is redacted after all. To make a cassette replayable strictly,
  pass ``example_credentials=`` (the example keys you signed with; anything else is
  refused) and they are written in the cassette's ``example_credentials``.

Headers not recorded, because they vary between runs or library versions and are never
matched on: requests' ``User-Agent``, ``amz-sdk-invocation-id``, ``amz-sdk-request``,
``Host`` (the URL has it), ``Accept``, ``Accept-Encoding``, ``Connection``; replies'
``Date`` (a replayed stale ``Date`` would look like clock skew), ``Server``,
``Connection``, ``Keep-Alive``, ``Transfer-Encoding``, ``Content-Length`` and
``Content-Encoding`` (bodies are stored decoded). ``X-Amz-Date`` and the request's
``Content-Length`` are kept. The secret key and the session token are never seen by
the recorder, so they cannot be written.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx

from ..credentials import Credentials
from ._cassette import (
    EXAMPLE_ACCESS_KEY_ID,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    authorization_key_id,
    check_example_credentials,
)

__all__ = ["AsyncRecordingTransport", "RecordingTransport"]

REDACTED = "REDACTED"
_TARGET_PREFIX = "AmazonPersonalize."
_VOLATILE_REQUEST = frozenset(
    {
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "host",
        "accept",
        "accept-encoding",
        "connection",
    }
)
_VOLATILE_RESPONSE = frozenset(
    {
        "date",
        "server",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
    }
)
_SIGNATURE = re.compile(r"Signature=[^,\s]*")
_SIGNATURE_VALUE = re.compile(r"Signature=([^,\s]+)")
_ARN_ACCOUNT = re.compile(r"(arn:[\w.-]*:[\w.-]*:[\w.-]*:)(\d{12})(?=:)")
_FIRST_STAND_IN = 123456789012


def _headers(headers: httpx.Headers) -> dict[str, str]:
    """Headers with their original spelling; repeated names joined with ``, ``."""
    out: dict[str, str] = {}
    for raw_name, raw_value in headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        existing = next((k for k in out if k.lower() == name.lower()), None)
        if existing is None:
            out[name] = value
        else:
            out[existing] = f"{out[existing]}, {value}"
    return out


def _blanked(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class _Recorder:
    """The recording logic both transports share: redact and keep one exchange."""

    def __init__(self, *, redact_account_ids: bool, example_credentials: Credentials | None):
        self.redact_account_ids = redact_account_ids
        self.example_credentials = (
            None if example_credentials is None else check_example_credentials(example_credentials)
        )
        self.interactions: list[Interaction] = []
        self.skipped = 0
        self._accounts: dict[str, str] = {}
        self._lock = threading.Lock()

    def wants(self, request: httpx.Request) -> bool:
        wanted = str(request.headers.get("X-Amz-Target", "")).startswith(_TARGET_PREFIX)
        if not wanted:
            with self._lock:
                self.skipped += 1
        return wanted

    def _accounts_redacted(self, text: str) -> str:
        if not self.redact_account_ids:
            return text

        def stand_in(found: re.Match[str]) -> str:
            real = found.group(2)
            if real not in self._accounts:
                self._accounts[real] = str(_FIRST_STAND_IN + len(self._accounts))
            return found.group(1) + self._accounts[real]

        return _ARN_ACCOUNT.sub(stand_in, text)

    def record(self, request: httpx.Request, response: httpx.Response) -> None:
        """Keep one exchange; ``response`` must have been read."""
        sent_body = request.content.decode("utf-8", "replace")
        with self._lock:
            body = self._accounts_redacted(sent_body)
            url = self._accounts_redacted(str(request.url))
            reply = self._accounts_redacted(response.content.decode("utf-8", "replace"))
        altered = body != sent_body or url != str(request.url)
        headers: dict[str, str] = {}
        #: Values redacted from the request, also blanked out wherever the reply echoes
        #: them (AWS's signature errors quote the canonical request, token included).
        echoes: list[str] = []
        for name, value in _headers(request.headers).items():
            lname = name.lower()
            if lname in _VOLATILE_REQUEST:
                continue
            if lname == "authorization":
                example = authorization_key_id(value) == EXAMPLE_ACCESS_KEY_ID
                if "Signature=" not in value:  # not SigV4: nothing in it is kept
                    echoes.append(value)
                    value = REDACTED
                elif not example or altered:
                    echoes += [m.group(1) for m in _SIGNATURE_VALUE.finditer(value)]
                    value = _SIGNATURE.sub(f"Signature={REDACTED}", value)
            elif lname == "x-amz-security-token":
                echoes.append(value)
                value = REDACTED
            headers[name] = value
        echoes = sorted({echo for echo in echoes if echo}, key=len, reverse=True)
        reply = _blanked(reply, echoes)
        interaction = Interaction.of(
            RecordedRequest(method=request.method, url=url, headers=headers, body=body),
            RecordedResponse(
                status=response.status_code,
                headers={
                    k: _blanked(v, echoes)
                    for k, v in _headers(response.headers).items()
                    if k.lower() not in _VOLATILE_RESPONSE
                },
                body=reply,
            ),
        )
        with self._lock:
            self.interactions.append(interaction)

    def cassette(self, name: str = "recorded", description: str = "") -> Cassette:
        with self._lock:
            interactions = list(self.interactions)
        return Cassette(
            name,
            interactions,
            description=description,
            example_credentials=self.example_credentials,
        )


class _RecordingBase:
    _recorder: _Recorder

    @property
    def cassette(self) -> Cassette:
        """What was recorded so far (redacted), as a cassette named ``recorded``."""
        return self._recorder.cassette()

    @property
    def skipped(self) -> int:
        """How many requests passed through unrecorded (not Amazon Personalize calls)."""
        return self._recorder.skipped

    def save(self, path: str | Path, *, description: str = "") -> Path:
        """Write what was recorded to ``path`` as a version 1 cassette."""
        target = Path(path)
        return self._recorder.cassette(target.stem, description).save(target)


class RecordingTransport(_RecordingBase, httpx.BaseTransport):
    """Records the Amazon Personalize exchanges that go through ``inner``."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        redact_account_ids: bool = False,
        example_credentials: Credentials | None = None,
    ) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._recorder = _Recorder(
            redact_account_ids=redact_account_ids, example_credentials=example_credentials
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._recorder.wants(request):
            return self._inner.handle_request(request)
        request.read()
        response = self._inner.handle_request(request)
        try:
            response.read()  # the decoded body; the client then finds it already read
        except BaseException:
            response.close()
            raise
        self._recorder.record(request, response)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(_RecordingBase, httpx.AsyncBaseTransport):
    """Records the Amazon Personalize exchanges that go through ``inner`` (async)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        redact_account_ids: bool = False,
        example_credentials: Credentials | None = None,
    ) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._recorder = _Recorder(
            redact_account_ids=redact_account_ids, example_credentials=example_credentials
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._recorder.wants(request):
            return await self._inner.handle_async_request(request)
        await request.aread()
        response = await self._inner.handle_async_request(request)
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        self._recorder.record(request, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
