"""Import-time budget: ``import personalize_lite`` against ``import httpx``, same run.

A ratio, not an absolute time, so that the check means the same on a fast laptop and a
loaded CI machine. Each import runs in a fresh interpreter; the two alternate, and each
figure is the minimum over the rounds (the least disturbed run) minus the interpreter's
own start-up (``python -c pass``, measured the same way).

What the ratio covers: httpx itself (1.0), botocore's signer (``botocore.auth`` brings
botocore's compat layer, urllib3 and email), attrs, cattrs, and our own modules. Measured
here at 2.0-2.25; the budget leaves room for noise, not for a new heavy import
(importing aiohttp at start-up, for one, takes it past 3). Which modules a sync program
must never load (asyncio, aiohttp, trio, subprocess, our async driver) is checked exactly
in ``test_sync_client.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

#: Fail above this many ``import httpx`` of start-up time.
BUDGET = 2.6
ROUNDS = 7


def _spawn(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    return time.perf_counter() - started


def test_import_time_is_within_budget_relative_to_httpx() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    cases = {"pass": "pass", "httpx": "import httpx", "ours": "import personalize_lite"}
    for code in cases.values():  # bytecode written, files in the page cache
        _spawn(code, env)
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(ROUNDS):
        for name, code in cases.items():
            best[name] = min(best[name], _spawn(code, env))
    ratio = (best["ours"] - best["pass"]) / (best["httpx"] - best["pass"])
    figures = ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in best.items())
    print(f"import ratio {ratio:.2f} ({figures})")
    assert ratio <= BUDGET, f"import personalize_lite costs {ratio:.2f}x import httpx: {figures}"


def test_importing_the_package_starts_nothing() -> None:
    """No work at import: no threads, no sockets, no files beyond the modules."""
    code = (
        "import threading, sys\n"
        "before = threading.active_count()\n"
        "import personalize_lite\n"
        "assert threading.active_count() == before, threading.enumerate()\n"
        "assert personalize_lite._converter._DEFAULT is None, 'converter built at import'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "ok", out.stderr


def test_neither_importing_nor_calling_imports_opentelemetry() -> None:
    """opentelemetry is installed here (dev), yet a program that does not trace never
    loads it: not at import, not during a call (answered by a mock transport)."""
    code = (
        "import sys, httpx, personalize_lite as pl\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'at import'\n"
        'body = b\'{"batchInferenceJob": {"status": "ACTIVE"}}\'\n'
        "answer = lambda r: httpx.Response(200, content=body)\n"
        "http = httpx.Client(transport=httpx.MockTransport(answer))\n"
        "creds = pl.Credentials(access_key_id='AKIDEXAMPLE', secret_access_key='x' * 40)\n"
        "env = {'AWS_CONFIG_FILE': '/dev/null', 'AWS_SHARED_CREDENTIALS_FILE': '/dev/null'}\n"
        "with pl.PersonalizeClient(region='us-east-1', credentials=creds, http_client=http,\n"
        "                          env=env) as client:\n"
        "    arn = 'arn:aws:personalize:us-east-1:123456789012:batch-inference-job/j'\n"
        "    assert client.describe_batch_inference_job(arn).status == 'ACTIVE'\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'at a call'\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('opentelemetry.trace') is not None, 'not installed'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert out.stdout.strip() == "ok", out.stderr
