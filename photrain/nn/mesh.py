"""photrain.nn.MZIMesh: an MZI mesh whose phases are the parameters (Hughes et al., Optica 5, 864 (2018)).

One complex field vector of ``n_modes`` in, the mesh's output fields (or their detected intensities) out. The
parameters are the phases of the heaters: the internal ``theta`` and the external ``phi`` of every MZI and the
output phase screen ``out_phase``. Port convention (sax's: ``S[i, j]`` = output i for input j; the mesh's
transfer ``U[out, in]``, modes counted from the bottom)::

    one MZI on modes (m, m+1), as photrain.models.mzi.mzi_matrix / mzi2x2 draw it:

      in m+1 (o2) ──[phi]──┐          ┌──[theta]── top arm ───┐          ┌── out m+1 (o3)
                           ═══ C1 ═══                          ═══ C2 ═══
      in m   (o1) ─────────┘          └──────── bottom arm ───┘          └── out m   (o4)
                    tap phi ^                       tap theta ^

    T = C2 · diag(a_bottom, a_top e^{i theta}) · C1 · diag(1, e^{i phi}),  C = [[t, i k], [i k, t]]

    a Clements mesh (N = 4, columns 0..3; column c holds MZIs on modes (2p + c % 2, 2p + c % 2 + 1)):

      mode 3 ──┐ ┌────────┐ ┌──[out 3]── 3      every MZI has a tap after each of its two heaters
      mode 2 ──┘ └─┐ ┌──┐ └─┘ ┌──[out 2]── 2      (a weak coupler to a detector, for in-situ
      mode 1 ──┐ ┌─┘ └──┘ ┌─┐ └──[out 1]── 1      gradients); the output screen's taps are the
      mode 0 ──┘ └────────┘ └────[out 0]── 0      output detectors.

The MZI's couplers (:func:`photrain.models.mzi.coupler_matrix`) and its transfer are photrain's models; the
composition column by column is the structured solver's (:func:`photrain.circuits.mesh_solver.mesh_transfer`,
tested equal); the placement of the MZIs is the Clements / Reck decomposition's
(:mod:`photrain.cores.decompose`), initialised with a Haar-random unitary. The field propagation here also
returns the fields at every tap, which the in-situ gradient (:mod:`photrain.nn.insitu`) reads.

Non-idealities (all off with ``ideal=True``; the defaults are one plausible foundry chip, stated as assumptions):

* beam-splitter imbalance: each coupler's power coupling 0.5 + ``coupler_sigma`` N(0, 1), and static phase errors
  ``phase_sigma`` N(0, 1) rad on every heater, sampled once per chip (from ``key``);
* per-arm loss: each arm of each MZI loses ``arm_loss_db`` + ``arm_loss_sigma_db`` N(0, 1) dB (per chip), which
  makes the mesh non-unitary (and breaks the time reversal the three-intensity gradient relies on);
* heater drive quantised to ``phase_bits`` bits: a heater's phase is pi (V / V_pi)^2 (phase proportional to
  power, :func:`photrain.models.phase_shifters.thermal_phase`), its voltage a ``phase_bits`` DAC over [0, V_max]
  (:func:`photrain.models.converters.dac`); V_pi of the drawn mesh heater
  (:data:`photrain.layout.heater_layout.MESH_HEATER`), V_max = sqrt(2) V_pi (2 pi at full scale) by default;
  gradients pass the DAC straight through (the chip sees, and in situ measures, the quantised phase);
* thermal crosstalk: heater j adds gamma(d_ij) times its phase to heater i of the same column (theta to theta,
  phi to phi; the two rows are hundreds of µm apart), d from the drawn mesh
  (:data:`photrain.layout.heater_layout.MESH_HEATER_DISTANCE`, 30 µm between a column's MZIs; half that between
  output-screen heaters), gamma(d) the image-method line source of :func:`photrain.models.heaters.thermal_crosstalk`
  (Carslaw & Jaeger, Conduction of Heat in Solids, sec. 10.10; measured of this kind by Milanizadeh et al.,
  J. Lightwave Technol. 37, 1325 (2019)), uncompensated;
* detector noise: the output detectors and the tap detectors are :func:`photrain.models.detectors.photodiode`
  (shot, dark and thermal noise at ``readout_bandwidth`` / ``tap_bandwidth``) with ``power`` W per unit |x|^2 at
  the input and a ``tap_fraction`` tap; coherent (field) reads are balanced homodyne with ``lo_power`` W
  (:func:`photrain.models.detectors.balanced_variance`). The noise needs a ``key``; without one the reads are the
  mean. Waveguide propagation between columns is lossless here (``column_length`` 0 in the solver's terms).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from photrain.controller import mesh_physics as phys

#: the gradient modes active while a model is traced (pushed by :mod:`photrain.nn.insitu`; empty: plain autodiff)
GRADIENT_MODE: list[dict] = []

SCHEMES = {"clements": phys.clements, "reck": phys.reck}
READOUTS = ("intensity", "field")


@dataclasses.dataclass(frozen=True)
class MeshHardware:
    """The chip's non-idealities and detectors (units in the names; see the module docstring)."""

    coupler_sigma: float = 0.01
    phase_sigma: float = 0.01  # rad
    arm_loss_db: float = 0.05
    arm_loss_sigma_db: float = 0.01
    phase_bits: int | None = 12
    v_pi: float = phys.MESH_HEATER.v_pi  # V
    v_max: float | None = None  # V; None: sqrt(2) v_pi
    crosstalk: bool = True
    heater_distance: float = phys.MESH_HEATER_DISTANCE  # µm between the heaters of neighbouring MZIs of a column
    power: float = 1e-3  # W at the input per unit |x|^2
    tap_fraction: float = 0.01
    tap_bandwidth: float = 1e6  # Hz
    readout_bandwidth: float = 1e6  # Hz
    lo_power: float = 1e-3  # W, local oscillator of coherent reads
    noise: bool = True

    @classmethod
    def ideal(cls) -> MeshHardware:
        return cls(coupler_sigma=0.0, phase_sigma=0.0, arm_loss_db=0.0, arm_loss_sigma_db=0.0, phase_bits=None,
                   crosstalk=False, noise=False)

    def check(self) -> MeshHardware:
        for name in ("coupler_sigma", "phase_sigma", "arm_loss_db", "arm_loss_sigma_db", "heater_distance"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"MZIMesh: {name} must be a finite number >= 0; got {v!r}")
        for name in ("v_pi", "power", "tap_fraction", "tap_bandwidth", "readout_bandwidth", "lo_power"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"MZIMesh: {name} must be a finite number > 0; got {v!r}")
        b = self.phase_bits
        if b is not None and (isinstance(b, bool) or not isinstance(b, int | np.integer) or not 1 <= b <= 32):
            raise ValueError(f"MZIMesh: phase_bits must be a positive integer (heater DAC bits, 1..32) or None for an "
                             f"unquantised drive; got {b!r}")
        if self.v_max is not None and not self.v_max >= math.sqrt(2) * self.v_pi:
            raise ValueError(f"MZIMesh: v_max must be >= sqrt(2) v_pi = {math.sqrt(2) * self.v_pi:.3f} V to reach "
                             f"2 pi (phase = pi (V / V_pi)^2); got {self.v_max!r}")
        if self.tap_fraction > 1:
            raise ValueError(f"MZIMesh: tap_fraction must be in (0, 1]; got {self.tap_fraction!r}")
        return self

    @property
    def full_scale(self) -> float:
        return self.v_max if self.v_max is not None else math.sqrt(2) * self.v_pi


