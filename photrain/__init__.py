"""photrain: simulate silicon-photonic circuits and train neural networks on them.

Layers (see DESIGN.md): ``models`` -> ``circuits`` -> ``cores`` -> ``controller`` -> ``train``.
"""

__version__ = "0.1.0"
