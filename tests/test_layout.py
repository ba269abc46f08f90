"""The package layout: arrows point down, so the import graph among our modules has no cycle.

The graph is read from the source with :mod:`ast`, not from ``sys.modules``: every import
counts, including the ones inside functions (lazy imports) and under ``TYPE_CHECKING``,
because a circle hidden in a function body is still a circle in the design.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import personalize_lite

PACKAGE = "personalize_lite"
SRC = Path(personalize_lite.__file__).resolve().parent


def _module_name(root: Path, path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <node.module> import ...`` written in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()  # a module's relative imports start at its package
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module name -> the package modules it imports (anywhere in its body)."""
    files = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(name, is_package, node)
                targets = [source]
                # ``from . import _x`` and ``from .testing import _server`` name modules
                targets += [f"{source}.{alias.name}" for alias in node.names]
            for target in targets:
                # ``import a.b.c`` loads a, a.b and a.b.c; the deepest one of ours counts
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_the_cycle_finder_finds_circles_and_only_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": set(), "f": {"f"}}
    assert find_cycles(graph) == [["a", "b", "c"], ["f"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_reads_relative_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "__init__.py").write_text("from ._a import A\n")
    (tmp_path / "_a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ._b import B\n"
        "def f():\n    from .sub import _c\n"
    )
    (tmp_path / "_b.py").write_text("import personalize_lite.sub._c\n")
    (tmp_path / "sub" / "__init__.py").write_text("")
    (tmp_path / "sub" / "_c.py").write_text("from .. import _a\nfrom .._b import B\n")
    graph = import_graph(tmp_path)
    assert graph == {
        "personalize_lite": {"personalize_lite._a"},
        "personalize_lite._a": {
            "personalize_lite._b",
            "personalize_lite.sub",
            "personalize_lite.sub._c",
        },
        "personalize_lite._b": {"personalize_lite.sub._c"},
        "personalize_lite.sub": set(),
        "personalize_lite.sub._c": {
            "personalize_lite",
            "personalize_lite._a",
            "personalize_lite._b",
        },
    }
    assert find_cycles(graph) == [
        [
            "personalize_lite",
            "personalize_lite._a",
            "personalize_lite._b",
            "personalize_lite.sub._c",
        ]
    ]


def test_the_package_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 30, sorted(graph)  # the whole package was read
    assert "personalize_lite.credentials._chain" in graph
    assert find_cycles(graph) == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        # the credential providers never reach up to a driver, the CLI or the testing kit
        (
            "personalize_lite.credentials",
            (
                "_call",
                "_sync_client",
                "_async_client",
                "_client_base",
                "_httpx",
                "_transport_errors",
                "_cli",
                "testing",
            ),
        ),
        # the testing kit's own state is not shared through the CLI
        ("personalize_lite.testing", ("_cli",)),
    ],
)
def test_arrows_point_down(layer: str, forbidden: tuple[str, ...]) -> None:
    graph = import_graph()
    members = [name for name in graph if name == layer or name.startswith(layer + ".")]
    assert len(members) > 1, layer
    bad = sorted(
        (name, target)
        for name in members
        for target in graph[name]
        for prefix in forbidden
        if target == f"{PACKAGE}.{prefix}" or target.startswith(f"{PACKAGE}.{prefix}.")
    )
    assert not bad


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        # the error tree is the bottom layer: it names a job model for typing, nothing else
        ("personalize_lite._errors", {"personalize_lite._models"}),
        # example credentials and the default fixtures: data, importable by anything
        ("personalize_lite.testing._fixtures", set()),
    ],
)
def test_bottom_modules_import_nothing_else_of_ours(module: str, allowed: set[str]) -> None:
    graph = import_graph()
    assert module in graph
    assert graph[module] <= allowed, sorted(graph[module] - allowed)


# -- public names: re-exported classes show their public path (review item 8) -------------

PUBLIC_CLASSES = [
    getattr(personalize_lite, name)
    for name in personalize_lite.__all__
    if isinstance(getattr(personalize_lite, name), type)
]

WIRE_JOB = {
    "jobName": "nightly",
    "batchInferenceJobArn": "arn:aws:personalize:us-east-1:111122223333:batch-inference-job/n",
    "numResults": 25,
    "jobInput": {"s3DataSource": {"path": "s3://bucket/in.json", "kmsKeyArn": "arn:kms"}},
    "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
    "batchInferenceJobConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}},
    "themeGenerationConfig": {"fieldsForThemeGeneration": {"itemName": "title"}},
    "status": "ACTIVE",
    "creationDateTime": 1700000000.5,
    "lastUpdatedDateTime": 1700000100,
}


def test_every_public_class_shows_its_public_path() -> None:
    assert len(PUBLIC_CLASSES) >= 40
    for cls in PUBLIC_CLASSES:
        assert cls.__module__ == PACKAGE, cls
        assert getattr(personalize_lite, cls.__qualname__) is cls