HARDWARE_FIELDS = tuple(f.name for f in dataclasses.fields(MeshHardware))


@dataclasses.dataclass(frozen=True, eq=False)
class MeshChip:
    """One fabricated chip's static errors (sampled once; NumPy, identity-hashed: a static field of the module)."""

    coupling_1: np.ndarray  # (K,) power coupling of each MZI's first coupler
    coupling_2: np.ndarray  # (K,)
    arm_bottom: np.ndarray  # (K,) amplitude transmission of the bottom arm
    arm_top: np.ndarray  # (K,)
    theta_offset: np.ndarray  # (K,) rad
    phi_offset: np.ndarray  # (K,) rad
    out_offset: np.ndarray  # (N,) rad


def sample_chip(hw: MeshHardware, n_mzis: int, n_modes: int, seed: int) -> MeshChip:
    rng = np.random.default_rng(seed)
    k = n_mzis

    def arm():
        return 10 ** (-np.maximum(hw.arm_loss_db + hw.arm_loss_sigma_db * rng.standard_normal(k), 0.0) / 20)

    return MeshChip(np.clip(0.5 + hw.coupler_sigma * rng.standard_normal(k), 0.0, 1.0),
                    np.clip(0.5 + hw.coupler_sigma * rng.standard_normal(k), 0.0, 1.0), arm(), arm(),
                    hw.phase_sigma * rng.standard_normal(k), hw.phase_sigma * rng.standard_normal(k),
                    hw.phase_sigma * rng.standard_normal(n_modes))


