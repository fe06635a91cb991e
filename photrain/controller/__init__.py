"""The digital controller, the hub between learning rules and hardware.

It holds the weight memories, programs the cores from them, runs the products
a learning rule asks for, writes updates into memory and counts the ledger
and its energy/latency model.
"""

from photrain.controller.build import build_controller, check_hardware, make_engine
from photrain.controller.energy import PRESETS, SOURCES, CoreSpec, EnergyParams, EnergyReport, energy_report, load_preset
from photrain.controller.engines import BankEngine, CrossbarEngine, DigitalEngine, MeshEngine
from photrain.controller.hardware import CORES, CrossbarConfig, MeshConfig, OpticalConfig
from photrain.controller.hub import PULSE_MODES, Controller, HubState, Programmed
from photrain.controller.ledger import Ledger
from photrain.controller.optimizer import SGD
from photrain.memory import MEMORIES, Counts, memory_params, zero_counts  # the memories' names for the layers above
