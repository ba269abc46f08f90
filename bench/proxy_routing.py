"""What proxy routing costs (docs/reliability.md): the rule per URL, the router's cached
lookup, and whole sync calls against a loopback endpoint with and without HTTP_PROXY set
(with it, the router is in place and sends the loopback request directly).

Run from the repository root: ``.venv/bin/python bench/proxy_routing.py``. Loopback only.
"""

from __future__ import annotations

import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import tests.test_proxy as tp

from personalize_lite import PersonalizeClient
from personalize_lite._proxies import ProxyRouter, ProxyRoutes


def main() -> None:
    routes = ProxyRoutes.from_env(
        {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "a.example,.corp.example,b.example"}
    )
    n = 20000
    url = "https://personalize.us-east-1.amazonaws.com"
    t = timeit.timeit(lambda: routes.proxy_for(url), number=n)
    print(f"proxy_for (uncached): {t / n * 1e6:.2f} us")
    router = ProxyRouter(routes, lambda _proxy: httpx.MockTransport(lambda _r: httpx.Response(200)))
    parsed = httpx.URL(url + "/")
    router.route(parsed)
    t = timeit.timeit(lambda: router.route(parsed), number=n)
    print(f"router.route (cached): {t / n * 1e6:.2f} us")

    # Keep-alive and no Nagle: time the client, not connection set-up or delayed ACKs.
    tp._Handler.protocol_version = "HTTP/1.1"
    tp._Handler.disable_nagle_algorithm = True
    server = tp.RecordingProxy()
    base = {
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    envs = {
        "no proxy variables": base,
        "HTTP_PROXY set (router, direct)": {**base, "HTTP_PROXY": "http://p:3128"},
    }
    results: dict[str, list[float]] = {name: [] for name in envs}
    calls, rounds = 500, 6
    try:
        for round_ in range(rounds):
            order = list(envs.items())
            for name, env in order if round_ % 2 else order[::-1]:
                with PersonalizeClient(
                    region="us-east-1", env=env, endpoint_url=server.url, credentials=tp.CREDS
                ) as client:
                    client.describe_batch_inference_job(tp.ARN)
                    start = time.perf_counter()
                    for _ in range(calls):
                        client.describe_batch_inference_job(tp.ARN)
                    results[name].append((time.perf_counter() - start) / calls * 1e6)
    finally:
        server.close()
    for name, values in results.items():
        print(
            f"{name}: median {statistics.median(values):.0f} us/call, {rounds} rounds of "
            f"{calls} (min {min(values):.0f}, max {max(values):.0f})"
        )


if __name__ == "__main__":
    main()
