"""Import-time budget: ``import personalize_lite`` against ``import httpx``, same run.

A ratio, not an absolute time, so that the check means the same on a fast laptop and a
loaded CI machine. Each import runs in a fresh interpreter; the two alternate, and each
figure is the minimum over the rounds (the least disturbed run) minus the interpreter's
own start-up (``python -c pass``, measured the same way).

What the ratio covers: httpx itself (1.0), botocore's signer (``botocore.auth`` brings
botocore's compat layer, urllib3 and email), attrs, cattrs, and our own modules. Measured
here at 2.0-2.25; the budget leaves room for noise, not for a new heavy import
(importing aiohttp at start-up, for one, takes it past 3). Which modules a sync program
must never load (asyncio, aiohttp, trio, our async driver) and must never import itself
(subprocess) is checked exactly below, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

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


#: Loaded by nothing on the sync path (what the async client, and only it, may bring in).
ASYNC_ONLY = ("aiohttp", "httpx_aiohttp", "trio", "asyncio")
#: Never imported by our code on the sync path (credential_process only). A dependency
#: may load it: on Python 3.10 attrs imports platform, which imports subprocess.
OURS_NEVER = (*ASYNC_ONLY, "subprocess")
#: Our modules that load only when the async client or the credential chain needs them.
DEFERRED = (
    "_async_client",
    *(
        f"credentials.{name}"
        for name in ("_assume_role", "_sts", "_sso", "_process", "_container", "_imds")
    ),
)

_SYNC_PATH_SCRIPT = """
import builtins, json, sys
ours_never, async_only, deferred = {ours_never!r}, {async_only!r}, {deferred!r}
by_us = []
real_import = builtins.__import__
def watch(name, globals=None, locals=None, fromlist=(), level=0):
    importer = ((globals or {{}}).get("__name__") or "").split(".")[0]
    if level == 0 and name.split(".")[0] in ours_never and importer == "personalize_lite":
        by_us.append(f"{{globals['__name__']}} imports {{name}}")
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = watch
import httpx
# What importing httpx itself loads is httpx's cost, not ours: httpx < 0.28 imports
# httpcore at import, and httpcore imports trio whenever trio is installed.
by_httpx = set(sys.modules)
from personalize_lite import PersonalizeClient
def answer(request):
    return httpx.Response(200, json={{"batchInferenceJob": {{"status": "ACTIVE"}}}})
with PersonalizeClient(region="us-east-1", env={{"AWS_CONFIG_FILE": {config!r},
        "AWS_SHARED_CREDENTIALS_FILE": {shared!r},
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"}},
        http_client=httpx.Client(transport=httpx.MockTransport(answer))) as client:
    assert client.describe_batch_inference_job({arn!r}).status == "ACTIVE"
loaded = sorted(
    m for m in sys.modules if m.split(".")[0] in async_only and m not in by_httpx
)
loaded += [m for m in deferred if "personalize_lite." + m in sys.modules]
print(json.dumps({{"by_us": by_us, "loaded": loaded}}))
"""


def test_the_sync_path_imports_no_async_transport(tmp_path: Path) -> None:
    """aiohttp, asyncio and our async driver cost start-up time and memory: only the
    async client may load them (beyond what ``import httpx`` itself loads: httpx < 0.28
    brings httpcore, which imports trio when installed). subprocess is for
    credential_process only: our code never imports it on the sync path (on any Python;
    a dependency may, see OURS_NEVER), and the credential providers past the environment
    load only when the chain reaches them."""
    script = _SYNC_PATH_SCRIPT.format(
        ours_never=OURS_NEVER,
        async_only=ASYNC_ONLY,
        deferred=DEFERRED,
        config=str(tmp_path / "c"),
        shared=str(tmp_path / "s"),
        arn="arn:aws:personalize:us-east-1:123456789012:batch-inference-job/job",
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(out.stdout)
    assert seen == {"by_us": [], "loaded": []}, out.stderr
