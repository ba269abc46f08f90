"""Proxies: service requests follow HTTP(S)_PROXY / NO_PROXY from the client's ``env`` (as
botocore does), credential endpoints (IMDS, container) never use a proxy, on every driver:
sync, asyncio over httpx's transport, asyncio over httpx-aiohttp's, trio.

The proxy is :class:`RecordingProxy`, a thread on 127.0.0.1 that records each request and
answers it itself: a Personalize job for a POST, credentials of its own for a GET or PUT,
403 for a CONNECT. It never connects anywhere. Names such as ``personalize.example`` are
never resolved, except where a test maps them to 127.0.0.1 (:func:`hosts`) to show that a
bypassed request really went direct.
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    ConfigurationError,
    Credentials,
    PersonalizeClient,
    PersonalizeError,
    RetryConfig,
)
from personalize_lite._proxies import ProxyRoutes, direct_transport, environ_proxies
from tests.support.exchange import Seen
from tests.support.metadata_server import ACCESS_KEY, AUTH, MetadataServer, Reply, creds_document

ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/proxied-job"
CREDS = Credentials(access_key_id="AKIDSTATIC", secret_access_key="static/secret/key")
#: The keys the proxy hands out when asked for credentials: a client must never use them.
PROXY_KEY = "AKIDFROMTHEPROXY"
PROXY_PASSWORD = "proxyPasswordDoNotLeak"
SERVICE = "http://personalize.example:1234"

DRIVERS = ["sync", "asyncio-httpx", "asyncio-aiohttp", "trio"]


# --------------------------------------------------------------------------- the proxy


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._answer(200, {"batchInferenceJob": {"batchInferenceJobArn": ARN, "status": "ACTIVE"}})

    def do_GET(self) -> None:
        self._answer(200, creds_document(AccessKeyId=PROXY_KEY))

    def do_PUT(self) -> None:  # an IMDSv2 token request
        self._answer(200, "proxy-made-token")

    def do_CONNECT(self) -> None:  # never tunnels: it would have to connect somewhere
        self._answer(403, {"message": "no tunnels here"})

    def _answer(self, status: int, payload: Any) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.owner.record(Seen(self.command, self.path, headers))
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        if self.command == "CONNECT":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    owner: RecordingProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class RecordingProxy:
    """An HTTP server on 127.0.0.1 that records every request and answers it itself. As
    ``HTTP_PROXY`` it plays the proxy; as an endpoint, the service."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(seen.method, seen.target) for seen in self.seen]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    stub = RecordingProxy()
    try:
        yield stub
    finally:
        stub.close()


@pytest.fixture
def service() -> Iterator[RecordingProxy]:
    """The same server as a plain endpoint (it sees origin-form requests)."""
    stub = RecordingProxy()
    try:
        yield stub
    finally:
        stub.close()


