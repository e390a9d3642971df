"""The layers hold: who may import whom, and no import circles in the code that runs.

Layers, from the bottom: `chalicelib/platform` (settings, clients, HTTP plumbing, errors,
logs...), the domain packages (`chalicelib/<domain>`), the composition root
(`chalicelib/services.py`), the web layer (`chalicelib/web`), the handlers
(`chalicelib/routes`) and the app (`app.py`). The encoder (`encoder_lambda`) is a Lambda of
its own. The local cloud (`localcloud`), the infrastructure code (`infra`), the tests and the
benchmarks sit outside and may use anything.

Imports are read from the source (every `import` and `from ... import`, including those inside
functions, but not those under `if TYPE_CHECKING:`, which never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("app", "chalicelib", "encoder_lambda")
DOMAINS = ("audit", "auth", "catalogue", "health", "ingest", "jobs", "mylist", "payments",
           "playback", "profiles", "ratings", "recommendations", "telemetry", "uploads",
           "viewing")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for top in RUNTIME[1:]:
        for path in (ROOT / top).rglob("*.py"):
            found[module_name(path)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except what sits under `if TYPE_CHECKING:`."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                  "typing.TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


@cache
def imports_of(module: str) -> frozenset[str]:
    """The project modules `module` imports at run time (lazy ones included)."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        found |= {n for n in names if n in modules()}
    lazy = {str(c.args[0].value) for c in _runtime_nodes(ast.parse(path.read_text()))
            if isinstance(c, ast.Call) and ast.unparse(c.func) == "lazy_module"
            and c.args and isinstance(c.args[0], ast.Constant)}
    return frozenset(found | (lazy & set(modules())))


def in_layer(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} imports {i}" for m in modules() if in_layer(m, *importers)
                  for i in imports_of(m) if in_layer(i, *forbidden))


API = ("app", "chalicelib.routes", "chalicelib.web")


def test_the_platform_imports_no_domain_handler_or_web_module() -> None:
    domains = tuple(f"chalicelib.{d}" for d in DOMAINS)
    assert violations(("chalicelib.platform",),
                      (*domains, "chalicelib.services", *API)) == []


def test_domains_never_import_handlers_the_web_layer_or_the_composition_root() -> None:
    domains = tuple(f"chalicelib.{d}" for d in DOMAINS)
    assert violations(domains, (*API, "chalicelib.services")) == []


def test_the_encoder_never_imports_the_api() -> None:
    assert violations(("encoder_lambda",), (*API, "chalicelib.services")) == []


def test_runtime_code_never_imports_the_local_cloud_tests_or_benchmarks() -> None:
    for module, path in modules().items():
        text = path.read_text()
        tree = ast.parse(text)
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                         else [a.name for a in node.names])
                assert not any(in_layer(n, "localcloud", "tests", "bench") for n in names), (
                    f"{module}: {ast.unparse(node)}")


def cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in imports_of(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(modules()):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_in_runtime_code() -> None:
    """A package importing its own submodules is not a circle; anything else is."""
    real = [group for group in cycles()
            if not all(m.startswith(min(group, key=len) + ".") or m == min(group, key=len)
                       for m in group)]
    assert real == []


def test_the_checker_reports_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules bite: a domain module importing a handler module is reported."""
    original = imports_of

    def with_violation(module: str) -> frozenset[str]:
        extra = {"chalicelib.routes.auth"} if module == "chalicelib.auth.service" else set()
        return original(module) | extra

    monkeypatch.setattr(f"{__name__}.imports_of", with_violation)
    domains = tuple(f"chalicelib.{d}" for d in DOMAINS)
    assert violations(domains, API) == ["chalicelib.auth.service imports chalicelib.routes.auth"]
