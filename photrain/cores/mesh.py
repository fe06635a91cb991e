"""Coherent MZI-mesh tensor core (Clements / Reck, SVD for arbitrary matrices).

The mesh is solved by the circuits layer's structured column-scan solver
(:func:`photrain.circuits.mesh_solver.mesh_transfer`, checked against a sax
solve of its netlist twin :func:`photrain.circuits.mesh_solver.mesh_netlist`)
with the phases the core's heaters realise: DAC quantisation
(:func:`photrain.models.converters.quantize_phase`), thermal crosstalk and the
chip's static errors.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.circuits import mesh_solver
from photrain.circuits.mesh_solver import mesh_grid, mesh_transfer
from photrain.cores.checks import check_finite, check_matrix
from photrain.cores.decompose import Decomposition, clements, reck
from photrain.cores.readout import IDEAL, Readout
from photrain.models.checks import check_wavelengths
from photrain.models.converters import quantize_phase
from photrain.models.optics import WL0

TOPOLOGIES = {"clements": clements, "reck": reck}


class MeshSettings(NamedTuple):
    """Heater phases of one mesh on its (column, slot) grid; slot p of column c acts on modes
    (2p + c % 2, 2p + c % 2 + 1). Phases in rad at wl0, in [0, 2 pi)."""

    theta: jax.Array  # (C, P)
    phi: jax.Array  # (C, P)
    active: jax.Array  # (C, P) bool
    out_phase: jax.Array  # (n,)


class MeshChip(NamedTuple):
    """Static fabrication errors of one chip, sampled once (:meth:`MZIMesh.sample_chip`)."""

    coupling_1: jax.Array  # (C, P) power coupling of each MZI's first coupler
    coupling_2: jax.Array  # (C, P)
    theta_offset: jax.Array  # (C, P) rad
    phi_offset: jax.Array  # (C, P) rad
    out_offset: jax.Array  # (n,) rad


class SVDSettings(NamedTuple):
    """Settings of W = scale * U diag(sigma) V^H on two meshes and a column of attenuators."""

    v_mesh: MeshSettings
    u_mesh: MeshSettings
    attenuation: jax.Array  # (n,) amplitude transmission in [0, 1]
    scale: jax.Array  # () largest singular value: the digital rescale factor
    shape: tuple  # (rows, cols) of the target matrix (static)


def settings_from_decomposition(dec: Decomposition, n_columns: int | None = None) -> MeshSettings:
    """Place a decomposition's MZIs on the (column, slot) grid of the structured solver."""
    c, p = mesh_grid(dec.n, n_columns or dec.n_columns)
    theta = np.zeros((c, p))
    phi = np.zeros((c, p))
    active = np.zeros((c, p), dtype=bool)
    slots = (dec.modes - dec.columns % 2) // 2
    theta[dec.columns, slots] = dec.theta
    phi[dec.columns, slots] = dec.phi
    active[dec.columns, slots] = True
    return MeshSettings(jnp.asarray(theta), jnp.asarray(phi), jnp.asarray(active), jnp.asarray(dec.out_phase))


def neighbour_crosstalk(phases, crosstalk: float):
    """Thermal crosstalk within a column: each heater also sees ``crosstalk`` x its neighbours' phase.

    theta_actual[c, p] = theta[c, p] + x (theta[c, p-1] + theta[c, p+1]) (a
    nearest-neighbour thermal coupling matrix; Milanizadeh et al., J. Lightwave
    Technol. 37, 1325 (2019) measure such coupling between adjacent heaters).
    """
    if crosstalk == 0:
        return phases
    left = jnp.pad(phases[..., :-1], [(0, 0)] * (phases.ndim - 1) + [(1, 0)])
    right = jnp.pad(phases[..., 1:], [(0, 0)] * (phases.ndim - 1) + [(0, 1)])
    return phases + crosstalk * (left + right)