@pytest.fixture
def hosts(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A hosts file for the test: names added here resolve to 127.0.0.1 (through the
    loopback guard of conftest.py, which still refuses every other name)."""
    table: dict[str, str] = {}
    guarded = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        return guarded(table.get(name, host), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


# --------------------------------------------------------------------------- drivers


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name = str(request.param)
    if name == "asyncio-httpx":  # as if the aiohttp extra were not installed
        monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)
    return name


def _transport_name(client: Any) -> str:
    transport = client._client._transport
    return type(getattr(transport, "direct", transport)).__name__


def describe(driver: str, **kwargs: Any) -> tuple[Any, str]:
    """Describe ARN with a client of ``driver`` built from ``kwargs``: (the job or the
    PersonalizeError raised, the name of the transport our client used)."""
    kwargs.setdefault("region", "us-east-1")
    kwargs.setdefault("timeout", 5.0)
    if driver == "sync":
        with PersonalizeClient(**kwargs) as client:
            try:
                return client.describe_batch_inference_job(ARN), _transport_name(client)
            except PersonalizeError as exc:
                return exc, _transport_name(client)

    async def main() -> tuple[Any, str]:
        with anyio.fail_after(10):
            async with AsyncPersonalizeClient(**kwargs) as client:
                try:
                    return await client.describe_batch_inference_job(ARN), _transport_name(client)
                except PersonalizeError as exc:
                    return exc, _transport_name(client)

    backend = "trio" if driver == "trio" else "asyncio"
    result: tuple[Any, str] = anyio.run(main, backend=backend)
    return result


def expected_transport(driver: str) -> str:
    return {
        "sync": "HTTPTransport",
        "asyncio-aiohttp": "AiohttpTransport",
    }.get(driver, "AsyncHTTPTransport")


def env_with(aws_env: dict[str, str], **values: str) -> dict[str, str]:
    return {**aws_env, **values}


def signing_key(seen: Seen) -> str:
    return seen.headers["authorization"].split("Credential=")[1].split("/")[0]


# --------------------------------------------------------------------------- service calls


def test_the_service_request_goes_through_http_proxy_from_the_clients_env(
    driver: str, proxy: RecordingProxy, aws_env: dict[str, str]
) -> None:
    env = env_with(aws_env, HTTP_PROXY=proxy.url)
    job, transport = describe(
        driver, env=env, endpoint_url=SERVICE, allow_http=True, credentials=CREDS
    )
    assert transport == expected_transport(driver)
    assert job.status == "ACTIVE", job
    # The client connected to the proxy only (personalize.example was never resolved:
    # the loopback guard would have failed the test) and sent it the absolute-form target.
    assert proxy.requests() == [("POST", f"{SERVICE}/")]
    assert signing_key(proxy.seen[0]) == CREDS.access_key_id


def test_the_proxy_url_credentials_become_proxy_authorization_never_a_log_line(
    driver: str, proxy: RecordingProxy, aws_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    env = env_with(aws_env, http_proxy=f"http://user:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}")
    job, _ = describe(driver, env=env, endpoint_url=SERVICE, allow_http=True, credentials=CREDS)
    assert job.status == "ACTIVE", job
    expected = base64.b64encode(f"user:{PROXY_PASSWORD}".encode()).decode()
    assert proxy.seen[0].headers["proxy-authorization"] == f"Basic {expected}"
    assert caplog.records  # httpx and httpcore log at DEBUG: the check below has lines
    assert PROXY_PASSWORD not in caplog.text
    assert expected not in caplog.text


@pytest.mark.parametrize(
    "no_proxy",
    ["personalize.example", ".example", "EXAMPLE", "other.test, personalize.example:1234", "*"],
)
def test_no_proxy_sends_the_service_request_directly(
    driver: str,
    no_proxy: str,
    proxy: RecordingProxy,
    service: RecordingProxy,
    hosts: dict[str, str],
    aws_env: dict[str, str],
) -> None:
    hosts["personalize.example"] = "127.0.0.1"
    endpoint = f"http://personalize.example:{service.port}"
    if ":1234" in no_proxy:
        no_proxy = no_proxy.replace("1234", str(service.port))
    env = env_with(aws_env, HTTP_PROXY=proxy.url, no_proxy=no_proxy)
    job, _ = describe(driver, env=env, endpoint_url=endpoint, allow_http=True, credentials=CREDS)
    assert job.status == "ACTIVE", job
    assert proxy.requests() == []
    assert service.requests() == [("POST", "/")]


def test_a_no_proxy_entry_for_another_host_does_not_bypass(
    driver: str, proxy: RecordingProxy, aws_env: dict[str, str]
) -> None:
    env = env_with(aws_env, http_proxy=proxy.url, NO_PROXY="example.com,xpersonalize.example")
    job, _ = describe(driver, env=env, endpoint_url=SERVICE, allow_http=True, credentials=CREDS)
    assert job.status == "ACTIVE", job
    assert proxy.requests() == [("POST", f"{SERVICE}/")]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_endpoint_is_never_proxied(
    driver: str, host: str, proxy: RecordingProxy, service: RecordingProxy, aws_env: dict[str, str]
) -> None:
    """A difference from botocore (which proxies loopback unless NO_PROXY lists it): the
    proxy cannot reach our loopback, and would read the signed request in clear text."""
    env = env_with(aws_env, HTTP_PROXY=proxy.url)
    endpoint = f"http://{host}:{service.port}"
    job, _ = describe(driver, env=env, endpoint_url=endpoint, credentials=CREDS)
    assert job.status == "ACTIVE", job
    assert proxy.requests() == []
    assert service.requests() == [("POST", "/")]


def test_an_https_endpoint_tunnels_through_https_proxy_with_its_credentials(
    driver: str, proxy: RecordingProxy, aws_env: dict[str, str]
) -> None:
    """HTTPS_PROXY (not HTTP_PROXY) serves https:// endpoints, with a CONNECT carrying the
    proxy's Basic credentials; the proxy refuses the tunnel here and the error shows
    neither its password nor anything signed."""
    proxy_url = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    env = env_with(aws_env, HTTPS_PROXY=proxy_url, HTTP_PROXY="http://127.0.0.1:9")
    error, _ = describe(
        driver,
        env=env,
        endpoint_url="https://personalize.example",
        credentials=CREDS,
        retry=RetryConfig(max_attempts=1),
    )
    assert isinstance(error, PersonalizeError), error
    assert proxy.requests() == [("CONNECT", "personalize.example:443")]
    expected = base64.b64encode(f"user:{PROXY_PASSWORD}".encode()).decode()
    assert proxy.seen[0].headers["proxy-authorization"] == f"Basic {expected}"
    assert "authorization" not in proxy.seen[0].headers  # the signed request stayed home
    current: BaseException | None = error
    while current is not None:
        assert PROXY_PASSWORD not in f"{current} {current!r} {current.args!r}"
        current = current.__cause__ or current.__context__


# --------------------------------------------------------------------------- credentials


def test_instance_metadata_requests_never_go_through_the_proxy(
    driver: str,
    proxy: RecordingProxy,
    server: MetadataServer,
    hosts: dict[str, str],
    aws_env: dict[str, str],
) -> None:
    """The IMDS endpoint is not loopback and not in NO_PROXY, so only the ``direct``
    marking keeps its requests from the proxy (botocore would send them there)."""
    hosts["imds.example"] = "127.0.0.1"
    roles = "/latest/meta-data/iam/security-credentials/"
    server.route("PUT", "/latest/api/token", Reply(200, "imds-token"))
    server.route("GET", roles, Reply(200, "the-role"))
    server.route("GET", roles + "the-role", Reply(200, json.dumps(creds_document())))
    env = env_with(
        aws_env,
        HTTP_PROXY=proxy.url,
        AWS_EC2_METADATA_DISABLED="false",
        AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://imds.example:{server.url.rpartition(':')[2]}",
    )
    job, _ = describe(driver, env=env, endpoint_url=SERVICE, allow_http=True)
    assert job.status == "ACTIVE", job
    assert proxy.requests() == [("POST", f"{SERVICE}/")]
    assert signing_key(proxy.seen[0]) == ACCESS_KEY  # IMDS's keys, not PROXY_KEY
    assert server.paths() == [
        ("PUT", "/latest/api/token"),
        ("GET", roles),
        ("GET", roles + "the-role"),
    ]


def test_the_container_endpoint_is_never_proxied_by_our_client(
    driver: str,
    proxy: RecordingProxy,
    server: MetadataServer,
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The container URL is loopback, which is never proxied anyway (review T1: removing
    ``direct=True`` from _container.py left this passing): with the loopback exemption
    switched off, only ``Send.direct`` keeps the request from the proxy."""
    import personalize_lite._proxies

    monkeypatch.setattr(personalize_lite._proxies, "is_loopback_host", lambda _host: False)
    assert ProxyRoutes.from_env({"HTTP_PROXY": proxy.url}).proxy_for(server.url) == proxy.url
    server.required_auth = AUTH
    server.route("GET", "/v1/credentials", Reply(200, json.dumps(creds_document())))
    env = env_with(
        aws_env,
        HTTP_PROXY=proxy.url,
        AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{server.url}/v1/credentials",
        AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH,
    )
    job, _ = describe(driver, env=env, endpoint_url=SERVICE, allow_http=True)
    assert job.status == "ACTIVE", job
    assert proxy.requests() == [("POST", f"{SERVICE}/")]
    assert signing_key(proxy.seen[0]) == ACCESS_KEY
    assert server.paths() == [("GET", "/v1/credentials")]


@pytest.mark.parametrize("driver_name", ["sync", "asyncio", "trio"])
def test_the_container_endpoint_bypasses_the_proxy_of_your_http_client(
    driver_name: str, proxy: RecordingProxy, server: MetadataServer, aws_env: dict[str, str]
) -> None:
    """Issue 14's finding: with a proxy in force, the container request (and its
    Authorization token) went to the proxy, which answered with keys of its own. Your
    http_client keeps its proxy for service calls; credential endpoints go direct."""
    server.required_auth = AUTH
    server.route("GET", "/v1/credentials", Reply(200, json.dumps(creds_document())))
    env = env_with(
        aws_env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{server.url}/v1/credentials",
        AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH,
    )
    kwargs: dict[str, Any] = {
        "region": "us-east-1",
        "env": env,
        "endpoint_url": SERVICE,
        "allow_http": True,
    }
    if driver_name == "sync":
        with (
            httpx.Client(proxy=proxy.url, timeout=5) as http,
            PersonalizeClient(http_client=http, **kwargs) as client,
        ):
            job = client.describe_batch_inference_job(ARN)
    else:

        async def main() -> Any:
            with anyio.fail_after(10):
                async with (
                    httpx.AsyncClient(proxy=proxy.url, timeout=5) as http,
                    AsyncPersonalizeClient(http_client=http, **kwargs) as client,
                ):
                    return await client.describe_batch_inference_job(ARN)

        job = anyio.run(main, backend=driver_name)
    assert job.status == "ACTIVE"
    assert proxy.requests() == [("POST", f"{SERVICE}/")]  # your proxy, for the service
    assert signing_key(proxy.seen[0]) == ACCESS_KEY, "signed with the proxy's keys"
    assert all(AUTH not in value for seen in proxy.seen for value in seen.headers.values())
    assert server.paths() == [("GET", "/v1/credentials")]


# --------------------------------------------------------------------------- the rule


def test_lower_case_names_win_and_an_empty_one_unsets() -> None:
    env = {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:1", "HTTPS_PROXY": "u:2"}
    assert environ_proxies(env) == {"http": "http://lower:1", "https": "u:2"}
    assert environ_proxies({"HTTPS_PROXY": "http://upper:1", "https_proxy": ""}) == {}
    assert environ_proxies({"NO_PROXY": "a", "no_proxy": "b"}) == {"no": "b"}


def test_http_proxy_in_upper_case_is_ignored_under_cgi() -> None:
    """urllib's CVE-2016-1000110 rule: a CGI request's Proxy: header becomes HTTP_PROXY."""
    cgi = {"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://evil:1"}
    assert ProxyRoutes.from_env(cgi).proxy_for("http://personalize.example/") is None
    cgi["http_proxy"] = "http://chosen:1"
    assert ProxyRoutes.from_env(cgi).proxy_for("http://personalize.example/") == "http://chosen:1"


def test_each_scheme_has_its_own_proxy_and_all_proxy_is_ignored() -> None:
    routes = ProxyRoutes.from_env({"HTTPS_PROXY": "proxy.corp:3128", "ALL_PROXY": "http://a:1"})
    assert routes.proxy_for("https://personalize.example/") == "http://proxy.corp:3128"
    assert routes.proxy_for("http://personalize.example/") is None
    assert ProxyRoutes.from_env({"ALL_PROXY": "http://a:1"}).proxies == {}
    assert ProxyRoutes.from_env({"HTTP_PROXY": "//p:1"}).proxies == {"http": "http://p:1"}


@pytest.mark.parametrize(
    ("url", "proxied"),
    [
        ("http://[::1]:80/", False),
        ("http://127.9.9.9/", False),
        ("http://LOCALHOST:80/", False),
        ("http://169.254.169.254/", True),  # only Send.direct keeps IMDS from the proxy
        ("http://localhost.example/", True),
    ],
)
def test_loopback_is_never_proxied_other_hosts_are(url: str, proxied: bool) -> None:
    routes = ProxyRoutes.from_env({"HTTP_PROXY": "http://p:1"})
    assert (routes.proxy_for(url) is not None) is proxied


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LocalHost",
        "localhost.",  # a fully qualified name: DNS answers it, not /etc/hosts
        "127.0.0.1",
        "127.255.0.9",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "localhost.example",
        "sub.localhost",
        "10.0.0.1",
        "[::2]",
    ],
)
def test_the_proxy_and_endpoint_rules_agree_on_what_is_loopback(host: str) -> None:
    """Review C2: the proxy rule stripped a trailing dot (``localhost.`` went direct)
    while the endpoint rule refused plain http to it. One helper for both now."""
    from personalize_lite._endpoints import validate_endpoint_url

    url = f"http://{host}:8080"
    try:
        validate_endpoint_url(url, allow_http=False)
    except ConfigurationError:
        endpoint_says_loopback = False
    else:
        endpoint_says_loopback = True
    routes = ProxyRoutes.from_env({"HTTP_PROXY": "http://p:1"})
    proxy_says_loopback = routes.proxy_for(url + "/") is None
    assert proxy_says_loopback is endpoint_says_loopback
    expected = host.lower() == "localhost" or host.startswith(("127.", "[::1]", "[0:0"))
    assert proxy_says_loopback is expected


