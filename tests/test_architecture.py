"""The house of DESIGN.md, checked from the source (issue 24): each layer imports only from the layers upstream of it,
no import circles (module-level or inside functions), no room under photrain/ over 500 lines."""

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "photrain"

#: what each layer may import (besides itself), DESIGN.md's arrows; the top (cli, sweep, bench, demo) may import all
SHARED = {"constants", "_platform", "counter_hash", "atomic_file", "xla_forms"}
ALLOWED = {
    "constants": set(),
    "_platform": set(),
    "counter_hash": set(),
    "atomic_file": set(),
    "xla_forms": set(),
    "models": SHARED,
    "memory": SHARED,
    "circuits": {"models"} | SHARED,
    "layout": {"circuits", "models"} | SHARED,
    "cores": {"circuits", "models"} | SHARED,
    "controller": {"cores", "memory", "layout", "circuits", "models"} | SHARED,
    "nn": {"controller"} | SHARED,
    "train": {"nn", "controller"} | SHARED,
}
TOP = {"cli", "sweep", "bench", "demo", "__main__"}
MAX_LINES = 500


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _deprecation_shim(node_stack) -> bool:
    """An import inside a module-level ``__getattr__`` of a package ``__init__`` (one release of deprecation for a
    moved public name) is not an arrow of the house."""
    return any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in node_stack)


def import_graph() -> dict[str, set[str]]:
    """{module: photrain modules it imports}, module-level and function-level imports alike."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = _module(path)
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        edges: set[str] = set()

        def visit(node, stack, pkg=pkg, edges=edges, path=path):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Import | ast.ImportFrom) and not (
                        path.name == "__init__.py" and _deprecation_shim(stack)):
                    if isinstance(child, ast.Import):
                        names = [a.name for a in child.names]
                    elif child.level:
                        base = pkg.split(".")[: len(pkg.split(".")) - (child.level - 1)]
                        names = [".".join(base + ([child.module] if child.module else []))]
                    else:
                        names = [child.module or ""]
                    edges.update(n for n in names if n == "photrain" or n.startswith("photrain."))
                visit(child, stack + [child])

        visit(ast.parse(path.read_text()), [])
        graph[mod] = edges
    return graph


def _layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "photrain"


def test_every_layer_imports_only_upstream():
    wrong = defaultdict(set)
    for mod, edges in import_graph().items():
        layer = _layer(mod)
        if layer in TOP or layer == "photrain":
            continue
        assert layer in ALLOWED, f"photrain.{layer} is not a layer of DESIGN.md: add it to the house (and to ALLOWED)"
        for target in edges:
            other = _layer(target)
            if other != layer and other not in ALLOWED[layer]:
                wrong[f"{mod} -> {target}"].add(other)
    assert not wrong, "imports against the arrows of DESIGN.md:\n" + "\n".join(sorted(wrong))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each an import circle."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_circles():
    circles = _cycles(import_graph())
    assert not circles, "import circles (break them: one module fills a registry, the others do not import back):\n" + \
        "\n".join(" <-> ".join(c) for c in circles)


def test_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_room_over_500_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)} has {lines} lines: split it by what its parts are"


def test_training_imports_no_circuit_solver_or_layout_library():
    """A process that trains (photrain.nn, photrain.train, the controller) imports neither sax (~2.5 s: scikit-rf,
    sympy, pandas, klujax) nor gdsfactory: the cores use the structured solvers, which are pure JAX; sax comes with
    the first circuit solve (photrain.circuits.saxlib)."""
    code = ("import sys, photrain.nn, photrain.train, photrain.controller; "
            "print(sorted(m for m in ('sax', 'skrf', 'gdsfactory', 'klujax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
