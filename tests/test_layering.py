"""The tree shows the data flow: every import points upstream (or within its stage), and none forms a cycle.

Stages, upstream first: errors -> benchmarks -> sampling -> graders -> run -> reporting -> evaluation ->
training (the train -> eval loop) -> training.areal (trainer operations) -> cli. Function-level imports count
too: an import deferred for speed is still a dependency.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "evalkit": ROOT / "evalkit",
    "evalkit.training": ROOT / "training",
    "evalkit.benchmarks.catalog": ROOT / "benchmarks",
}
STAGES = (
    "evalkit.errors",
    "evalkit.benchmarks",
    "evalkit.sampling",
    "evalkit.graders",
    "evalkit.run",
    "evalkit.reporting",
    "evalkit.evaluation",
    "evalkit.training",
    "evalkit.training.areal",
    "evalkit.cli",
)
TOP = {"evalkit": len(STAGES), "evalkit.__main__": len(STAGES)}  # lazy re-exports and `python -m evalkit`


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name, from the folders the package maps."""
    found = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if package == "evalkit" and parts[0] in ("training",):
                continue
            name = ".".join((package, *(p for p in parts if p != "__init__")))
            found[name] = path
    return found


MODULES = modules()


def stage(name: str) -> int:
    """Index of the stage a module belongs to: the longest stage prefix of its name."""
    if name in TOP:
        return TOP[name]
    matches = [i for i, s in enumerate(STAGES) if name == s or name.startswith(s + ".")]
    assert matches, f"{name} belongs to no stage: add it to one of {STAGES}"
    return max(matches, key=lambda i: len(STAGES[i]))


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str) -> Iterator[str]:
    """The evalkit modules ``name`` imports, at any depth of its code."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("evalkit") and (resolved := _resolve(target)) and resolved != name:
                yield resolved


GRAPH = {name: sorted(set(imports(name))) for name in MODULES}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_upstream(name: str) -> None:
    upward = [t for t in GRAPH[name] if stage(t) > stage(name) and t != "evalkit"]
    assert not upward, (
        f"{name} (stage {STAGES[stage(name)] if stage(name) < len(STAGES) else 'top'}) imports later stages: {upward}"
    )


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that returns to its start, or ``None``."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        for target in graph.get(name, ()):
            if target in path:
                return [*path[path.index(target) :], target]
            if target not in done and (cycle := visit(target, [*path, target])):
                return cycle
        done.add(name)
        return None

    for name in sorted(graph):
        if name not in done and (cycle := visit(name, [name])):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None


def test_every_module_has_a_stage_and_the_stages_cover_the_data_flow() -> None:
    assert len(MODULES) > 60  # the scan found the package (a wrong ROOT would make every test pass)
    assert stage("evalkit.run.runner") < stage("evalkit.reporting.metrics") < stage("evalkit.cli.main")
    assert stage("evalkit.training.areal.launcher") > stage("evalkit.training.watch")
