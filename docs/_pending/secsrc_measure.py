"""Peak RSS and seconds of one credential_process run (issue 14, findings 3 and 5).

    python docs/_pending/secsrc_measure.py {new|old} {endless|child}

``old`` loads the module before the fix, extracted first with
``git show 0caa009~1:src/personalize_lite/_process.py > /tmp/secsrc-measure/old_process.py``.
``endless``: the command writes 64 KiB chunks forever (``old`` reached 10 GiB RSS: run it
only where memory allows). ``child``: the command prints valid JSON and exits 0 while a
background child keeps stdout open. Timeout 5 s.
"""
import json, os, resource, shlex, subprocess, sys, tempfile, time
from datetime import datetime, timezone
sys.path.insert(0, "/work/wt-secsrc/src")
import importlib.util
which, case = sys.argv[1], sys.argv[2]
if which == "old":
    import personalize_lite._process as p
    spec = importlib.util.spec_from_file_location("personalize_lite._process", "/tmp/secsrc-measure/old_process.py")
    old = importlib.util.module_from_spec(spec); spec.loader.exec_module(old); ProcessProvider = old.ProcessProvider
else:
    from personalize_lite._process import ProcessProvider
from personalize_lite._config import load_aws_files, resolve_settings
from personalize_lite._credentials import ProviderContext
from personalize_lite._steps import Blocking
tmp = tempfile.mkdtemp()
good = {"Version": 1, "AccessKeyId": "AKIDX", "SecretAccessKey": "s" * 40}
script = os.path.join(tmp, "p.py")
if case == "endless":
    body = "import sys\nc = b'x' * 65536\nwhile True:\n    sys.stdout.buffer.write(c)\n"
else:
    body = ("import subprocess, sys, os, json\n"
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(20)'])\n"
            f"open({os.path.join(tmp, 'pid')!r}, 'w').write(str(c.pid))\n"
            f"sys.stdout.write({json.dumps(good)!r}); sys.stdout.flush(); os._exit(0)\n")
open(script, "w").write(body)
config = os.path.join(tmp, "config")
open(config, "w").write(f"[default]\ncredential_process = {shlex.join([sys.executable, script])}\n")
env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "HOME": tmp}
files = load_aws_files(env)
ctx = ProviderContext(env=env, files=files, settings=resolve_settings(env=env, files=files, region="us-east-1"), clock=lambda: datetime.now(timezone.utc))
plan = ProcessProvider(ctx, timeout=5).load()
step = next(plan)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
outcome = None
try:
    try:
        value = step.fn()
    except Exception as exc:
        plan.throw(exc)
    else:
        plan.send(value)
except StopIteration as done:
    outcome = "credentials" if done.value else "none"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
elapsed = time.monotonic() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if os.path.exists(os.path.join(tmp, "pid")):
    os.kill(int(open(os.path.join(tmp, "pid")).read()), 9)
print(f"{which} {case}: {elapsed:.2f} s, max RSS {before/1024:.0f} -> {after/1024:.0f} MiB: {outcome[:160]}")
