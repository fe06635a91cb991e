"""Coherent MZI-mesh tensor core (Clements / Reck, SVD for arbitrary matrices).

The structured solver composes the mesh column by column: each column is a
row of 2x2 MZI blocks (:func:`photrain.models.mzi.mzi_matrix`, the same
function the ``mzi2x2`` S-parameter model uses, so device errors live in the
devices) applied to all modes at once, scanned over columns with
``jax.lax.scan``. It agrees with a sax solve of the equivalent netlist
(:func:`mesh_netlist`) to machine precision and is orders of magnitude faster.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores._checks import check_finite, check_matrix
from photrain.cores.decompose import Decomposition, clements, reck
from photrain.cores.readout import IDEAL, Readout
from photrain.models._checks import check_wavelengths
from photrain.models.mzi import mzi_matrix
from photrain.models.optics import NEFF, NG, WL0, propagation
from photrain.models.phase_shifters import thermo_optic_phase

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


def _grid(n: int, n_columns: int):
    p = max(n // 2, 1)
    c = n_columns + (n_columns % 2)  # even, for the column-pair scan
    return c, p


def settings_from_decomposition(dec: Decomposition, n_columns: int | None = None) -> MeshSettings:
    """Place a decomposition's MZIs on the (column, slot) grid of the structured solver."""
    c, p = _grid(dec.n, n_columns or dec.n_columns)
    theta = np.zeros((c, p))
    phi = np.zeros((c, p))
    active = np.zeros((c, p), dtype=bool)
    slots = (dec.modes - dec.columns % 2) // 2
    theta[dec.columns, slots] = dec.theta
    phi[dec.columns, slots] = dec.phi
    active[dec.columns, slots] = True
    return MeshSettings(jnp.asarray(theta), jnp.asarray(phi), jnp.asarray(active), jnp.asarray(dec.out_phase))


