"""Import budget: what ``import personalize_lite`` loads, checked exactly, not timed.

Speed is proven by the benchmark harness (``make bench``: cold start against boto3 and
against the dependency floor, in one run), never by a timed unit test: a timed ratio here
failed under load (2.74x ``import httpx`` on a loaded CI run, 2.0-2.25x on a quiet one).
What this module checks instead cannot move with the machine's load:

- ``import personalize_lite`` loads nothing beyond what its dependencies' own imports load
  (httpx, ``botocore.auth``, attrs, cattrs) but our own modules and a short list of small
  standard-library modules; a new heavy import (aiohttp, asyncio, xml, subprocess, a
  credential provider past the environment) fails it;
- which modules a sync program must never load (asyncio, aiohttp, trio, our async driver)
  and must never import itself (subprocess), in a fresh interpreter during a call;
- importing starts no thread and builds no converter, and never imports opentelemetry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Standard-library modules our import may add beyond what the dependencies load (on some
#: dependency versions they load these themselves). Small, pure Python, no I/O at import.
STDLIB_ALLOWED = frozenset({"configparser"})

_IMPORT_SCRIPT = """
import json, sys
import httpx, botocore.auth, attrs, cattrs
deps = set(sys.modules)
import personalize_lite
print(json.dumps(sorted(set(sys.modules) - deps)))
"""


def test_importing_the_package_loads_only_our_modules_beyond_the_dependencies() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    added = json.loads(out.stdout)
    ours = [name for name in added if name.split(".")[0] == "personalize_lite"]
    assert "personalize_lite._sync_client" in ours, added  # the check sees our modules
    assert set(added) - set(ours) <= STDLIB_ALLOWED, added


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
