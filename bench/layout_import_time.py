"""Import time of personalize_lite: this checkout against another tree's src/, interleaved.

    BASE=$(mktemp -d) && git archive 0f0a469 src | tar -x -C "$BASE"
    .venv/bin/python bench/layout_import_time.py 25 "$BASE/src"

Each variant runs in a fresh interpreter; the variants alternate; each figure is the
minimum over the rounds minus ``python -c pass`` (as tests/test_import_budget.py does).
"""

import os
import subprocess
import sys
import time

rounds, base_src = int(sys.argv[1]), sys.argv[2]
variants = {
    "pass": ("pass", None),
    "httpx": ("import httpx", None),
    "base": ("import personalize_lite", base_src),
    "this checkout": ("import personalize_lite", None),
}
best = dict.fromkeys(variants, float("inf"))
base_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
for _ in range(rounds):
    for name, (code, path) in variants.items():
        env = dict(base_env, PYTHONPATH=path) if path else base_env
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our interpreter, fixed code
            [sys.executable, "-c", code], env=env, check=True, timeout=60
        )
        best[name] = min(best[name], time.perf_counter() - started)
start_up = best["pass"]
httpx_cost = best["httpx"] - start_up
for name in ("httpx", "base", "this checkout"):
    cost = best[name] - start_up
    print(f"{name}: {cost * 1000:.1f} ms, ratio to httpx {cost / httpx_cost:.2f}")
