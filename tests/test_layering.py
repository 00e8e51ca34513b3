"""The layering the code promises, checked: the service's contexts import each other without
cycles, and no context uses another's private helpers. (`lint-imports`, in make test, checks
the rest: the libraries never import the service, routers never import other contexts'
routers.)"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "api"
# The schema's one registry imports every context's models, for Alembic; it is no dependency
# of the database layer on the contexts.
REGISTRY = "api.db.models"


def contexts() -> list[str]:
    """The packages under api/ (bounded contexts, and the database layer)."""
    return sorted(p.name for p in API.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists())


def context_graph() -> dict[str, dict[str, list[str]]]:
    """context -> imported context -> the module imports that make the edge."""
    graph = grimp.build_graph("api")
    names = contexts()
    edges: dict[str, dict[str, list[str]]] = {c: {} for c in names}
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in edges or module == REGISTRY:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) >= 2 and target[1] in edges and target[1] != parts[1]:
                edges[parts[1]].setdefault(target[1], []).append(f"{module} -> {imported}")
    return edges


def find_cycle(edges: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of the graph (as a closed path), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": []}, "b": {}, "c": {"a": []}}) is None


def test_contexts_import_each_other_without_cycles() -> None:
    edges = context_graph()
    assert {"identity", "tenants", "consent", "records", "imaging"} <= set(edges)
    cycle = find_cycle(edges)
    if cycle:
        why = [f"  {a} -> {b}: {edges[a][b][0]}" for a, b in itertools.pairwise(cycle)]
        raise AssertionError("contexts import each other in a cycle:\n" + "\n".join(why))


def _private_uses(path: Path) -> list[str]:
    """Private names (`_x`) this module takes from another context of api/."""
    own = path.relative_to(ROOT).parts[:2]  # ("api", "<context>") or ("api", "<module>.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("api."):
            other = tuple(node.module.split(".")[:2])
            for alias in node.names:
                if other != own and alias.name.startswith("_"):
                    found.append(f"{path.relative_to(ROOT)}: from {node.module} import "
                                 f"{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("api."):
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            target = tuple(aliases[node.value.id].split(".")[:2])
            if target != own:
                found.append(f"{path.relative_to(ROOT)}: {node.value.id}.{node.attr}")
    return found


def test_no_context_uses_another_contexts_private_helpers() -> None:
    uses = [use for path in sorted(API.rglob("*.py")) if "migrations" not in path.parts
            for use in _private_uses(path)]
    assert not uses, "private helpers used across contexts:\n" + "\n".join(uses)