class MZIMesh:
    """A coherent N-mode MZI-mesh core with its chip's static errors.

    Args:
        n: number of modes.
        topology: 'clements' (rectangular, N columns) or 'reck' (triangular, 2N-3 columns).
        coupler_sigma: std of each coupler's power coupling around 0.5 (sampled per chip).
        phase_sigma: std of static phase errors of every heater (rad, per chip).
        crosstalk: fraction of a heater's phase seen by each neighbour heater in its column.
        mzi_loss_db: insertion loss per MZI (dB).
        phase_bits: heater DAC resolution over [0, 2 pi) (None = ideal).
        column_length: waveguide length per column (µm), sets dispersion and propagation loss.
        loss_db_per_cm: propagation loss of that waveguide.
        readout: detectors and converters (balanced homodyne detection of each output).
        chip_seed: seed of the chip's static errors.
    """

    def __init__(self, n: int, *, topology: str = "clements", coupler_sigma: float = 0.0, phase_sigma: float = 0.0,
                 crosstalk: float = 0.0, mzi_loss_db: float = 0.0, phase_bits: int | None = None,
                 column_length: float = 0.0, loss_db_per_cm: float = 0.0, wl0: float = WL0,
                 readout: Readout = IDEAL, lo_power: float = 10e-3, chip_seed: int = 0):
        if topology not in TOPOLOGIES:
            raise ValueError(f"unknown topology {topology!r}; choose one of {sorted(TOPOLOGIES)}")
        if int(n) < 2:
            raise ValueError(f"a mesh needs n >= 2 modes; got {n}")
        check_finite(crosstalk=crosstalk, wl0=wl0)
        for name, v in dict(coupler_sigma=coupler_sigma, phase_sigma=phase_sigma, mzi_loss_db=mzi_loss_db,
                            column_length=column_length, loss_db_per_cm=loss_db_per_cm, lo_power=lo_power).items():
            if not v >= 0:
                raise ValueError(f"{name} must be >= 0 (and finite); got {v}")
        if phase_bits is not None and (not isinstance(phase_bits, int | np.integer) or phase_bits < 1):
            raise ValueError(f"phase_bits must be an integer >= 1 (heater DAC bits) or None for ideal heaters; got {phase_bits}")
        check_wavelengths(wl0, "wl0")
        self.n, self.topology = int(n), topology
        self.n_columns = self.n if topology == "clements" else max(2 * self.n - 3, 1)
        self.coupler_sigma, self.phase_sigma, self.crosstalk = coupler_sigma, phase_sigma, crosstalk
        self.mzi_loss_db, self.phase_bits, self.wl0 = mzi_loss_db, phase_bits, wl0
        self.column_length, self.loss_db_per_cm = column_length, loss_db_per_cm
        self.readout, self.lo_power = readout, lo_power
        self.chip = self.sample_chip(jax.random.PRNGKey(chip_seed))

    @property
    def shape(self) -> tuple[int, int]:
        return self.n, self.n

    def passes_per_matvec(self) -> int:
        return 1

    @property
    def n_mzis(self) -> int:
        return self.n * (self.n - 1) // 2

    # ------------------------------------------------------------ devices

    def sample_chip(self, key) -> MeshChip:
        """Draw static coupler and phase errors for one fabricated chip."""
        c, p = mesh_grid(self.n, self.n_columns)
        k1, k2, k3, k4, k5 = jax.random.split(key, 5)
        cs, ps = self.coupler_sigma, self.phase_sigma
        return MeshChip(
            coupling_1=jnp.clip(0.5 + cs * jax.random.normal(k1, (c, p)), 0.0, 1.0),
            coupling_2=jnp.clip(0.5 + cs * jax.random.normal(k2, (c, p)), 0.0, 1.0),
            theta_offset=ps * jax.random.normal(k3, (c, p)),
            phi_offset=ps * jax.random.normal(k4, (c, p)),
            out_offset=ps * jax.random.normal(k5, (self.n,)),
        )

    def program_unitary(self, u) -> MeshSettings:
        """Heater phases realising the unitary ``u`` on an ideal mesh (decomposition, no calibration)."""
        u = np.asarray(u)
        if u.shape != (self.n, self.n):
            raise ValueError(f"unitary shape {u.shape} does not match this {self.n}-mode mesh")
        return settings_from_decomposition(TOPOLOGIES[self.topology](u), self.n_columns)

    def _drive(self, phases):
        """What the heaters are set to: wrapped to [0, 2 pi) and DAC-quantised (crosstalk is applied later)."""
        if self.phase_bits is None:
            return jnp.mod(phases, 2 * jnp.pi)
        return quantize_phase(phases, bits=self.phase_bits)

    def realised_phases(self, settings: MeshSettings):
        """(theta, phi, out_phase) the heaters actually produce at wl0 (rad): DAC, crosstalk and static errors in."""
        chip = self.chip
        theta = np.asarray(neighbour_crosstalk(self._drive(settings.theta), self.crosstalk) + chip.theta_offset)
        phi = np.asarray(neighbour_crosstalk(self._drive(settings.phi), self.crosstalk) + chip.phi_offset)
        out = np.asarray(jnp.mod(self._drive(settings.out_phase) + chip.out_offset, 2 * jnp.pi))
        return theta, phi, out

    def transfer(self, settings: MeshSettings, wl=None, *, ideal: bool = False):
        """Realised transfer matrix (complex, U[out, in]) of the mesh at ``wl`` (µm; default wl0)."""
        if wl is not None:
            check_wavelengths(wl)
        wl = self.wl0 if wl is None else wl
        theta, phi = self._drive(settings.theta), self._drive(settings.phi)
        out = self._drive(settings.out_phase)
        if ideal:
            half = jnp.full(theta.shape, 0.5)
            return mesh_transfer(theta, phi, settings.active, out, half, half, wl, n=self.n, wl0=self.wl0,
                                 n_columns=self.n_columns)
        chip = self.chip
        theta = neighbour_crosstalk(theta, self.crosstalk) + chip.theta_offset
        phi = neighbour_crosstalk(phi, self.crosstalk) + chip.phi_offset
        out = jnp.mod(out + chip.out_offset, 2 * jnp.pi)
        return mesh_transfer(theta, phi, settings.active, out, chip.coupling_1, chip.coupling_2, wl,
                             n=self.n, wl0=self.wl0, mzi_loss_db=self.mzi_loss_db, column_length=self.column_length,
                             loss_db_per_cm=self.loss_db_per_cm, n_columns=self.n_columns)

    # ------------------------------------------------------------ matrices

    def program(self, w) -> SVDSettings:
        """Settings for an arbitrary real or complex matrix W (rows, cols <= n) via SVD.

        W = U Sigma V^H: the input mesh realises V^H, a column of attenuators
        sigma_i / sigma_max (amplitude <= 1, passive), the output mesh U; the
        factor sigma_max cannot be realised passively and is returned as
        ``scale``, applied digitally after detection.
        """
        check_matrix(w, "w")
        w = np.asarray(w)
        if w.ndim != 2 or w.shape[0] > self.n or w.shape[1] > self.n:
            raise ValueError(f"matrix shape {w.shape} does not fit this {self.n}-mode mesh; "
                             "tile it: photrain.cores.program_tiles(mesh, w) and tile_matvec(mesh, tiled, x)")
        if not np.all(np.isfinite(w)):
            raise ValueError("matrix contains NaN or inf")
        padded = np.zeros((self.n, self.n), dtype=complex)
        padded[: w.shape[0], : w.shape[1]] = w
        u, s, vh = np.linalg.svd(padded)
        scale = float(s[0]) if s[0] > 0 else 1.0
        return SVDSettings(self.program_unitary(vh), self.program_unitary(u), jnp.asarray(s / scale),
                           jnp.asarray(scale), tuple(w.shape))

    def _attenuate(self, att):
        # amplitude modulators: MZIs used in bar state; their heaters share the mesh's DAC
        theta = self._drive(2 * jnp.arcsin(jnp.clip(att, 0.0, 1.0)))
        return jnp.sin(theta / 2) * 10 ** (-self.mzi_loss_db / 20)

    def complex_matrix(self, settings: SVDSettings, wl=None):
        """Realised complex matrix (rows x cols, in matrix units) of SVD settings (``v_mesh`` None: U alone)."""
        u = self.transfer(settings.u_mesh, wl)
        if settings.v_mesh is None:
            m = u
        else:
            m = (u * self._attenuate(settings.attenuation)[None, :]) @ self.transfer(settings.v_mesh, wl)
        rows, cols = settings.shape
        return settings.scale * m[..., :rows, :cols]

    def effective_matrix(self, settings: SVDSettings, wl=None):
        """The real matrix the core applies: homodyne detection reads Re(W_realised)."""
        return jnp.real(self.complex_matrix(settings, wl))

    def spectrum(self, settings, wl):
        """The realised complex matrix at wavelengths ``wl`` (µm, any shape): (..., rows, cols).

        ``settings`` from :meth:`program` (W in matrix units) or :meth:`program_unitary` (the mesh's U).
        """
        if isinstance(settings, MeshSettings):
            return self.transfer(settings, wl)
        return self.complex_matrix(settings, wl)

    def matvec(self, x, settings: SVDSettings | MeshSettings, key=None):
        """Batch product y = W x (x: (batch, cols) real) through the physics and the detectors.

        ``settings`` from :meth:`program` (W = U Sigma V^H on two meshes) or
        :meth:`program_unitary` (one mesh: y = Re(U) x read by homodyne detection).

        Inputs drive amplitude/phase modulators: field a = (x / max|x|) sqrt(P)
        per mode (signed via a 0/pi phase), with the input DAC. Each output is
        read by balanced homodyne detection against a local oscillator of
        ``lo_power``: I = 2 R Re(y E_LO*) with shot noise of both diodes and
        thermal noise, then the ADC; the result is rescaled digitally.
        """
        x = jnp.atleast_2d(jnp.asarray(x, dtype=float))
        if isinstance(settings, MeshSettings):
            settings = SVDSettings(None, settings, jnp.ones(self.n), jnp.asarray(1.0), (self.n, self.n))
        rows, cols = settings.shape
        if x.shape[-1] != cols:
            raise ValueError(f"input has {x.shape[-1]} features but the programmed matrix has {cols} columns")
        ro = self.readout
        xmax = jnp.maximum(jnp.max(jnp.abs(x), axis=-1, keepdims=True), 1e-30)
        drive = ro.encode(x / xmax, signed=True)
        amp = drive * jnp.sqrt(ro.power_per_channel)
        k_rin, k_det = (None, None) if key is None else jax.random.split(key)
        m = self.complex_matrix(settings) / settings.scale
        field = amp @ m.T  # (batch, rows), sqrt(W)
        lo = jnp.sqrt(self.lo_power)
        lo = ro.rin(jnp.full(field.shape, lo), k_rin)
        p_plus = jnp.abs(field + lo) ** 2 / 2
        p_minus = jnp.abs(field - lo) ** 2 / 2
        current = ro.balanced(p_plus, p_minus, k_det)
        full = 2 * ro.responsivity * jnp.sqrt(self.lo_power * ro.power_per_channel * cols)
        current = ro.digitise(current, full)
        return current / (2 * ro.responsivity * jnp.sqrt(self.lo_power * ro.power_per_channel)) * xmax * settings.scale