@pytest.mark.parametrize(
    "value", ["socks5://p:1080", "http://", f"ftp://user:{PROXY_PASSWORD}@p:21", "http://p:x"]
)
def test_an_unusable_proxy_url_is_a_configuration_error_without_its_password(
    value: str, driver: str, aws_env: dict[str, str]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        describe(driver, env=env_with(aws_env, HTTPS_PROXY=value), credentials=CREDS)
    assert "HTTPS_PROXY" in str(info.value)
    assert PROXY_PASSWORD not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    "value",
    [
        f"HTTP://alice:{PROXY_PASSWORD}@corp-proxy:3128",
        f" http://alice:{PROXY_PASSWORD}@corp-proxy:3128 ",
        f"Http://alice:{PROXY_PASSWORD}@corp-proxy:3128/",
        f"\talice:{PROXY_PASSWORD}@corp-proxy:3128\n",
    ],
)
def test_an_upper_case_or_padded_proxy_url_keeps_its_host_and_credentials(value: str) -> None:
    """Review S1: ``HTTP://alice:pw@corp-proxy:3128`` became ``http://HTTP://alice:...``
    (host ``http``, the password in the path, no Proxy-Authorization)."""
    from personalize_lite._proxies import _proxy

    url = ProxyRoutes.from_env({"HTTPS_PROXY": value}).proxies["https"]
    assert url.rstrip("/") == f"http://alice:{PROXY_PASSWORD}@corp-proxy:3128"
    proxy = _proxy(url)
    assert (proxy.url.scheme, proxy.url.host, proxy.url.port) == ("http", "corp-proxy", 3128)
    assert proxy.url.userinfo == b""
    pair = base64.b64encode(f"alice:{PROXY_PASSWORD}".encode()).decode()
    assert proxy.headers["Proxy-Authorization"] == f"Basic {pair}"


