"""The loopback STS stand-in shared by ``test_sts.py`` and ``test_assume_role.py``.

:class:`StsStandIn` is a threaded ``http.server`` on 127.0.0.1 that parses the Query form
body, verifies SigV4 signatures against the keys it knows (and the absence of one for web
identity), and answers with XML (the ``sts`` fixture in ``conftest.py`` starts one per
test). Also here: the source credentials and web identity token it trusts, the signing
time ``NOW``, and :func:`make_ctx`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.parse
from collections.abc import Mapping
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import botocore.credentials
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from personalize_lite._config import AwsFiles, parse_ini, resolve_settings
from personalize_lite.credentials._base import Credentials, ProviderContext

__all__ = [
    "EXPIRATION",
    "NOW",
    "SOURCE",
    "WEB_TOKEN",
    "Received",
    "StsStandIn",
    "error_xml",
    "make_ctx",
]

SOURCE = Credentials(
    access_key_id="AKIDSOURCEKEY",
    secret_access_key="source/secret+KEY/never-shown",
    session_token="source-session-token-never-shown",
)
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.never-shown"
#: Signing time of every plan here (the stand-in does not check skew).
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
EXPIRATION = "2099-01-01T00:00:00Z"

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})\Z"
)


@attrs.define
class Received:
    """One request as the stand-in saw it."""

    form: dict[str, str]
    headers: dict[str, str]
    #: The access key that signed it (None: unsigned).
    signed_by: str | None
    #: The signing region from the credential scope.
    region: str | None


class StsStandIn:
    """A loopback STS. ``script`` holds what to do with the next requests (consumed in
    order; "ok" when empty): ``ok``, ``denied``, ``500``, ``throttle``, ``idp``,
    ``truncated``, ``missing:<Field>``, ``non-xml``, ``doctype``, ``echo-token``.

    Issued credentials are a function of the role and the caller (never of the session
    name), so two clients making the same calls get the same credentials. ``problems``
    lists every request that failed a check (signature, scope, token, signedness)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.problems: list[str] = []
        self.script: list[str] = []
        self.keyring: dict[str, tuple[str, str | None]] = {
            SOURCE.access_key_id: (SOURCE.secret_access_key, SOURCE.session_token)
        }
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = stand_in.handle(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("x-amzn-RequestId", "req-header-id")
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_key(self, credentials: Credentials) -> None:
        self.keyring[credentials.access_key_id] = (
            credentials.secret_access_key,
            credentials.session_token,
        )

    # ---------------------------------------------------------------- request handling

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), True).items()}
        action = form.get("Action", "")
        signed_by, region, problem = self._check_auth(action, path, headers, body)
        with self._lock:
            self.requests.append(Received(form, headers, signed_by, region))
            if problem:
                self.problems.append(problem)
            mode = self.script.pop(0) if self.script else "ok"
        if problem:
            return 403, error_xml("SignatureDoesNotMatch", problem)
        if headers.get("content-type") != "application/x-www-form-urlencoded; charset=utf-8":
            self.problems.append(f"content type {headers.get('content-type')!r}")
        return self._reply(mode, action, form, signed_by)

    def _check_auth(
        self, action: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[str | None, str | None, str | None]:
        auth = headers.get("authorization")
        if action == "AssumeRoleWithWebIdentity":
            if auth is not None or "x-amz-security-token" in headers:
                return None, None, "AssumeRoleWithWebIdentity must be unsigned"
            return None, None, None
        if auth is None:
            return None, None, f"{action} is not signed"
        match = _AUTH_RE.match(auth)
        if match is None:
            return None, None, "malformed Authorization header"
        key, region = match["key"], match["region"]
        if match["service"] != "sts":
            return key, region, f"credential scope names service {match['service']!r}"
        if key not in self.keyring:
            return key, region, f"unknown access key {key}"
        secret, token = self.keyring[key]
        if headers.get("x-amz-security-token") != token:
            return key, region, f"wrong or missing session token for {key}"
        request = AWSRequest(method="POST", url=f"http://{headers['host']}{path}", data=body)
        for name in match["signed"].split(";"):
            request.headers[name] = headers.get(name, "")
        request.context["timestamp"] = headers.get("x-amz-date", "")
        signer = SigV4Auth(botocore.credentials.Credentials(key, secret, token), "sts", region)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if expected != match["signature"]:
            return key, region, f"signature mismatch for {key}"
        return key, region, None

    def _reply(
        self, mode: str, action: str, form: Mapping[str, str], caller: str | None
    ) -> tuple[int, bytes]:
        if mode == "denied":
            return 403, error_xml("AccessDenied", f"not authorized to assume {form['RoleArn']}")
        if mode == "500":
            return 500, b"<html><body>Internal Server Error</body></html"
        if mode == "throttle":
            return 400, error_xml("Throttling", "Rate exceeded")
        if mode == "idp":
            return 400, error_xml("IDPCommunicationError", "IdP unreachable")
        if mode == "echo-token":
            token = form.get("WebIdentityToken", "")
            return 400, error_xml("InvalidIdentityToken", f"bad token {token} (audience)")
        if mode == "non-xml":
            return 200, b"this is not xml at all"
        if mode == "doctype":
            return 200, b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
        if action not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            return 400, error_xml("InvalidAction", f"unknown action {action}")
        issued = self.issue(form["RoleArn"], caller or form.get("WebIdentityToken", ""))
        fields = {
            "AccessKeyId": issued.access_key_id,
            "SecretAccessKey": issued.secret_access_key,
            "SessionToken": issued.session_token or "",
            "Expiration": EXPIRATION,
        }
        if mode.startswith("missing:"):
            del fields[mode.partition(":")[2]]
        creds = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
        xml = (
            f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<{action}Result><AssumedRoleUser><Arn>{form['RoleArn']}</Arn></AssumedRoleUser>"
            f"<Credentials>{creds}</Credentials></{action}Result>"
            f"<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        ).encode()
        if mode == "truncated":
            xml = xml[: len(xml) // 2]
        return 200, xml

    def issue(self, role_arn: str, caller: str) -> Credentials:
        """The credentials this stand-in issues for ``role_arn`` to ``caller``."""
        digest = hashlib.sha256(f"{role_arn}|{caller}".encode()).hexdigest()
        issued = Credentials(
            access_key_id="ASIA" + digest[:16].upper(),
            secret_access_key="issued/secret/" + digest[16:40],
            session_token="issued-token-" + digest[40:],
            expiration=datetime(2099, 1, 1, tzinfo=timezone.utc),
        )
        with self._lock:
            self.add_key(issued)
        return issued


def error_xml(code: str, message: str) -> bytes:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>req-err-1</RequestId></ErrorResponse>"
    ).encode()


def make_ctx(
    env: Mapping[str, str] | None = None,
    *,
    config: str = "",
    credentials: str = "",
    profile: str | None = None,
    region: str | None = "us-east-1",
    clock: datetime = NOW,
) -> ProviderContext:
    """A ProviderContext over in-memory files (never ~/.aws)."""
    files = AwsFiles(
        config=parse_ini(config, path="config") if config else {},
        credentials=parse_ini(credentials, path="credentials") if credentials else {},
        config_path="config",
        credentials_path="credentials",
    )
    env = dict(env or {})
    settings = resolve_settings(env=env, files=files, profile=profile, region=region)
    return ProviderContext(env=env, files=files, settings=settings, clock=lambda: clock)