@partial(jax.jit, static_argnames=("n", "n_columns"))
def mesh_transfer(theta, phi, active, out_phase, coupling_1, coupling_2, wl, *, n: int, wl0: float = WL0,
                  mzi_loss_db: float = 0.0, column_length: float = 0.0, loss_db_per_cm: float = 0.0,
                  n_columns: int | None = None):
    """Transfer matrix U[..., out, in] of a mesh at wavelengths ``wl`` (µm, any shape).

    Heater phases scale thermo-optically as wl0 / wl; every mode crosses
    ``column_length`` µm of waveguide per physical column (``n_columns``, default
    all grid columns: a grid padded to an even column count has one column
    of nothing more); each MZI loses ``mzi_loss_db`` (split over its two
    couplers). Slots that would couple a real mode to the padding mode (the
    last slot of odd columns for even ``n``) are never active. All wavelengths
    go through the column scan together; the state is kept as even and odd
    modes, so that a column is elementwise multiply-adds over (wavelength, slot, input).
    Differentiable in all array arguments.
    """
    wl = jnp.asarray(wl, dtype=float)
    wls = wl.reshape(-1)
    c, p = theta.shape
    n_e = 2 * p + 2  # modes on the grid plus padding, even: every column pairs them up
    n_columns = c if n_columns is None else n_columns
    wl_col = wls[:, None]  # (W, 1): every slot of a column sees the same wavelengths
    prop = propagation(wls, length=column_length, neff=NEFF, ng=NG, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    slot = jnp.arange(p)
    valid = jnp.stack([2 * slot + 1 < n, 2 * slot + 2 < n])  # (parity, P): both modes of the slot are real
    active = active & jnp.tile(valid, (c // 2, 1))

    def column(col):
        """The column's 2x2 blocks (W, P, 1) each: t00, t01, t10, t11; inactive slots are identities."""
        th, ph, act, k1, k2 = col
        t = mzi_matrix(thermo_optic_phase(th[None], wl=wl_col, wl0=wl0), thermo_optic_phase(ph[None], wl=wl_col, wl0=wl0),
                       coupling_1=k1[None], coupling_2=k2[None],
                       coupler_loss_db=mzi_loss_db / 2)  # (W, P, 2, 2)
        t = jnp.where(act[None, :, None, None], t, jnp.eye(2, dtype=t.dtype))
        return t[:, :, 0, 0, None], t[:, :, 0, 1, None], t[:, :, 1, 0, None], t[:, :, 1, 1, None]

    def step(state, cols):
        # state: even modes e[s] = x[2s] and odd modes o[s] = x[2s + 1], each (W, p + 1, n)
        e, o = state
        even, odd = cols
        t00, t01, t10, t11 = column(even)  # slot s on modes (2s, 2s + 1): e[s], o[s]; slot p is padding
        e_new = t00 * e[:, :p] + t01 * o[:, :p]
        o_new = t10 * e[:, :p] + t11 * o[:, :p]
        e = jnp.concatenate([e_new, e[:, p:]], axis=1)
        o = jnp.concatenate([o_new, o[:, p:]], axis=1)
        t00, t01, t10, t11 = column(odd)  # slot s on modes (2s + 1, 2s + 2): o[s], e[s + 1]
        o_new = t00 * o[:, :p] + t01 * e[:, 1:]
        e_new = t10 * o[:, :p] + t11 * e[:, 1:]
        e = jnp.concatenate([e[:, :1], e_new], axis=1)
        o = jnp.concatenate([o_new, o[:, p:]], axis=1)
        return (e, o), None

    def pairs(a):
        return a.reshape(c // 2, 2, *a.shape[1:]).swapaxes(0, 1)

    cols = (theta, phi, active, coupling_1, coupling_2)
    even = tuple(pairs(a)[0] for a in cols)
    odd = tuple(pairs(a)[1] for a in cols)
    eye = jnp.eye(n_e, n, dtype=complex)
    e0 = jnp.broadcast_to(eye[0::2], (wls.size, n_e // 2, n))
    o0 = jnp.broadcast_to(eye[1::2], (wls.size, n_e // 2, n))
    (e, o), _ = jax.lax.scan(step, (e0, o0), (even, odd))
    x = jnp.stack([e, o], axis=2).reshape(wls.size, n_e, n)
    u = x[:, :n, :] * (prop**n_columns)[:, None, None]
    u = jnp.exp(1j * thermo_optic_phase(out_phase[None, :], wl=wl_col, wl0=wl0))[:, :, None] * u
    return u.reshape(*wl.shape, n, n)


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
        c, p = _grid(self.n, self.n_columns)
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

    def _quantise_phase(self, phases):
        """Heater DAC: phases rounded to 2^phase_bits levels over [0, 2 pi) (identity when phase_bits is None)."""
        if self.phase_bits is None:
            return phases
        lsb = 2 * jnp.pi / 2**self.phase_bits
        return jnp.round(phases / lsb) * lsb

    def _drive(self, phases):
        """What the heaters are set to: wrapped to [0, 2 pi) and DAC-quantised (crosstalk is applied later)."""
        return jnp.mod(self._quantise_phase(jnp.mod(phases, 2 * jnp.pi)), 2 * jnp.pi)

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
        theta = self._quantise_phase(2 * jnp.arcsin(jnp.clip(att, 0.0, 1.0)))
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
    """The sax netlist of a mesh (mzi2x2, straights for idle modes, output phase shifters), for reference solves.

    Chip errors and crosstalk are applied as in :meth:`MZIMesh.transfer`; ports
    ``in{m}`` and ``out{m}``.
    """
    from photrain.models.phase_shifters import P_PI_THERMAL

    chip = mesh.chip
    theta, phi, out = mesh.realised_phases(settings)
    active = np.asarray(settings.active)
    n, p = mesh.n, active.shape[1]
    instances, connections, inputs = {}, {}, {}
    last = {m: None for m in range(n)}  # mode -> "inst,port" of its latest output

    def feed(mode, inst, port):
        if last[mode] is not None:
            connections[last[mode]] = f"{inst},{port}"
        else:
            inputs[mode] = f"{inst},{port}"

    wg = {"component": "straight", "settings": {"length": mesh.column_length, "loss_db_per_cm": mesh.loss_db_per_cm,
                                                "wl0": mesh.wl0}}
    for col in range(mesh.n_columns):  # the grid's padding column (odd column counts) is not on the chip
        parity = col % 2
        covered = set()
        for slot in range(p):
            m = 2 * slot + parity
            if m + 1 >= n or not active[col, slot]:
                continue
            name = f"mzi_{col}_{slot}"
            instances[name] = {"component": "mzi2x2", "settings": {
                "theta": float(theta[col, slot]), "phi": float(phi[col, slot]),
                "coupling_1": float(chip.coupling_1[col, slot]), "coupling_2": float(chip.coupling_2[col, slot]),
                "coupler_loss_db": mesh.mzi_loss_db / 2, "arm_length": mesh.column_length, "delta_length": 0.0,
                "loss_db_per_cm": mesh.loss_db_per_cm, "wl0": mesh.wl0}}
            feed(m, name, "o1")
            feed(m + 1, name, "o2")
            last[m], last[m + 1] = f"{name},o4", f"{name},o3"
            covered |= {m, m + 1}
        for m in range(n):
            if m not in covered:
                name = f"wg_{col}_{m}"
                instances[name] = wg
                feed(m, name, "o1")
                last[m] = f"{name},o2"
    ports = {}
    for m in range(n):
        name = f"ps_{m}"
        power = float(out[m]) * P_PI_THERMAL / np.pi
        instances[name] = {"component": "phase_shifter_thermal", "settings": {
            "power": power, "length": 0.0, "loss_db_per_cm": 0.0, "wl0": mesh.wl0}}
        feed(m, name, "o1")
        ports[f"out{m}"] = f"{name},o2"
    for m, ref in inputs.items():
        ports[f"in{m}"] = ref
    return {"instances": instances, "connections": connections, "ports": ports}
