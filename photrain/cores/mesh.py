"""Coherent MZI-mesh tensor core (Clements / Reck, SVD for arbitrary matrices).

The mesh is solved by the circuits layer's structured column-scan solver
(:func:`photrain.circuits.mesh_solver.mesh_transfer`, checked against a sax
solve of its netlist twin :func:`photrain.circuits.mesh_solver.mesh_netlist`)
with the phases the core's heaters realise: DAC quantisation
(:func:`photrain.models.converters.quantize_phase`), thermal crosstalk and the
chip's static errors.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.circuits import mesh_solver
from photrain.circuits.mesh_solver import mesh_grid, mesh_transfer
from photrain.cores.checks import check_finite, check_matrix
from photrain.cores.decompose import Decomposition, clements, clements_batch, reck
from photrain.cores.gauge import fix_gauge
from photrain.cores.gst_attenuator import GSTAttenuator
from photrain.cores.mesh_tiles import MeshTiles, mesh_tiles_matvec
from photrain.cores.readout import IDEAL, Readout
from photrain.counter_hash import fabrication_normal
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


class _MeshSpec(NamedTuple):
    """The static parameters of a mesh's physics (hashable: one compiled realisation per distinct mesh)."""

    n: int
    n_columns: int
    phase_bits: int | None
    crosstalk: float
    wl0: float
    mzi_loss_db: float
    column_length: float
    loss_db_per_cm: float
    compensate_crosstalk: bool = False
    gst: GSTAttenuator | None = None  # GST-cell attenuators (None: heater-tuned MZIs)


def _heater_drive(phases, bits):
    """What heaters are set to: wrapped to [0, 2 pi) and DAC-quantised (:func:`quantize_phase`; ideal for None)."""
    return jnp.mod(phases, 2 * jnp.pi) if bits is None else quantize_phase(phases, bits=bits)


#: fixed-point steps of the crosstalk pre-compensation (each shrinks the residual by 2 x crosstalk or more)
COMPENSATION_STEPS = 6


def _column_drive(phases, active, spec: _MeshSpec):
    """Drive of the theta or phi heaters (columns x slots): wrapped and DAC-quantised; with
    ``spec.compensate_crosstalk`` pre-compensated for the column's thermal crosstalk.

    The compensation inverts :func:`neighbour_crosstalk` by the fixed point
    d = wrap(phases - x (d[p-1] + d[p+1])) on the drawn (active) heaters, so the heaters produce
    ``phases`` (mod 2 pi) up to the DAC step: the cancellation of a measured thermal-crosstalk matrix
    of Milanizadeh et al., J. Lightwave Technol. 37, 1325 (2019). Without it (the default) the
    crosstalk is an uncorrected static error.
    """
    if not spec.compensate_crosstalk or spec.crosstalk == 0:
        return _heater_drive(phases, spec.phase_bits)
    mask = jnp.asarray(active, dtype=jnp.result_type(phases, float))
    d = jnp.mod(phases, 2 * jnp.pi) * mask
    for _ in range(COMPENSATION_STEPS):
        d = jnp.mod(phases - (neighbour_crosstalk(d, spec.crosstalk) - d), 2 * jnp.pi) * mask
    return _heater_drive(d, spec.phase_bits) * mask


def _realised_transfer(settings: MeshSettings, chip: MeshChip, spec: _MeshSpec, wl):
    """Transfer of a mesh with its heater DAC, thermal crosstalk and the chip's static errors."""
    theta = neighbour_crosstalk(_column_drive(settings.theta, settings.active, spec), spec.crosstalk) + chip.theta_offset
    phi = neighbour_crosstalk(_column_drive(settings.phi, settings.active, spec), spec.crosstalk) + chip.phi_offset
    out = jnp.mod(_heater_drive(settings.out_phase, spec.phase_bits) + chip.out_offset, 2 * jnp.pi)
    return mesh_transfer(theta, phi, settings.active, out, chip.coupling_1, chip.coupling_2, wl,
                         n=spec.n, wl0=spec.wl0, mzi_loss_db=spec.mzi_loss_db, column_length=spec.column_length,
                         loss_db_per_cm=spec.loss_db_per_cm, n_columns=spec.n_columns)


