"""``photrain simulate``: sweep a circuit YAML over wavelength, plot |S|^2, write Touchstone."""

from __future__ import annotations

from pathlib import Path

from photrain.cli.options import check_output, plot_suffixes, port_pairs


def register(sub) -> None:
    """Add the ``simulate`` command's parser to ``sub``."""
    from photrain.circuits.spec_checks import MAX_INSTANCES
    from photrain.circuits.sweep import MAX_WL_POINTS

    p = sub.add_parser("simulate", help="sweep a circuit YAML over wavelength and plot |S|^2")
    p.add_argument("circuit", help="circuit file, e.g. circuits/ring_filter.pic.yml")
    p.add_argument("--wl", help="start:stop:points in µm, e.g. 1.54:1.56:2001 (default: two FSRs of the circuit "
                                "around 1.55 µm, 2001 points)")
    p.add_argument("--ports", nargs="*", help="port pairs in,out (default: o1 to every other port)")
    p.add_argument("--plot", help="write the spectrum plot to this PNG (default: no plot)")
    p.add_argument("--touchstone", help="also write every port's S-parameters over the sweep to this .sNp file "
                                        "(N = number of ports; frequency f = c / wl; default: none)")
    p.add_argument("--max-points", type=int, default=MAX_WL_POINTS,
                   help=f"refuse --wl sweeps with more points (default {MAX_WL_POINTS}; each point costs ~10 kB)")
    p.add_argument("--max-instances", type=int, default=MAX_INSTANCES,
                   help=f"refuse circuits with more instances (default {MAX_INSTANCES})")
    p.set_defaults(func=run)


def _circuit_files(circuit, max_instances: int) -> list[str]:
    """The data files a circuit YAML's instances read (e.g. ``component: touchstone, settings: {path: ...}``)."""
    from photrain.circuits.registry import PATH_SETTINGS
    from photrain.layout.yaml_circuits import load_yaml

    files = []
    for inst in (load_yaml(circuit, max_instances=max_instances).get("instances") or {}).values():
        if isinstance(inst, dict) and inst.get("component") in PATH_SETTINGS:
            settings = inst.get("settings") or {}
            files += [str(settings[k]) for k in PATH_SETTINGS[inst["component"]] if settings.get(k)]
    return files


def run(args) -> int:
    from photrain.circuits import plot_sweep, sweep
    from photrain.circuits.sweep import default_wl_range, lit_pairs, parse_wl_range
    from photrain.layout import load_circuit

    # Everything the arguments alone can refuse is refused before the circuit is built.
    wl = parse_wl_range(args.wl, max_points=args.max_points) if args.wl is not None else None
    pairs = port_pairs(args.ports)
    check_output(args.plot, "--plot", [args.circuit], plot_suffixes())
    check_output(args.touchstone, "--touchstone", [args.circuit])
    if args.touchstone:
        from photrain.circuits.touchstone import _port_count_of_path

        if _port_count_of_path(Path(args.touchstone)) is None:
            raise ValueError(f"--touchstone {args.touchstone!r} must end in .sNp (N = number of ports), e.g. out.s4p")
    _, func = load_circuit(args.circuit, max_instances=args.max_instances)
    # the files the circuit reads (Touchstone data of its instances) are inputs too: never overwritten
    inputs = [args.circuit, *_circuit_files(args.circuit, args.max_instances)]
    check_output(args.plot, "--plot", inputs)
    check_output(args.touchstone, "--touchstone", inputs)
    if args.touchstone:
        import sax

        n = len(sax.get_ports(func(wl=1.55)))
        if _port_count_of_path(Path(args.touchstone)) != n:
            raise ValueError(f"--touchstone {args.touchstone!r}: this circuit has {n} ports, so the file must end in .s{n}p")
    if wl is None:
        wl = default_wl_range(func)
        print(f"wavelength span {wl[0]:.4f}:{wl[-1]:.4f} µm ({len(wl)} points, two FSRs around 1.55 µm; set --wl to change)")
    spectra = sweep(func, wl, pairs)
    lit, dark = lit_pairs(spectra)
    for (a, b), db in lit.items():
        print(f"{a} -> {b}: max {db.max():7.2f} dB at {wl[db.argmax()] * 1e3:.3f} nm, min {db.min():7.2f} dB")
    if dark:
        print(f"no light at: {', '.join(dark)} (left out of the plot)")
    if args.plot:
        plot_sweep(wl, spectra, args.plot, title=Path(args.circuit).name)
        print(f"wrote {args.plot}")
    if args.touchstone:
        from photrain.circuits.touchstone import write_touchstone

        path = write_touchstone(func, args.touchstone, wl)
        print(f"wrote {path} ({len(wl)} frequencies; port order in its header)")
    return 0
