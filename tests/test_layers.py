"""DESIGN.md's layer rule, checked on the source: each package imports only from upstream packages
(models -> circuits -> cores | memory -> controller -> train), and no package imports another package's
private (underscore) module: what another layer needs is public (models.checks, models.optics, cores.checks)."""

import ast
from pathlib import Path

import photrain

#: upstream first; cores and memory are siblings (neither imports the other)
RANK = {"constants": 0, "models": 1, "circuits": 2, "cores": 3, "memory": 3, "controller": 4, "train": 5}
ROOT = Path(photrain.__file__).parent


def _imports(root: Path = ROOT):
    """(file, importing package, imported module) for every ``from photrain.x... import`` in the package, lazy ones too."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        pkg = parts[0] if len(parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("photrain."):
                yield str(path.relative_to(root)), pkg, node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("photrain."):
                        yield str(path.relative_to(root)), pkg, alias.name


def _against_the_order(root: Path = ROOT) -> list[str]:
    bad = []
    for path, pkg, module in _imports(root):
        target = module.split(".")[1]
        if pkg in RANK and target in RANK and target != pkg and RANK[target] >= RANK[pkg]:
            bad.append(f"{path} imports {module}")
    return bad


def _private_across(root: Path = ROOT) -> list[str]:
    return [f"{path} imports {module}" for path, pkg, module in _imports(root)
            if module.split(".")[1] != pkg and any(p.startswith("_") for p in module.split(".")[2:])]


def test_packages_import_only_upstream():
    bad = _against_the_order()
    assert not bad, "imports against the layer order of DESIGN.md:\n" + "\n".join(bad)


def test_no_package_imports_another_packages_private_module():
    bad = _private_across()
    assert not bad, "private modules used across packages (make what is needed public):\n" + "\n".join(bad)


def test_the_checks_catch_violations(tmp_path):
    """Seeded violations, lazy (inside a function) ones included, are reported; upstream and own-private imports are not."""
    (tmp_path / "cores").mkdir()
    (tmp_path / "models").mkdir()
    (tmp_path / "cores" / "ok.py").write_text("from photrain.circuits.bank_solver import star\n"
                                              "from photrain.cores._private import x\n")
    (tmp_path / "cores" / "bad.py").write_text("def f():\n    from photrain.memory.pcm import y\n"
                                               "    from photrain.models._checks import z\n")
    (tmp_path / "models" / "bad.py").write_text("import photrain.controller.hub\n")
    assert sorted(_against_the_order(tmp_path)) == ["cores/bad.py imports photrain.memory.pcm",
                                                    "models/bad.py imports photrain.controller.hub"]
    assert _private_across(tmp_path) == ["cores/bad.py imports photrain.models._checks"]