def fidelity(u_target, u_real):
    """|tr(U_target^H U_real)| / N: 1 for a perfect unitary up to a global phase."""
    u_target, u_real = jnp.asarray(u_target), jnp.asarray(u_real)
    return jnp.abs(jnp.trace(u_target.conj().T @ u_real)) / u_target.shape[0]


def relative_error(target, real):
    """Normalised Frobenius error ||real - target||_F / ||target||_F."""
    return jnp.linalg.norm(jnp.asarray(real) - jnp.asarray(target)) / jnp.linalg.norm(jnp.asarray(target))


def mesh_netlist(mesh: MZIMesh, settings: MeshSettings) -> dict:
    """The sax netlist of ``mesh`` programmed with ``settings``: the phases its heaters realise
    (:meth:`MZIMesh.realised_phases`) and its chip's couplers, through
    :func:`photrain.circuits.mesh_solver.mesh_netlist`. Ports ``in{m}`` and ``out{m}``."""
    theta, phi, out = mesh.realised_phases(settings)
    chip = mesh.chip
    return mesh_solver.mesh_netlist(theta, phi, settings.active, out, chip.coupling_1, chip.coupling_2, n=mesh.n,
                                    n_columns=mesh.n_columns, mzi_loss_db=mesh.mzi_loss_db,
                                    column_length=mesh.column_length, loss_db_per_cm=mesh.loss_db_per_cm, wl0=mesh.wl0)
