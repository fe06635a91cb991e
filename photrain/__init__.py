"""photrain: simulate silicon-photonic circuits and train neural networks on them.

Layers (see DESIGN.md): ``models`` -> ``circuits`` -> ``cores`` -> ``controller`` -> ``train``.
"""

__version__ = "0.1.0"

from photrain import _platform

_platform.apply()  # PHOTRAIN_PLATFORM=gpu|auto|...: undo klujax's CPU pin (no-op when unset; see _platform)