@functools.lru_cache(maxsize=256)
def chip_couplers(chip: MeshChip) -> tuple[np.ndarray, np.ndarray]:
    """The chip's coupler matrices C1, C2 (K, 2, 2) from :func:`photrain.models.mzi.coupler_matrix` (static: computed
    once per chip, constants of every program)."""
    with jax.ensure_compile_time_eval(), jax.enable_x64(True):
        return tuple(np.asarray(phys.coupler_matrix(np.asarray(c, np.float64)), complex)
                     for c in (chip.coupling_1, chip.coupling_2))


def heater_phase(phase, hw: MeshHardware):
    """The phase (rad) a heater realises for a requested ``phase``: wrapped to [0, 2 pi); with ``phase_bits`` its
    voltage V = V_pi sqrt(phase / pi) on a DAC over [0, V_max] and the phase pi (V_q / V_pi)^2; the gradient passes
    straight through (d realised / d requested = 1)."""
    wrapped = jnp.mod(phase, 2 * jnp.pi)
    if hw.phase_bits is None:
        return wrapped
    v = hw.v_pi * jnp.sqrt(jax.lax.stop_gradient(wrapped) / jnp.pi)
    v_q = phys.dac(v, bits=int(hw.phase_bits), full_scale=hw.full_scale, signed=False)
    realised = jnp.pi * (v_q / hw.v_pi) ** 2
    return wrapped + jax.lax.stop_gradient(realised - wrapped)


@functools.lru_cache(maxsize=64)
def crosstalk_matrix(count: int, distance: float) -> np.ndarray:
    """gamma(|i - j| distance) between ``count`` heaters in a row (1 on the diagonal)."""
    d = distance * np.abs(np.arange(count)[:, None] - np.arange(count)[None, :])
    with jax.ensure_compile_time_eval():
        return np.asarray(phys.thermal_crosstalk(d), dtype=float)


