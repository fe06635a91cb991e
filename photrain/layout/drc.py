"""Design-rule check of GDS layouts with KLayout's DRC engine and photrain's deck for the generic PDK.

The deck (``drc_generic.yml``, shipped with the package) lists rules by kind:
width, space, separation, enclosing, inside, overlap and heated (see the deck's
header). Each rule runs as a ``klayout.db.Region`` check (the engine behind
KLayout's ``.lydrc`` scripts) on the flattened layout, in database units.

    report = run_drc("chip.gds")
    report.counts            # {"VIA.WG.1": 2, ...}
    report.write_markers("chip_drc.gds")   # layout + markers on DRC_MARKER (205/0)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

DECK = Path(__file__).with_name("drc_generic.yml")
MARKER_LAYER = (205, 0)  # gdsfactory generic PDK's DRC_MARKER
HEATER_EDGE_OVER_WG = 1.0  # µm: a heater edge running this far over a waveguide is one along it, not across


@dataclasses.dataclass(frozen=True)
class Violation:
    """One rule violation: rule name, its description, marker bbox (µm) and centre (x, y) in µm."""

    rule: str
    doc: str
    x: float
    y: float
    bbox: tuple[float, float, float, float]

    def __str__(self) -> str:
        return f"{self.rule} at ({self.x:.3f}, {self.y:.3f}) µm: {self.doc}"


@dataclasses.dataclass
class DRCReport:
    """Result of :func:`run_drc`: every violation, counts per rule, and the layout checked."""

    violations: list[Violation]
    rules: list[str]
    source: str
    _layout: Any = dataclasses.field(default=None, repr=False)
    _cell: Any = dataclasses.field(default=None, repr=False)
    _markers: list = dataclasses.field(default_factory=list, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.violations:
            out[v.rule] = out.get(v.rule, 0) + 1
        return out

    @property
    def clean(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        if self.clean:
            return f"{self.source}: DRC clean ({len(self.rules)} rules)"
        per = ", ".join(f"{k}: {n}" for k, n in sorted(self.counts.items()))
        return f"{self.source}: {len(self.violations)} DRC violation(s) ({per})"

    def write_markers(self, path: str | Path) -> Path:
        """Write the checked layout with one marker polygon and label per violation on layer 205/0."""
        import klayout.db as kdb

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        layer = self._layout.layer(*MARKER_LAYER)
        shapes = self._cell.shapes(layer)
        for v, marker in zip(self.violations, self._markers, strict=True):
            shapes.insert(marker)
            shapes.insert(kdb.Text(v.rule, kdb.Trans(marker.bbox().center())))
        self._layout.write(str(path))
        return path


def load_deck(path: str | Path | None = None) -> dict:
    """Read a DRC deck (default: the generic-PDK deck shipped with photrain) and check its entries."""
    path = Path(path) if path is not None else DECK
    if not path.exists():
        raise FileNotFoundError(f"DRC deck {str(path)!r} does not exist; the default is {DECK}")
    if not path.is_file():
        raise ValueError(f"DRC deck {str(path)!r} is a folder; give a deck YAML file (the default is {DECK})")
    try:
        deck = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ValueError(f"{path}: not a YAML file{at}; a DRC deck is YAML like {DECK}") from None
    if not isinstance(deck, dict) or "rules" not in deck or "layers" not in deck:
        raise ValueError(f"{path}: a DRC deck needs 'layers' (name: [layer, datatype]) and 'rules'")
    layers, rules = deck["layers"], deck["rules"]
    if not isinstance(layers, dict) or not all(
            isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                                                and 0 <= n < 2**16 for n in v) for v in layers.values()):
        raise ValueError(f"{path}: 'layers' must map names to [layer, datatype] (integers in [0, 65535]), e.g. WG: [1, 0]")
    if not isinstance(rules, list) or not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in rules):
        raise ValueError(f"{path}: 'rules' must be a list of rules with a name and a kind, e.g. "
                         "- {name: WG.W.1, kind: width, layer: WG, value: 0.3}")
    for rule in rules:
        value = rule.get("value", 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e4:
            raise ValueError(f"{path}: rule {rule['name']!r} has value {value!r}; give a length in µm in [0, 10000)")
        angle = rule.get("ignore_angle", 45)
        if isinstance(angle, bool) or not isinstance(angle, int | float) or not 0 <= angle <= 90:
            raise ValueError(f"{path}: rule {rule['name']!r} has ignore_angle {angle!r}; give degrees in [0, 90]")
        if rule.get("metrics", "euclidian") not in ("euclidian", "projection"):
            raise ValueError(f"{path}: rule {rule['name']!r} has metrics {rule['metrics']!r}; use euclidian or projection")
        kind = rule.get("kind")
        if kind not in _CHECKS:
            raise ValueError(f"{path}: rule {rule.get('name')!r} has kind {kind!r}; use one of {sorted(_CHECKS)}")
        for key in ("layer", "layer2") if kind in _TWO_LAYERS else ("layer",):
            if not isinstance(rule.get(key), str) or rule[key] not in deck["layers"]:
                raise ValueError(f"{path}: rule {rule['name']!r} names {key} {rule.get(key)!r}, not one of its layers "
                                 f"{sorted(deck['layers'])}")
    return deck


def _layout_of(source):
    """(layout, top cell, name) of a GDS path or a gdsfactory Component."""
    import klayout.db as kdb

    if hasattr(source, "kdb_cell") or hasattr(source, "_kdb_cell"):
        layout = kdb.Layout()
        cell = getattr(source, "kdb_cell", None) or source._kdb_cell
        layout.dbu = cell.layout().dbu
        top = layout.create_cell(cell.name)
        top.copy_tree(cell)
        return layout, top, cell.name
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"layout {str(path)!r} does not exist; write one with `photrain layout ... -o file.gds`")
    layout = kdb.Layout()
    try:
        layout.read(str(path))
    except RuntimeError as err:
        raise ValueError(f"{path}: not a readable GDS/OASIS layout ({err})") from err
    tops = layout.top_cells()
    if not tops:
        raise ValueError(f"{path}: the layout has no cells")
    top = max(tops, key=lambda c: c.bbox().area())
    return layout, top, str(path)


def _ep_markers(ep):
    return [p for p in ep.polygons(1)]  # edge pairs -> polygons (1 dbu enlarged so lines show)


def _opts(rule):
    """(metrics, ignore_angle) of a rule: Euclidian, or ``metrics: projection`` comparing only edges that
    run within ``ignore_angle`` (default 45) degrees of parallel (curved shapes drawn as polygons)."""
    import klayout.db as kdb

    if rule.get("metrics", "euclidian") == "projection":
        return kdb.Region.Projection, float(rule.get("ignore_angle", 45))
    return kdb.Region.Euclidian, 90.0


def _check_width(r, rule, d, regions):
    metrics, angle = _opts(rule)
    return _ep_markers(r.width_check(d, False, metrics, angle))


def _check_space(r, rule, d, regions):
    metrics, angle = _opts(rule)
    return _ep_markers(r.space_check(d, False, metrics, angle))


def _check_separation(r, rule, d, regions):
    metrics, angle = _opts(rule)
    return _ep_markers(r.separation_check(regions[rule["layer2"]], d, False, metrics, angle))


def _check_enclosing(r, rule, d, regions):
    return _ep_markers(r.enclosing_check(regions[rule["layer2"]], d))


def _check_inside(r, rule, d, regions):
    return list(regions[rule["layer2"]].not_inside(r).each())


def _check_overlap(r, rule, d, regions):
    return list((r & regions[rule["layer2"]]).each())


def _check_heated(r, rule, d, regions):
    import klayout.db as kdb

    wg = regions[rule["layer2"]]
    # the waveguide's own sides under the heater (not the cuts where a heater ends across it) against the heater's sides
    sides = wg.edges().inside_part(r)
    ep = r.edges().enclosing_check(sides, d, False, kdb.Region.Projection, 45, None, None)
    markers = _ep_markers(ep)
    dbu = regions["_dbu"]
    along = r.edges().inside_part(wg).with_length(int(round(HEATER_EDGE_OVER_WG / dbu)), None, False)
    markers += [kdb.Polygon(e.bbox().enlarged(1, 1)) for e in along.each()]
    return markers


_CHECKS = {
    "width": _check_width,
    "space": _check_space,
    "separation": _check_separation,
    "enclosing": _check_enclosing,
    "inside": _check_inside,
    "overlap": _check_overlap,
    "heated": _check_heated,
}
#: the kinds that compare ``layer`` with ``layer2``
_TWO_LAYERS = ("separation", "enclosing", "inside", "overlap", "heated")


def run_drc(source, deck: str | Path | dict | None = None) -> DRCReport:
    """Run the deck on a GDS file or gdsfactory Component; returns a :class:`DRCReport`.

    Every shape of the top cell's hierarchy is checked (flattened, merged per layer).
    """
    import klayout.db as kdb

    deck = deck if isinstance(deck, dict) else load_deck(deck)
    layout, top, name = _layout_of(source)
    dbu = layout.dbu
    regions: dict[str, Any] = {"_dbu": dbu}
    for lname, (layer, datatype) in deck["layers"].items():
        idx = layout.find_layer(int(layer), int(datatype))
        region = kdb.Region(top.begin_shapes_rec(idx)) if idx is not None else kdb.Region()
        region.merge()
        regions[lname] = region
    violations, markers = [], []
    for rule in deck["rules"]:
        d = int(round(float(rule.get("value", 0.0)) / dbu))
        found = kdb.Region(_CHECKS[rule["kind"]](regions[rule["layer"]], rule, d, regions))
        for poly in found.merged().each():  # one violation per cluster of touching markers
            box = poly.bbox()
            c = box.center()
            violations.append(Violation(rule["name"], rule.get("doc", ""), c.x * dbu, c.y * dbu,
                                        (box.left * dbu, box.bottom * dbu, box.right * dbu, box.top * dbu)))
            markers.append(poly)
    return DRCReport(violations, [r["name"] for r in deck["rules"]], name, layout, top, markers)