def _attenuation(att, spec: _MeshSpec):
    """Amplitude transmission of the attenuator column for requested relative amplitudes ``att``: MZIs whose theta
    heater (on the mesh's DAC) sets sin(theta/2), or the nearest reachable amplitude of a GST cascade
    (:meth:`GSTAttenuator.realise`, its insertion loss included: :func:`_attenuator_gain` takes it back)."""
    if spec.gst is not None:
        return spec.gst.realise(att)
    theta = _heater_drive(2 * jnp.arcsin(jnp.clip(att, 0.0, 1.0)), spec.phase_bits)
    return jnp.sin(theta / 2) * 10 ** (-spec.mzi_loss_db / 20)


def _attenuator_gain(spec: _MeshSpec) -> float:
    """The attenuator column's known insertion amplitude, divided out digitally: 1 for MZIs (their loss is a
    static error), T_a^(cells/2) for a GST cascade (a design constant of the cells)."""
    return 1.0 if spec.gst is None else spec.gst.insertion_amplitude


@partial(jax.jit, static_argnames=("spec",))
def _realise_tiles(v_set: MeshSettings, u_set: MeshSettings, att, chip: MeshChip, spec: _MeshSpec):
    """Realised U diag(a) V of a stack of tiles (leading axis of every settings leaf), at wl0."""

    def one(v, u, a):
        return (_realised_transfer(u, chip, spec, spec.wl0) * _attenuation(a, spec)[None, :]) @ \
            _realised_transfer(v, chip, spec, spec.wl0)

    return jax.vmap(one)(v_set, u_set, att)


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
        crosstalk: fraction of a heater's phase seen by each neighbour heater in its column (the drawn
            Clements cell's: :data:`photrain.layout.heater_layout.MESH_HEATER_CROSSTALK`).
        compensate_crosstalk: pre-compensate the heater drives for that crosstalk (a calibrated chip,
            :func:`_column_drive`); False leaves it an uncorrected static error.
        attenuator: the SVD attenuator column: None for heater-tuned MZIs, or a
            :class:`~photrain.cores.gst_attenuator.GSTAttenuator` (non-volatile GST cells, no hold power).
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
                 readout: Readout = IDEAL, lo_power: float = 10e-3, chip_seed: int = 0,
                 compensate_crosstalk: bool = False, attenuator: GSTAttenuator | None = None):
        if attenuator is not None and not isinstance(attenuator, GSTAttenuator):
            raise ValueError(f"attenuator must be None (heater-tuned MZIs) or a photrain.cores.GSTAttenuator; "
                             f"got {attenuator!r}")
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
        self.compensate_crosstalk = bool(compensate_crosstalk)
        self.mzi_loss_db, self.phase_bits, self.wl0 = mzi_loss_db, phase_bits, wl0
        self.column_length, self.loss_db_per_cm = column_length, loss_db_per_cm
        self.readout, self.lo_power = readout, lo_power
        self.attenuator = attenuator
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
        """Draw static coupler and phase errors for one fabricated chip (``key``: a concrete key; the normals are
        ``jax.random.normal``'s, drawn on the host from a shared compiled draw:
        :func:`~photrain.counter_hash.fabrication_normal`)."""
        c, p = mesh_grid(self.n, self.n_columns)
        k1, k2, k3, k4, k5 = jax.random.split(key, 5)
        cs, ps = self.coupler_sigma, self.phase_sigma
        return MeshChip(
            coupling_1=jnp.asarray(np.clip(0.5 + cs * fabrication_normal(k1, (c, p)), 0.0, 1.0)),
            coupling_2=jnp.asarray(np.clip(0.5 + cs * fabrication_normal(k2, (c, p)), 0.0, 1.0)),
            theta_offset=jnp.asarray(ps * fabrication_normal(k3, (c, p))),
            phi_offset=jnp.asarray(ps * fabrication_normal(k4, (c, p))),
            out_offset=jnp.asarray(ps * fabrication_normal(k5, (self.n,))),
        )

    def program_unitary(self, u) -> MeshSettings:
        """Heater phases realising the unitary ``u`` on an ideal mesh (decomposition, no calibration)."""
        u = np.asarray(u)
        if u.shape != (self.n, self.n):
            raise ValueError(f"unitary shape {u.shape} does not match this {self.n}-mode mesh")
        return settings_from_decomposition(TOPOLOGIES[self.topology](u), self.n_columns)

    @property
    def _spec(self) -> _MeshSpec:
        return _MeshSpec(self.n, self.n_columns, self.phase_bits, float(self.crosstalk), float(self.wl0),
                         float(self.mzi_loss_db), float(self.column_length), float(self.loss_db_per_cm),
                         self.compensate_crosstalk, self.attenuator)

    def _drive(self, phases):
        """What the heaters are set to: wrapped to [0, 2 pi) and DAC-quantised (crosstalk is applied later)."""
        return _heater_drive(phases, self.phase_bits)

    def realised_phases(self, settings: MeshSettings):
        """(theta, phi, out_phase) the heaters actually produce at wl0 (rad): DAC, crosstalk and static errors in."""
        chip, spec = self.chip, self._spec
        theta = np.asarray(neighbour_crosstalk(_column_drive(settings.theta, settings.active, spec), self.crosstalk)
                           + chip.theta_offset)
        phi = np.asarray(neighbour_crosstalk(_column_drive(settings.phi, settings.active, spec), self.crosstalk)
                         + chip.phi_offset)
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
        return _realised_transfer(settings, self.chip, self._spec, wl)

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
        padded = np.zeros((1, self.n, self.n), dtype=complex)
        padded[0, : w.shape[0], : w.shape[1]] = w
        u, s, vh = self.svd(padded)
        u, s, vh = u[0], s[0], vh[0]
        scale = float(s[0]) if s[0] > 0 else 1.0
        return SVDSettings(self.program_unitary(vh), self.program_unitary(u), jnp.asarray(s / scale),
                           jnp.asarray(scale), tuple(w.shape))

    def svd(self, blocks):
        """SVD of a stack of n x n blocks (T, n, n) in photrain's gauge (:func:`photrain.cores.gauge.fix_gauge`:
        canonical singular vectors, then the diagonal phases that minimise the meshes' total heater phase), so
        the phases, and the heater power, do not depend on the LAPACK build. Returns (u, s, vh)."""
        u, s, vh = np.linalg.svd(np.asarray(blocks, dtype=complex))
        u, vh = fix_gauge(u, s, vh, self.topology)
        return u, s, vh

    def _attenuate(self, att):
        return _attenuation(att, self._spec)

    def complex_matrix(self, settings: SVDSettings, wl=None):
        """Realised complex matrix (rows x cols, in matrix units) of SVD settings (``v_mesh`` None: U alone)."""
        u = self.transfer(settings.u_mesh, wl)
        if settings.v_mesh is None:
            m = u
        else:
            m = (u * self._attenuate(settings.attenuation)[None, :]) @ self.transfer(settings.v_mesh, wl)
            m = m / _attenuator_gain(self._spec)
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
        :meth:`program_unitary` (one mesh: y = Re(U) x read by homodyne detection);
        the detection is :func:`mesh_tiles_matvec`'s on one tile.
        """
        x = jnp.atleast_2d(jnp.asarray(x, dtype=float))
        if isinstance(settings, MeshSettings):
            settings = SVDSettings(None, settings, jnp.ones(self.n), jnp.asarray(1.0), (self.n, self.n))
        rows, cols = settings.shape
        if x.shape[-1] != cols:
            raise ValueError(f"input has {x.shape[-1]} features but the programmed matrix has {cols} columns")
        gain = _attenuator_gain(self._spec) if settings.v_mesh is not None else 1.0  # the field keeps the GST loss
        m = jnp.zeros((self.n, self.n), complex).at[:rows, :cols].set(self.complex_matrix(settings)
                                                                      * (gain / settings.scale))
        tiles = MeshTiles(m[None, None], jnp.reshape(settings.scale / gain, (1, 1)), (rows, cols))
        return mesh_tiles_matvec(x, tiles, key, readout=self.readout, lo_power=self.lo_power)

    # ------------------------------------------------------------ tiled matrices, programmed at once

    def _grid_settings(self, unitaries) -> MeshSettings:
        """Heater settings of a stack of unitaries (T, n, n) on the grid: leaves with a leading T axis."""
        t = unitaries.shape[0]
        if self.topology == "clements":
            modes, columns, theta, phi, out = clements_batch(unitaries)
        else:
            decs = [reck(u) for u in unitaries]
            modes, columns = decs[0].modes, decs[0].columns
            theta, phi = np.stack([d.theta for d in decs]), np.stack([d.phi for d in decs])
            out = np.stack([d.out_phase for d in decs])
        c, p = mesh_grid(self.n, self.n_columns)
        th, ph, active = np.zeros((t, c, p)), np.zeros((t, c, p)), np.zeros((c, p), dtype=bool)
        slots = (modes - columns % 2) // 2
        th[:, columns, slots], ph[:, columns, slots], active[columns, slots] = theta, phi, True
        return MeshSettings(jnp.asarray(th), jnp.asarray(ph), jnp.broadcast_to(jnp.asarray(active), (t, c, p)),
                            jnp.asarray(out))

    def _tile_settings(self, w):
        """Heater settings of every n x n tile of ``w`` (zero-padded): (v_set, u_set, attenuation (T, n), scale (T,))."""
        n, (rows, cols) = self.n, w.shape
        n_r, n_c = -(-rows // n), -(-cols // n)
        padded = np.zeros((n_r * n, n_c * n), dtype=complex)
        padded[:rows, :cols] = w
        u, s, vh = self.svd(padded.reshape(n_r, n, n_c, n).transpose(0, 2, 1, 3).reshape(n_r * n_c, n, n))
        scale = np.where(s[:, 0] > 0, s[:, 0], 1.0)
        return self._grid_settings(vh), self._grid_settings(u), jnp.asarray(s / scale[:, None]), scale

    def heater_phases(self, w) -> np.ndarray:
        """Every heater phase (rad, in [0, 2 pi)) of the tiles that program ``w`` (:meth:`compile`): theta and phi of
        the MZIs of both meshes, their output screens and the attenuator thetas; what the heaters hold, ideal drive."""
        check_matrix(w, "w")
        v_set, u_set, att, _ = self._tile_settings(np.asarray(w))
        phases = []
        for st in (v_set, u_set):
            active = np.asarray(st.active[0])
            phases += [np.asarray(st.theta)[:, active], np.asarray(st.phi)[:, active], np.asarray(st.out_phase)]
        phases.append(2 * np.arcsin(np.clip(np.asarray(att), 0.0, 1.0)))
        return np.concatenate([p.reshape(p.shape[0], -1) for p in phases], axis=1)

    def compile(self, w) -> MeshTiles:
        """Program a matrix of any size as N x N tiles, each by SVD on two meshes and an attenuator column.

        Block (r, c) of ``w`` (zero-padded to whole tiles) is W_rc = s_rc U Sigma V^H: the
        input mesh realises V^H, the attenuators Sigma / s_rc, the output mesh U, all tiles
        decomposed together (:func:`photrain.cores.decompose.clements_batch`); the result holds
        each tile's *realised* complex matrix (heater DAC, crosstalk and the chip's static
        errors in) divided by s_rc, and s_rc, the digital rescale. This runs on the host
        (NumPy SVD and decomposition, then the column-scan solver), not inside a jitted step.
        """
        if isinstance(w, jax.core.Tracer):
            raise ValueError("an MZI mesh is programmed on the host (SVD + Clements decomposition), not inside a "
                             "jitted training step: call MZIMesh.compile(w) with concrete weights, outside jax.jit")
        check_matrix(w, "w")
        w = np.asarray(w)
        n, (rows, cols) = self.n, w.shape
        n_r, n_c = -(-rows // n), -(-cols // n)
        v_set, u_set, att, scale = self._tile_settings(w)
        m = _realise_tiles(v_set, u_set, att, self.chip, self._spec)
        scale = scale / _attenuator_gain(self._spec)  # the GST cascade's known insertion loss, taken back digitally
        return MeshTiles(m.reshape(n_r, n_c, n, n).astype(jnp.complex64),
                         jnp.asarray(scale.reshape(n_r, n_c), jnp.float32), (rows, cols))


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
