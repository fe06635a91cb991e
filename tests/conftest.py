import os
from pathlib import Path

import numpy as np
import pytest
import sax

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PHOTRAIN_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
os.environ.setdefault("MPLBACKEND", "Agg")
sax.set_port_naming_strategy("optical")


@pytest.fixture
def wl_sweep():
    return np.linspace(1.50, 1.60, 201)


def dense(sdict):
    """(S, ports) with S[..., i, j] = output i for input j, as a NumPy array."""
    s, port_map = sax.sdense(sdict)
    ports = sorted(port_map, key=port_map.get)
    return np.asarray(s), ports