class MZIMesh(eqx.Module):
    """An N-mode MZI mesh whose heater phases are trainable (see the module docstring for the convention).

    Args:
        n_modes: N >= 2.
        scheme: 'clements' (rectangular, N columns) or 'reck' (triangular, 2N - 3 columns); N(N-1)/2 MZIs either way.
        key: ``jax.random`` key: the initial phases (a Haar-random unitary's decomposition) and the chip's static
            errors.
        ideal: no non-idealities and noiseless reads (every hardware keyword ignored but ``readout``).
        readout: 'intensity' (the call returns |y|^2, photodiodes) or 'field' (the complex y, coherent detection).
        dtype: float dtype of the phases (the fields are the matching complex dtype).
        **hardware: fields of :class:`MeshHardware` (coupler_sigma, phase_sigma, arm_loss_db, arm_loss_sigma_db,
            phase_bits, v_pi, v_max, crosstalk, heater_distance, power, tap_fraction, tap_bandwidth,
            readout_bandwidth, lo_power, noise).

    Call: ``mesh(x, key=None)`` with x of shape (..., N), real or complex (a field in units of sqrt(power));
    ``key`` draws the readout noise.
    """

    theta: jax.Array  # (K,) rad, internal phase of MZI k (light order of the decomposition)
    phi: jax.Array  # (K,) rad, external phase
    out_phase: jax.Array  # (N,) rad
    n_modes: int = eqx.field(static=True)
    scheme: str = eqx.field(static=True)
    readout: str = eqx.field(static=True)
    columns: tuple = eqx.field(static=True)  # (K,) column of MZI k
    slots: tuple = eqx.field(static=True)  # (K,) slot of MZI k in its column (modes 2 slot + column % 2, +1)
    n_columns: int = eqx.field(static=True)
    hardware: MeshHardware = eqx.field(static=True)
    chip: MeshChip = eqx.field(static=True)

    def __init__(self, n_modes: int, *, scheme: str = "clements", key, ideal: bool = False,
                 readout: str = "intensity", dtype=jnp.float32, **hardware):
        if isinstance(n_modes, bool) or not isinstance(n_modes, int | np.integer) or n_modes < 2:
            raise ValueError(f"MZIMesh: n_modes must be an integer >= 2 (a mesh couples pairs of modes); got "
                             f"{n_modes!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"MZIMesh: unknown scheme {scheme!r}; use scheme='clements' or scheme='reck'")
        if readout not in READOUTS:
            raise ValueError(f"MZIMesh: unknown readout {readout!r}; use readout='intensity' or readout='field'")
        if not jnp.issubdtype(jnp.dtype(dtype), jnp.floating):
            raise ValueError(f"MZIMesh: dtype must be a real float dtype (the phases; the fields get the matching "
                             f"complex dtype); got {jnp.dtype(dtype)}, use dtype=jnp.float32 or jnp.float64")
        unknown = sorted(set(hardware) - set(HARDWARE_FIELDS))
        if unknown:
            raise ValueError(f"MZIMesh: unknown hardware keyword(s) {unknown}; use some of {list(HARDWARE_FIELDS)}")
        hw = MeshHardware.ideal() if ideal else dataclasses.replace(MeshHardware(), **hardware).check()
        n = int(n_modes)
        seed = np.asarray(jax.random.key_data(key)).ravel().tolist()
        dec = SCHEMES[scheme](phys.haar_unitary(n, np.random.default_rng(seed)))
        self.n_modes, self.scheme, self.readout, self.hardware = n, scheme, readout, hw
        self.n_columns = n if scheme == "clements" else max(2 * n - 3, 1)
        self.columns = tuple(int(c) for c in dec.columns)
        self.slots = tuple(int(s) for s in (dec.modes - dec.columns % 2) // 2)
        self.theta = jnp.asarray(dec.theta, dtype)
        self.phi = jnp.asarray(dec.phi, dtype)
        self.out_phase = jnp.asarray(dec.out_phase, dtype)
        self.chip = sample_chip(hw, len(self.columns), n, seed[-1] + 1)

    # ------------------------------------------------------------ structure

    @property
    def n_mzis(self) -> int:
        return len(self.columns)

    @property
    def n_phases(self) -> int:
        """Heaters: theta and phi of every MZI and the N output phases."""
        return 2 * self.n_mzis + self.n_modes

    @property
    def grid(self) -> tuple[int, int]:
        return phys.mesh_grid(self.n_modes, self.n_columns)

    @property
    def active(self) -> np.ndarray:
        c, p = self.grid
        a = np.zeros((c, p), bool)
        a[list(self.columns), list(self.slots)] = True
        return a

    def _to_grid(self, values, fill=0.0):
        values = jnp.asarray(values)
        return jnp.concatenate([values, jnp.full((1,) + values.shape[1:], fill, values.dtype)])[self._grid_index()]

    def _from_grid(self, grid):
        return grid[..., np.array(self.columns), np.array(self.slots)]

    # ------------------------------------------------------------ what the heaters realise

    def realised_phases(self):
        """(theta, phi, out_phase) the heaters produce (rad): DAC, thermal crosstalk and the chip's offsets in."""
        hw, chip = self.hardware, self.chip
        theta, phi = heater_phase(self.theta, hw), heater_phase(self.phi, hw)
        out = heater_phase(self.out_phase, hw)
        if hw.crosstalk:
            g_slots = jnp.asarray(crosstalk_matrix(self.grid[1], hw.heater_distance), theta.dtype)
            g_out = jnp.asarray(crosstalk_matrix(self.n_modes, hw.heater_distance / 2), theta.dtype)
            theta = self._from_grid(self._to_grid(theta) @ g_slots)
            phi = self._from_grid(self._to_grid(phi) @ g_slots)
            out = out @ g_out
        dt = theta.dtype
        return (theta + jnp.asarray(chip.theta_offset, dt), phi + jnp.asarray(chip.phi_offset, dt),
                out + jnp.asarray(chip.out_offset, dt))

    def _grid_index(self) -> np.ndarray:
        """(C, P) index of the MZI on each grid slot; K (one past the last) where the slot is empty."""
        c, p = self.grid
        idx = np.full((c, p), self.n_mzis, np.int32)
        idx[list(self.columns), list(self.slots)] = np.arange(self.n_mzis)
        return idx

    def _columns(self):
        """Per-column arrays on the solver's grid (an empty slot passes its pair unchanged): e^{i phi} (C, P); the
        MZI up to its theta tap, A = diag(a_bottom, a_top e^{i theta}) C1 (C, P, 2, 2); its second coupler C2."""
        theta, phi, out = self.realised_phases()
        chip, dt = self.chip, self.theta.dtype
        cdt = jnp.result_type(dt, jnp.complex64)
        c1, c2 = chip_couplers(chip)
        eye = np.eye(2, dtype=complex)[None]
        idx = self._grid_index()
        a_bottom = jnp.asarray(chip.arm_bottom[:, None] * c1[:, 0, :], cdt)  # (K, 2)
        a_top = (jnp.asarray(chip.arm_top[:, None] * c1[:, 1, :], cdt) * jnp.exp(1j * theta).astype(cdt)[:, None])
        a = jnp.concatenate([jnp.stack([a_bottom, a_top], -2), jnp.asarray(eye, cdt)])[idx]
        c2 = jnp.asarray(np.concatenate([c2, eye])[idx], cdt)
        e_phi = jnp.concatenate([jnp.exp(1j * phi).astype(cdt), jnp.ones(1, cdt)])[idx]
        return (e_phi, a, c2), out

    # ------------------------------------------------------------ light through the mesh

    def _input(self, x):
        x = jnp.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.n_modes:
            raise ValueError(f"MZIMesh: the input needs {self.n_modes} modes on its last axis; got shape "
                             f"{tuple(x.shape)}")
        if not (jnp.issubdtype(x.dtype, jnp.floating) or jnp.issubdtype(x.dtype, jnp.complexfloating)
                or jnp.issubdtype(x.dtype, jnp.integer)):
            raise ValueError(f"MZIMesh: the input must be a real or complex field; got dtype {x.dtype}")
        return x.astype(jnp.result_type(self.theta.dtype, jnp.complex64))

    def propagate(self, x, *, taps: bool = False):
        """Output fields (..., N) for input fields ``x`` (..., N); with ``taps`` also the fields at every heater's
        tap: ``(y, (a_theta (..., K), a_phi (..., K)))`` (the top arm just after each MZI's theta and phi heater;
        the output screen's taps are y itself)."""
        x = self._input(x)
        cols, out = self._columns()
        y, (t_theta, t_phi) = _scan(cols, x, self.n_modes, reverse=False)
        y = y * jnp.exp(1j * out).astype(y.dtype)
        return (y, (t_theta, t_phi)) if taps else y

    def adjoint(self, g):
        """The adjoint pass: ``g`` (..., N) sent backwards from the outputs (the mesh is reciprocal: its transfer
        for backward light is U^T). Returns (fields at the inputs, (b_theta, b_phi, b_out)) at the same taps as
        :meth:`propagate`."""
        g = self._input(g)
        cols, out = self._columns()
        b_out = g
        x_adj, (b_theta, b_phi) = _scan(cols, g * jnp.exp(1j * out).astype(g.dtype), self.n_modes, reverse=True)
        return x_adj, (b_theta, b_phi, b_out)

    def transfer(self):
        """The realised transfer matrix U[out, in] (complex, N x N)."""
        return self.propagate(jnp.eye(self.n_modes)).T

    def detect(self, y, key=None):
        """Read the output fields: |y|^2 on photodiodes ('intensity') or y by homodyne detection ('field'); with
        noise when ``key`` is given and the hardware has noise."""
        hw = self.hardware
        if self.readout == "intensity":
            return read_intensity(jnp.abs(y) ** 2, hw, key, tap=False)
        return read_field(y, hw, key, tap=False)

    def __call__(self, x, *, key=None):
        if GRADIENT_MODE:  # inside photrain.nn.insitu's gradients: the mode's forward (in situ, counted, ...)
            y, key = GRADIENT_MODE[-1]["forward"](self, x, key)
        else:
            y = self.propagate(x)
        return self.detect(y, key)


def _scan(cols, x, n: int, *, reverse: bool):
    """Fields through the MZI columns (forward, or backward with every stage transposed: the mesh is reciprocal,
    so backward light meets the transposed stages in reverse order). Returns the fields at the last stage and the
    top-arm fields at the theta and phi taps, (..., C, P) on the grid. The per-column arrays are the scan's inputs
    (two columns, even then odd, per step)."""
    e_phi, a, c2 = cols
    c, p = e_phi.shape
    lead = x.shape[:-1]
    f = jnp.concatenate([x, jnp.zeros(lead + (2 * p + 2 - n,), x.dtype)], axis=-1)
    xs = tuple(v.astype(x.dtype).reshape((c // 2, 2) + v.shape[1:]) for v in (e_phi, a, c2))

    def mzis(pairs, ep, m1, m2):
        """One column's MZIs on (..., P, 2) pairs [bottom, top]; returns new pairs and (tap theta, tap phi)."""
        b, t = pairs[..., 0], pairs[..., 1]
        if not reverse:
            t = t * ep
            tap_phi = t
            b, t = m1[:, 0, 0] * b + m1[:, 0, 1] * t, m1[:, 1, 0] * b + m1[:, 1, 1] * t
            tap_theta = t
            b, t = m2[:, 0, 0] * b + m2[:, 0, 1] * t, m2[:, 1, 0] * b + m2[:, 1, 1] * t
        else:
            b, t = m2[:, 0, 0] * b + m2[:, 1, 0] * t, m2[:, 0, 1] * b + m2[:, 1, 1] * t
            tap_theta = t
            b, t = m1[:, 0, 0] * b + m1[:, 1, 0] * t, m1[:, 0, 1] * b + m1[:, 1, 1] * t
            tap_phi = t
            t = t * ep
        return jnp.stack([b, t], -1), tap_theta, tap_phi

    def column(f, parity, *arrays):
        if parity == 0:
            new, tt, tp = mzis(f[..., : 2 * p].reshape(lead + (p, 2)), *arrays)
            return jnp.concatenate([new.reshape(lead + (2 * p,)), f[..., 2 * p:]], -1), tt, tp
        new, tt, tp = mzis(f[..., 1: 2 * p + 1].reshape(lead + (p, 2)), *arrays)
        return jnp.concatenate([f[..., :1], new.reshape(lead + (2 * p,)), f[..., 2 * p + 1:]], -1), tt, tp

    def step(f, cols2):
        even, odd = ([v[j] for v in cols2] for j in (0, 1))
        if not reverse:
            f, tt0, tp0 = column(f, 0, *even)
            f, tt1, tp1 = column(f, 1, *odd)
        else:
            f, tt1, tp1 = column(f, 1, *odd)
            f, tt0, tp0 = column(f, 0, *even)
        return f, (jnp.stack([tt0, tt1]), jnp.stack([tp0, tp1]))

    f, (tt, tp) = jax.lax.scan(step, f, xs, reverse=reverse)
    # (C/2, 2, ..., P) -> (..., C, P)
    tt = jnp.moveaxis(tt.reshape((c,) + lead + (p,)), 0, -2)
    tp = jnp.moveaxis(tp.reshape((c,) + lead + (p,)), 0, -2)
    return f[..., :n], (tt, tp)


def read_intensity(intensity, hw: MeshHardware, key, *, tap: bool = True):
    """Detected |field|^2 (normalised units): a photodiode at ``power`` x (``tap_fraction`` for a tap) x intensity
    W (:func:`photrain.models.detectors.photodiode`), its known dark current taken off; the mean without ``key``."""
    if key is None or not hw.noise:
        return intensity
    scale = hw.power * (hw.tap_fraction if tap else 1.0)
    bw = hw.tap_bandwidth if tap else hw.readout_bandwidth
    cur = phys.photodiode(scale * intensity, key=key, bandwidth=bw)
    return ((cur - phys.DARK_CURRENT) / (phys.RESPONSIVITY * scale)).astype(intensity.dtype)


def read_field(field, hw: MeshHardware, key, *, tap: bool = True):
    """A field read by balanced homodyne detection, both quadratures (normalised units): each quadrature current
    2 R sqrt(P_lo P) with the noise of :func:`photrain.models.detectors.balanced_variance`; the mean without ``key``."""
    if key is None or not hw.noise:
        return field
    scale = hw.power * (hw.tap_fraction if tap else 1.0)
    bw = hw.tap_bandwidth if tap else hw.readout_bandwidth
    sigma = math.sqrt(float(phys.balanced_variance(hw.lo_power, bandwidth=bw)))
    sigma = sigma / (2 * phys.RESPONSIVITY * math.sqrt(hw.lo_power * scale))
    real_dtype = jnp.real(field).dtype
    n = jax.random.normal(key, field.shape + (2,), real_dtype) * sigma
    return field + (n[..., 0] + 1j * n[..., 1]).astype(field.dtype)