def test_a_fresh_converter_still_reads_and_writes_models_after_the_rename() -> None:
    """cattrs resolves string annotations through ``sys.modules[cls.__module__]``: the
    models' annotations must have been resolved where they were written."""
    from personalize_lite._converter import make_converter

    converter = make_converter()
    job = converter.structure(WIRE_JOB, personalize_lite.BatchInferenceJob)
    assert job.job_input is not None
    assert job.job_input.s3_data_source.kms_key_arn == "arn:kms"
    assert job.creation_date_time is not None
    assert job.creation_date_time.tzinfo is not None
    assert converter.unstructure(job) == WIRE_JOB | {"lastUpdatedDateTime": 1700000100.0}
    summary = converter.structure(
        {"jobName": "n", "status": "ACTIVE"}, personalize_lite.BatchInferenceJobSummary
    )
    assert summary.job_name == "n"


def test_public_values_survive_pickling_by_their_public_path() -> None:
    from personalize_lite._converter import make_converter

    values = [
        make_converter().structure(WIRE_JOB, personalize_lite.BatchInferenceJob),
        personalize_lite.RetryConfig(max_attempts=5),
        personalize_lite.Attempt(
            number=1,
            status_code=503,
            error_code="ServiceUnavailable",
            request_id=None,
            elapsed_ms=3.0,
        ),
        personalize_lite.Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="not-a-secret"),
        personalize_lite.ThrottlingException(
            "slow down",
            code="ThrottlingException",
            status_code=400,
            throttling=True,
            retryable=True,
        ),
    ]
    for value in values:
        data = pickle.dumps(value)
        copy = pickle.loads(data)  # noqa: S301 (bytes we just made)
        assert type(copy) is type(value)
        if isinstance(value, Exception):  # rebuilt by personalize_lite._errors._restore
            assert vars(copy) == vars(value)
        else:  # named by the public path only, not personalize_lite._models
            assert f"{PACKAGE}._".encode() not in data, data
            assert copy == value


def test_type_hints_of_public_classes_still_evaluate() -> None:
    """``typing.get_type_hints`` (documentation tools, cattrs, pydantic) evaluates string
    annotations in ``sys.modules[cls.__module__]``: they were evaluated before the rename."""
    import typing
    from datetime import datetime

    hints = typing.get_type_hints(personalize_lite.BatchInferenceJob)
    assert hints["creation_date_time"] == datetime | None
    assert hints["job_input"] == personalize_lite.BatchInferenceJobInput | None
    assert typing.get_type_hints(personalize_lite.Credentials)["expiration"] == datetime | None
    for cls in PUBLIC_CLASSES:
        if cls not in (personalize_lite.PersonalizeClient, personalize_lite.AsyncPersonalizeClient):
            typing.get_type_hints(cls)  # raises NameError when a name cannot be found


# -- the tests' own layout (review item 6) --------------------------------------------------

TESTS = Path(__file__).resolve().parent
RELIABILITY = ("test_faults.py", "test_fuzz.py", "test_secrets.py", "test_soak.py")


def test_helpers_live_in_support_and_reliability_suites_in_their_folder() -> None:
    """tests/ holds test modules (tests/test_<module>.py) and conftest.py; shared helpers and
    loopback servers live in tests/support/ (each with ``__all__``, none collected), the
    reliability suites in tests/reliability/."""
    top = sorted(path.name for path in TESTS.glob("*.py"))
    assert [name for name in top if not name.startswith("test_")] == ["__init__.py", "conftest.py"]
    assert not set(RELIABILITY) & set(top)
    support = sorted((TESTS / "support").glob("*.py"))
    assert len(support) >= 8
    for path in support:
        assert not path.name.startswith("test_"), path
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        assigned = {
            target.id
            for node in tree.body
            for target in (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if isinstance(target, ast.Name)
        }
        assert path.name == "__init__.py" or "__all__" in assigned, path
    reliability = sorted(path.name for path in (TESTS / "reliability").glob("test_*.py"))
    assert reliability == sorted(RELIABILITY)


def test_the_reliability_marker_selects_exactly_the_reliability_folder() -> None:
    """``make reliability`` selects by marker: tests/reliability/conftest.py marks every test
    in its folder and no other."""
    outside = TESTS / "test_steps.py"

    def collected(marker: str) -> list[str]:
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        done = subprocess.run(
            [*command, "-m", marker, str(TESTS / "reliability"), str(outside)],
            cwd=TESTS.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return [line for line in done.stdout.splitlines() if "::" in line]

    marked = collected("reliability")
    assert {line.split("::")[0].rpartition("/")[2] for line in marked} == set(RELIABILITY)
    assert len(marked) > 400  # every suite's tests, not only a few
    unmarked = collected("not reliability")
    assert unmarked
    assert all(line.startswith("tests/test_steps.py::") for line in unmarked), unmarked
