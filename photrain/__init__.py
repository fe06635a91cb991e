"""photrain: simulate silicon-photonic circuits and train neural networks on them.

Layers (see DESIGN.md): ``models`` -> ``circuits`` -> ``cores`` -> ``controller`` -> ``train``.

Importing photrain leaves JAX as it was: x64 off unless you turned it on, the GPU when JAX sees one
(``PHOTRAIN_PLATFORM``, default ``auto``); photrain scopes float64 to its own sax solves (see ``photrain._platform``).
"""

__version__ = "0.1.0"

from photrain import _platform

try:
    _platform.apply()  # guard klujax's import (it switches x64 on and pins the CPU) and apply PHOTRAIN_PLATFORM
except ValueError:
    if not _platform.launched_by_cli():  # the command says it in one line (photrain.cli.main); a library raises
        raise
