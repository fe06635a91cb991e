"""``photrain sweep``: a sweep file's training runs on Ray."""

from __future__ import annotations

from photrain.cli.options import int_in


def register(sub) -> None:
    """Add the ``sweep`` command's parser to ``sub``."""
    p = sub.add_parser("sweep", help="grid/random sweep of training runs on Ray: sweep.csv and plots (see sweeps/)")
    p.add_argument("spec", help="sweep YAML, e.g. sweeps/adc_bits_power.yml")
    p.add_argument("--out", help="output folder (default: the file's 'out', else out/sweeps/<name>)")
    p.add_argument("--address", help="join the Ray cluster at this address, HOST:PORT as printed by 'ray start --head' "
                                     "(default: start a local one)")
    p.add_argument("--num-cpus", type=int_in(1), help="CPUs of the local Ray cluster (default: all of this machine's)")
    p.add_argument("--retry-failed", action="store_true", help="run failed trials again (default: keep their error)")
    p.add_argument("--limit", type=int_in(0), help="run at most this many of the pending trials (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run a sweep file's trials on Ray (local, or the cluster at --address); sweep.csv and plots in its out folder."""
    from photrain.sweep import run

    res = run(args.spec, out=args.out, address=args.address, num_cpus=args.num_cpus, retry_failed=args.retry_failed,
              limit=args.limit, progress=not args.quiet)
    s = res.summary
    print(f"{s['trials']} trials: {s['done']} done, {s['failed']} failed, {s['pending']} pending; ran {s['ran']} now "
          f"on {s['workers']} workers in {s['wall_s']:.1f} s")
    if s["overhead"] is not None:
        print(f"trials' own time {s['sum_trial_s']:.1f} s / {s['workers']} workers = {s['ideal_s']:.1f} s; "
              f"the sweep ({s['executor']}{', Ray start or connect included' if s['ray_start_s'] else ''}) adds "
              f"{100 * s['overhead']:.1f} %")
    for r in res.records:
        if r.get("status") == "failed":
            print(f"  failed {r['id']} {r.get('params')}: {r.get('error')}")
    print(f"wrote {res.csv}" + "".join(f", {p.name}" for p in res.plots))
    return 0 if s["failed"] == 0 else 1
