"""Pictures of layouts: KLayout's LayoutView renders a GDS file to PNG (no display needed)."""

from __future__ import annotations

from pathlib import Path

#: layers left out of pictures by default (gdsfactory generic PDK): the floorplan fill hides everything under it
HIDDEN = ((64, 0),)


def render_png(gds: str | Path, png: str | Path, *, width: int = 1600, height: int = 1000,
               hide: tuple[tuple[int, int], ...] = HIDDEN, box: tuple[float, float, float, float] | None = None) -> Path:
    """Render ``gds`` (all hierarchy levels) to ``png`` of ``width`` x ``height`` pixels; returns the PNG path.

    ``box`` (x0, y0, x1, y1) in µm zooms to a region (default: the whole layout).
    """
    import klayout.db as kdb
    import klayout.lay as lay

    gds, png = Path(gds), Path(png)
    if not gds.exists():
        raise FileNotFoundError(f"layout {str(gds)!r} does not exist")
    if width < 16 or height < 16:
        raise ValueError(f"picture size {width} x {height} px is too small; use at least 16 x 16")
    png.parent.mkdir(parents=True, exist_ok=True)
    view = lay.LayoutView()
    view.load_layout(str(gds))
    view.max_hier()
    hidden = {tuple(h) for h in hide}
    it = view.begin_layers()
    while not it.at_end():
        props = it.current()
        if (props.source_layer, props.source_datatype) in hidden:
            props.visible = False
            view.set_layer_properties(it, props)
        it.next()
    if box is None:
        view.zoom_fit()
    else:
        view.zoom_box(kdb.DBox(*box))
    view.save_image(str(png), int(width), int(height))
    return png
