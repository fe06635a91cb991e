"""The tutorial notebooks are stored without outputs (pytest --nbmake runs them; see pyproject.toml)."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_the_tutorials_are_there_and_numbered_in_order():
    names = [p.stem for p in NOTEBOOKS]
    assert {"01_components_and_circuits", "02_layout", "03_mzi_mesh", "04_weight_bank", "05_training",
            "06_analog_memory"} <= set(names)
    assert [int(n[:2]) for n in names] == list(range(1, len(names) + 1)), names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped_and_reads_like_a_tutorial(path):
    book = json.loads(path.read_text())
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code), f"{path.name}: strip the outputs"
    kinds = [c["cell_type"] for c in book["cells"]]
    assert kinds[0] == "markdown" and kinds.count("markdown") >= len(code) // 2, "a sentence of why before the steps"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "photrain" in source and "import photrain._" not in source and "from photrain.models._" not in source