@pytest.mark.parametrize(
    "value",
    [
        f"http://alice:{PROXY_PASSWORD}@corp-proxy:3128/some/path",
        f"http://alice:{PROXY_PASSWORD}@corp-proxy:3128?q=1",
        f"http://alice:{PROXY_PASSWORD}@corp-proxy:3128/#frag",
        f"http://http//alice:{PROXY_PASSWORD}@corp-proxy:3128",
    ],
)
def test_a_proxy_url_with_a_path_query_or_fragment_is_refused_masked(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ProxyRoutes.from_env({"HTTPS_PROXY": value})
    assert "HTTPS_PROXY" in str(info.value)
    assert PROXY_PASSWORD not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_the_routes_repr_masks_the_proxy_password() -> None:
    routes = ProxyRoutes.from_env({"HTTP_PROXY": f"http://u:{PROXY_PASSWORD}@p:1"})
    assert PROXY_PASSWORD not in repr(routes)
    assert "http://***:***@p:1" in repr(routes)


def test_the_httpx_proxy_we_build_masks_its_credentials_in_its_repr() -> None:
    """Review S3: repr(httpx.Proxy) printed ``headers={'proxy-authorization': 'Basic ...'}``
    (reachable as AiohttpTransport.proxy, and in frame locals)."""
    from personalize_lite._proxies import _proxy

    proxy = _proxy(f"http://alice:{PROXY_PASSWORD}@proxy.example:3128")
    encoded = base64.b64encode(f"alice:{PROXY_PASSWORD}".encode()).decode()
    assert proxy.headers["Proxy-Authorization"] == f"Basic {encoded}"  # still sent
    for text in (repr(proxy), str(proxy), f"{[proxy]}"):
        assert encoded not in text
        assert PROXY_PASSWORD not in text
        assert "proxy.example:3128" in text
        assert "[secure]" in text


def _mock(request: httpx.Request) -> httpx.Response:
    return httpx.Response(204)


@pytest.mark.parametrize(
    ("make", "direct"),
    [
        (lambda: httpx.Client(proxy="http://127.0.0.1:9"), True),  # proxy= is a mount
        (lambda: httpx.Client(transport=httpx.MockTransport(_mock)), True),
        (lambda: httpx.Client(transport=httpx.HTTPTransport(proxy="http://127.0.0.1:9")), False),
    ],
)
def test_credential_requests_use_your_clients_transport_unless_it_is_a_proxy(
    make: Callable[[], httpx.Client], direct: bool
) -> None:
    with make() as client:
        transport = direct_transport(client)
        assert (transport is client._transport) is direct
        assert direct or transport is None


@pytest.mark.parametrize("driver_name", ["sync", "asyncio", "trio"])
def test_a_proxy_transport_of_yours_is_bypassed_by_a_private_direct_client(
    driver_name: str, proxy: RecordingProxy, server: MetadataServer, aws_env: dict[str, str]
) -> None:
    """Your transport is itself a proxy (``HTTPTransport(proxy=...)``): the container
    request goes over a private direct client instead, closed with ours."""
    server.route("GET", "/v1/credentials", Reply(200, json.dumps(creds_document())))
    env = env_with(aws_env, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{server.url}/v1/credentials")
    kwargs: dict[str, Any] = {"env": env, "endpoint_url": SERVICE, "allow_http": True}
    if driver_name == "sync":
        with httpx.Client(transport=httpx.HTTPTransport(proxy=proxy.url), timeout=5) as http:
            with PersonalizeClient(http_client=http, region="us-east-1", **kwargs) as client:
                job = client.describe_batch_inference_job(ARN)
                private = client._direct_client
            assert private is not None
            assert private.is_closed
            assert not http.is_closed  # yours stays yours
    else:

        async def main() -> tuple[Any, bool]:
            with anyio.fail_after(10):
                transport = httpx.AsyncHTTPTransport(proxy=proxy.url)
                async with httpx.AsyncClient(transport=transport, timeout=5) as http:
                    async with AsyncPersonalizeClient(
                        http_client=http, region="us-east-1", **kwargs
                    ) as client:
                        found = await client.describe_batch_inference_job(ARN)
                        private = client._direct_client
                    assert private is not None
                    return found, private.is_closed

        job, closed = anyio.run(main, backend=driver_name)
        assert closed
    assert job.status == "ACTIVE"
    assert proxy.requests() == [("POST", f"{SERVICE}/")]
    assert signing_key(proxy.seen[0]) == ACCESS_KEY
    assert server.paths() == [("GET", "/v1/credentials")]


def test_a_recorder_is_as_direct_as_the_transport_it_wraps() -> None:
    """Review S2: a RecordingTransport around a proxying transport was taken as direct,
    and the container request (with its Authorization token) went to the proxy."""
    from personalize_lite.testing import RecordingTransport

    mock = RecordingTransport(inner=httpx.MockTransport(_mock))
    with httpx.Client(transport=mock) as client:
        assert direct_transport(client) is mock  # still recorded
    for inner in (
        httpx.HTTPTransport(proxy="http://127.0.0.1:9"),
        RecordingTransport(inner=httpx.HTTPTransport(proxy="http://127.0.0.1:9")),
    ):
        with httpx.Client(transport=RecordingTransport(inner=inner)) as client:
            assert direct_transport(client) is None


def test_an_async_recorder_or_forward_auth_around_a_proxy_is_not_direct() -> None:
    from personalize_lite._proxies import _ForwardAuth
    from personalize_lite.testing import AsyncRecordingTransport

    async def main() -> None:
        proxied = httpx.AsyncHTTPTransport(proxy="http://127.0.0.1:9")
        mock = httpx.MockTransport(_mock)
        cases: list[tuple[httpx.AsyncBaseTransport, bool]] = [
            (AsyncRecordingTransport(inner=proxied), False),
            (_ForwardAuth(AsyncRecordingTransport(inner=proxied), "Basic x"), False),
            (AsyncRecordingTransport(inner=mock), True),
        ]
        for transport, direct in cases:
            async with httpx.AsyncClient(transport=transport) as client:
                assert (direct_transport(client) is transport) is direct, transport
                assert direct or direct_transport(client) is None

    anyio.run(main, backend="asyncio")


def test_an_aiohttp_transport_with_a_session_factory_is_not_taken_as_direct() -> None:
    """Review S2: the check read ``trust_env`` off the factory, not off the session it
    makes; we cannot know what the factory makes, so the private direct client is used."""
    aiohttp = pytest.importorskip("aiohttp")
    from httpx_aiohttp import AiohttpTransport

    async def main() -> None:
        factory = AiohttpTransport(client=lambda: aiohttp.ClientSession(trust_env=True))
        default = AiohttpTransport()  # its own session: trust_env=False
        trusting = AiohttpTransport(client=aiohttp.ClientSession(trust_env=True))
        try:
            for transport, direct in ((factory, False), (default, True), (trusting, False)):
                async with httpx.AsyncClient(transport=transport) as client:
                    assert (direct_transport(client) is transport) is direct, transport
                    assert direct or direct_transport(client) is None
        finally:
            await trusting.aclose()

    anyio.run(main, backend="asyncio")


@pytest.mark.parametrize("driver_name", ["sync", "asyncio"])
def test_the_container_request_bypasses_a_proxy_behind_our_recorder(
    driver_name: str, proxy: RecordingProxy, server: MetadataServer, aws_env: dict[str, str]
) -> None:
    from personalize_lite.testing import AsyncRecordingTransport, RecordingTransport

    server.required_auth = AUTH
    server.route("GET", "/v1/credentials", Reply(200, json.dumps(creds_document())))
    env = env_with(
        aws_env,
        AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{server.url}/v1/credentials",
        AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH,
    )
    kwargs: dict[str, Any] = {"env": env, "endpoint_url": SERVICE, "allow_http": True}
    if driver_name == "sync":
        recorder = RecordingTransport(inner=httpx.HTTPTransport(proxy=proxy.url))
        with (
            httpx.Client(transport=recorder, timeout=5) as http,
            PersonalizeClient(http_client=http, region="us-east-1", **kwargs) as client,
        ):
            job = client.describe_batch_inference_job(ARN)
    else:

        async def main() -> Any:
            with anyio.fail_after(10):
                recorder = AsyncRecordingTransport(inner=httpx.AsyncHTTPTransport(proxy=proxy.url))
                async with (
                    httpx.AsyncClient(transport=recorder, timeout=5) as http,
                    AsyncPersonalizeClient(http_client=http, region="us-east-1", **kwargs) as c,
                ):
                    return await c.describe_batch_inference_job(ARN)

        job = anyio.run(main, backend=driver_name)
    assert job.status == "ACTIVE"
    assert proxy.requests() == [("POST", f"{SERVICE}/")]
    assert signing_key(proxy.seen[0]) == ACCESS_KEY, "signed with the proxy's keys"
    assert all(AUTH not in value for seen in proxy.seen for value in seen.headers.values())
    assert server.paths() == [("GET", "/v1/credentials")]


_BOTOCORE = """
import json, sys
from botocore.httpsession import ProxyConfiguration
from botocore.utils import get_environ_proxies
print(json.dumps([
    ProxyConfiguration(proxies=get_environ_proxies(url)).proxy_url_for(url)
    for url in json.loads(sys.argv[1])
]))
"""
_URLS = [
    "https://personalize.us-east-1.amazonaws.com",
    "http://personalize.example:1234/",
    "https://sts.amazonaws.com/",
    "http://169.254.169.254/latest/api/token",
    "https://x.corp.example:8443/",
    "https://corp.example/",
    "http://127.0.0.1:8080/",
    "http://[::1]:8080/",
    "http://localhost/",
]


@pytest.mark.parametrize(
    ("env", "proxied"),
    [
        ({"HTTPS_PROXY": "http://p:3128", "HTTP_PROXY": "http://q:3128"}, True),
        ({"https_proxy": "p:3128", "HTTPS_PROXY": "http://u:1", "NO_PROXY": ".corp.example"}, True),
        ({"HTTP_PROXY": "//q:1", "no_proxy": "personalize.example:1234, AMAZONAWS.COM"}, True),
        ({"HTTP_PROXY": "http://q:1", "HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, False),
        ({"HTTP_PROXY": "http://q:1", "REQUEST_METHOD": "GET", "https_proxy": "http://p:1"}, True),
        ({"ALL_PROXY": "http://a:1", "https_proxy": "", "HTTPS_PROXY": "http://p:1"}, False),
    ],
)
def test_the_rule_is_botocores_except_for_loopback(env: dict[str, str], proxied: bool) -> None:
    """botocore's own functions, run in a child process whose environment is ``env``
    (this process's environment is never touched)."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _BOTOCORE, json.dumps(_URLS)],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    botocore_says = json.loads(out)
    routes = ProxyRoutes.from_env(env)
    differences = []
    for url, expected in zip(_URLS, botocore_says, strict=True):
        ours = routes.proxy_for(url)
        if "127.0.0.1" in url or "[::1]" in url or "localhost" in url:
            assert ours is None, url  # our one difference: loopback is never proxied
            if expected is not None:
                differences.append(url)
        else:
            assert ours == expected, (url, ours, expected)
    assert any(botocore_says) is proxied  # the case tests what it says it does
    if "HTTP_PROXY" in env and "NO_PROXY" not in env and "REQUEST_METHOD" not in env:
        assert differences  # botocore proxies http://127.0.0.1 and friends here
