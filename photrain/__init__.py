"""photrain: simulate silicon-photonic circuits and train neural networks on them.

Layers (see DESIGN.md): ``models`` -> ``circuits`` -> ``cores`` -> ``controller`` -> ``train``.
"""

__version__ = "0.1.0"

from photrain import _platform

try:
    _platform.apply()  # PHOTRAIN_PLATFORM=gpu|auto|...: undo klujax's CPU pin (no-op when unset; see _platform)
except ValueError:
    if not _platform.launched_by_cli():  # the command says it in one line (photrain.cli.main); a library raises
        raise
