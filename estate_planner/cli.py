"""The ``estate-planner`` command. Thin: parse, configure logging, call the library.

Exit codes: 0 done; 2 bad input or scenario (one clear message, no traceback);
1 anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from estate_planner._errors import EstatePlannerError

if TYPE_CHECKING:
    from estate_planner.outputs import Drawing

logger = logging.getLogger("estate_planner.cli")

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="estate-planner",
        description="Rank candidate buildings and choose the best set of community health hubs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show detailed progress")
    parser.add_argument("-q", "--quiet", action="store_true", help="show only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole pipeline on the embedded demo town")
    demo.add_argument(
        "--out", type=Path, default=Path("maps/demo"), help="output folder (default maps/demo)"
    )
    run = sub.add_parser("run", help="run a scenario file")
    run.add_argument("scenario", type=Path)
    run.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/ beside the scenario)"
    )
    compare = sub.add_parser("compare", help="run a base and a what-if scenario and compare them")
    compare.add_argument("base", type=Path)
    compare.add_argument("whatif", type=Path)
    compare.add_argument("--out", type=Path, default=Path("maps/compare"), help="output folder")
    validate = sub.add_parser("validate", help="check every input of a scenario without running it")
    validate.add_argument("scenario", type=Path)
    registers = sub.add_parser(
        "candidates",
        help="build a candidate list from property registers (business rates, council "
        "assets, NHS ERIC)",
    )
    registers.add_argument("files", type=Path, nargs="+", help="register files, as published")
    registers.add_argument("--out", type=Path, default=Path("candidates.csv"), help="CSV to write")
    registers.add_argument(
        "--format",
        default="auto",
        choices=["auto", "business_rates", "council_assets", "eric", "table"],
        help="the files' layout (default: recognised by their columns)",
    )
    registers.add_argument(
        "--locations", type=Path, nargs="*", default=[], help="lists that place ERIC sites"
    )
    registers.add_argument(
        "--uses", nargs="*", default=None, help="business-rates kinds to keep (e.g. retail office)"
    )
    registers.add_argument(
        "--include-land", action="store_true", help="keep council land that is not a building"
    )
    registers.add_argument(
        "--columns",
        nargs="*",
        default=[],
        metavar="OURS=THEIRS",
        help='map our column names to the files\' (e.g. "rateable value=RV 2023"), as '
        "a register's columns in a scenario",
    )
    init = sub.add_parser(
        "init", help="write a ready scenario for an English area from the national files"
    )
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--lad", action="append", help="local authority district code (repeatable)")
    where.add_argument("--icb", help="integrated care board code (with --icb-lookup)")
    init.add_argument("--icb-lookup", type=Path, help="LSOA 2021 -> ICB lookup (ONS layout)")
    init.add_argument("--osm", type=Path, required=True, help="the area's OSM extract (.osm.pbf)")
    init.add_argument("--data", type=Path, required=True, help="folder of national files")
    init.add_argument("--out", type=Path, required=True, help="folder to write the scenario into")
    init.add_argument("--boundaries", type=Path, help="LSOA 2021 boundaries (else centroids)")
    init.add_argument("--raster", type=Path, help="population raster (default: one in --data)")
    init.add_argument("--no-raster", action="store_true", help="place people at area points")
    init.add_argument(
        "--register", type=Path, action="append", default=[], help="property register (repeatable)"
    )
    init.add_argument("--hubs", type=int, default=3, help="hubs to choose (default 3)")
    init.add_argument(
        "--buffer-m", type=float, default=1000.0, help="services counted this far over the edge"
    )
    get = sub.add_parser("fetch", help="download the national files from their publishers")
    get.add_argument("--out", type=Path, required=True, help="data folder to fetch into")
    get.add_argument("--only", nargs="*", default=None, help="these sources only (see --list)")
    get.add_argument("--county", help="also a Geofabrik county extract (e.g. rutland)")
    get.add_argument(
        "--url", action="append", default=[], metavar="NAME=URL", help="a moved file's address"
    )
    get.add_argument("--retries", type=int, default=2, help="attempts after a failure")
    get.add_argument("--list", action="store_true", help="list the sources and exit")
    batch = sub.add_parser("batch", help="run many scenarios as tasks on Dask")
    batch.add_argument("scenarios", type=Path, nargs="+", help="scenario files")
    batch.add_argument("--out", type=Path, required=True, help="folder for all the outputs")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler")
    where.add_argument(
        "--workers", type=int, help="start a local Dask cluster of N worker processes "
        "(default: the scenarios run in turn in this process)"
    )  # fmt: skip
    cache = sub.add_parser(
        "cache", help="list or clear the cache (ESTATE_PLANNER_CACHE; size limit ..._CACHE_SIZE)"
    )
    action = cache.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="entries per stage, size, last use")
    action.add_argument("--clear", action="store_true", help="remove every entry")
    return parser


def _cache(args: argparse.Namespace) -> int:
    from estate_planner.cache import Cache, describe, format_size

    cache = Cache.from_env()
    if cache.folder is None:
        print("the cache is off (ESTATE_PLANNER_CACHE=off)")
        return EXIT_OK
    if args.clear:
        print(f"removed {cache.clear()} entries from {cache.folder}")
        return EXIT_OK
    entries = cache.entries()
    total = sum(e.bytes for e in entries)
    print(f"{cache.folder}: {len(entries)} entries, {format_size(total)} of "
          f"{format_size(cache.max_bytes)} (least recently used removed beyond that)")  # fmt: skip
    for line in describe(entries):
        print(f"  {line}")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from estate_planner.batch import run_batch

    if not args.verbose:  # Dask's own progress lines would bury the bar
        # distributed sets its loggers' levels from its config when first imported:
        # import it first, then quieten every logger under it (the scheduler's and the
        # nanny's run in this process)
        import distributed  # noqa: F401

        for name in list(logging.root.manager.loggerDict):
            if name.split(".")[0] in ("distributed", "dask", "tornado", "bokeh"):
                logging.getLogger(name).setLevel(logging.WARNING)
    bar = tqdm(total=len(args.scenarios), unit="scenario", disable=args.quiet or None)

    def advance(_done: int, _total: int, row: dict[str, object]) -> None:
        bar.update(1)
        if row.get("status") != "ok":
            bar.write(f"failed: {row['scenario']}: {row.get('error')}")

    with contextlib.ExitStack() as stack:
        stack.callback(bar.close)
        client = None
        if args.workers is not None:  # asked for: this command starts the cluster
            from distributed import Client, LocalCluster

            from estate_planner._errors import OptionError

            if args.workers < 1:
                raise OptionError(
                    f"--workers {args.workers}: give at least 1 worker process, or leave "
                    "--workers out to run the scenarios in turn in this process"
                )
            cluster = stack.enter_context(LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True,
                dashboard_address=None,
            ))  # fmt: skip
            client = stack.enter_context(Client(cluster))
        result = run_batch(
            args.scenarios, args.out, client=client, scheduler=args.scheduler, progress=advance
        )
    ok = len(result.summary) - len(result.failed)
    print(f"{ok} of {len(result.summary)} scenarios ran; summary in {args.out / 'summary.html'}")
    return EXIT_OK if result.failed.empty else EXIT_BAD_INPUT


def _fetch(args: argparse.Namespace, progress: _Progress) -> int:
    from estate_planner.fetch import NATIONAL, fetch

    if args.list:
        for source in NATIONAL:
            optional = "" if source.default else " [only with --only]"
            line = f"{source.name:15} {source.what} ({source.publisher}){optional}"
            print(f"{line}\n{'':15} {source.url}")
        return EXIT_OK
    urls = dict(item.split("=", 1) for item in args.url if "=" in item)
    done = fetch(
        args.out, names=args.only, county=args.county, urls=urls, retries=args.retries,
        progress=progress,
    )  # fmt: skip
    for item in done:
        state = "downloaded" if item.downloaded else "already there, checksum verified"
        print(f"{item.name}: {item.path} ({item.bytes:,} bytes, {state})")
    print(f"recorded in {args.out / 'FETCHED.json'}")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from estate_planner.setup_area import write_area_scenario

    written = write_area_scenario(
        args.out,
        data=args.data,
        osm=args.osm,
        lads=args.lad,
        icb=args.icb,
        icb_lookup=args.icb_lookup,
        boundaries=args.boundaries,
        raster=False if args.no_raster else args.raster,
        registers=args.register,
        hubs=args.hubs,
        buffer_m=args.buffer_m,
    )
    print(f"{written.areas} areas, {written.people:,.0f} people; wrote {written.scenario}")
    for note in written.notes:
        print(f"  {note}")
    print(f"what was chosen: {written.scenario.parent / 'README.md'}")
    print(f"run it: estate-planner run {written.scenario}")
    return EXIT_OK


def _candidates(args: argparse.Namespace) -> int:
    from estate_planner._errors import ScenarioError
    from estate_planner.sources.registers import (
        candidate_list,
        not_located_reasons,
        write_candidate_list,
    )

    bad = [item for item in args.columns if "=" not in item]
    if bad:
        raise ScenarioError(
            f"--columns {bad[0]!r}: give each as OURS=THEIRS, e.g. \"rateable value=RV 2023\""
        )
    columns = dict(item.split("=", 1) for item in args.columns)
    rows, registers, merged = candidate_list(
        args.files,
        format=args.format,
        columns={k.strip(): v.strip() for k, v in columns.items()},
        locations=args.locations,
        uses=args.uses,
        include_land=args.include_land,
    )
    for register in registers:
        print(f"{register.path.name} ({register.format}): {register.rows_read:,} rows read, "
              f"{len(register.frame):,} kept")  # fmt: skip
        for what, counts in (("dropped", register.dropped), ("repaired", register.repairs)):
            for reason, n in counts.most_common():
                print(f"  {what} {n:,}: {reason}")
        for head, count in not_located_reasons(register.frame).items():
            print(f"  not located {count:,}: {head} (kept, coordinates blank)")
    if merged:
        print(f"merged {merged:,} entries listed in two registers into the same building")
    write_candidate_list(rows, args.out)
    print(f"{len(rows):,} candidates ({int(rows['located'].sum()):,} located) in {args.out}")
    return EXIT_OK


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(
                f"[{time.perf_counter() - self.start:5.1f}s] {message}", file=sys.stderr, flush=True
            )


def _run(scenario_path: Path, out: Path, progress: _Progress, drawing: Drawing | None) -> int:
    from estate_planner import pipeline
    from estate_planner.outputs import write_outputs
    from estate_planner.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    progress(f"scenario {scenario.name!r} from {scenario_path}")
    result = pipeline.run(scenario, report=progress)
    paths = write_outputs(result, out, report=progress, drawing=drawing)
    chosen = ", ".join(f"{r.site_id} {r.name}" for r in result.selected.itertuples())
    if chosen:
        print(f"Chosen hubs ({result.selection.method}): {chosen}")
    elif result.scenario.selection.hubs == 0:
        print(
            "No hub is chosen: an access analysis of the existing services only "
            f"(selection.hubs = 0; {len(result.candidates):,} candidates in the study area)."
        )
    else:
        print("No hub is chosen: no candidate brings anyone new within reach.")
    if result.decision is not None and result.decision.fewer:
        asked = result.scenario.selection.hubs
        print(
            f"{result.decision.fewer} of the {asked} hubs asked for would add "
            "nothing, so they are not chosen."
        )
    for warning in result.warnings[:5]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(result.warnings) > 5:
        print(f"... and {len(result.warnings) - 5} more warnings in manifest.json", file=sys.stderr)
    print(f"Outputs in {out.resolve()}")
    print(f"Open the map: {paths['map.html'].resolve()}")
    return EXIT_OK


def _compare(
    base_path: Path, whatif_path: Path, out: Path, progress: _Progress, drawing: Drawing | None
) -> int:
    from estate_planner import pipeline
    from estate_planner.compare import compare, write_comparison
    from estate_planner.measures import shown
    from estate_planner.scenario import load_scenario

    base, whatif = load_scenario(base_path), load_scenario(whatif_path)
    progress(f"base: {base.name!r}")
    base_result = pipeline.run(base, report=progress)
    progress(f"what-if: {whatif.name!r} (the network and travel times come from the cache)")
    whatif_result = pipeline.run(whatif, report=progress)
    comparison = compare(base_result, whatif_result)
    paths = write_comparison(comparison, out, drawing=drawing)
    for row in comparison.summary.to_dict("records"):
        spec = str(row["format"])
        before, after = shown(row["base"], spec), shown(row["whatif"], spec)
        change = shown(row["change"], spec, change=True)
        print(f"{row['measure']:>54}: {before:>12} -> {after:>12} ({change})")
    print(f"Open the comparison: {paths['comparison.html'].resolve()}")
    return EXIT_OK


def _validate(scenario_path: Path) -> int:
    from estate_planner.validate import validate_scenario

    found = validate_scenario(scenario_path)
    if found.ok:
        print(f"{scenario_path}: no problems found")
        for line in found.summary:
            print(f"  {line}")
        if found.warnings:
            print(f"  {len(found.warnings)} warning(s) (rows dropped or repaired):")
            for line in found.warnings[:10]:
                print(f"    - {line}")
        return EXIT_OK
    print(f"{scenario_path}: {len(found.problems)} problem(s) found", file=sys.stderr)
    for problem in found.problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None, *, drawing: Drawing | None = None) -> int:
    """The ``estate-planner`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).
    drawing : Drawing, optional
        A drawing process already started.

    Returns
    -------
    int
        0 on success; 2 for an error in the user's scenario or files (a message naming
        the file, row or key, no traceback); 1 for an interruption or a bug.
    """
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("estate_planner").setLevel(logging.INFO if args.verbose else logging.ERROR)
    warnings.simplefilter("ignore")  # warnings are collected into the manifest and printed once
    progress = _Progress(args.quiet)
    try:
        if args.command == "demo":
            from estate_planner.demo import write_demo

            inputs = args.out / "demo_inputs"
            progress(f"writing the demo town's input files to {inputs}")
            return _run(write_demo(inputs), args.out, progress, drawing)
        if args.command == "compare":
            return _compare(args.base, args.whatif, args.out, progress, drawing)
        if args.command == "run":
            out = args.out or args.scenario.resolve().parent / "out"
            return _run(args.scenario, out, progress, drawing)
        if args.command == "candidates":
            return _candidates(args)
        if args.command == "init":
            return _init(args)
        if args.command == "fetch":
            return _fetch(args, progress)
        if args.command == "batch":
            return _batch(args)
        if args.command == "cache":
            return _cache(args)
        return _validate(args.scenario)
    except EstatePlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(
            "interrupted: the output folder holds the previous outputs, or this run's "
            "complete set if it was already moving them in",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except Exception as exc:  # a bug, not bad input: say so plainly
        logger.debug("unexpected error", exc_info=True)
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in estate-planner, not in your data. Rerun with -v for details "
            "and report it with the scenario file.",
            file=sys.stderr,
        )
        return EXIT_ERROR


def command() -> None:
    """The ``estate-planner`` executable: :func:`main` in a process of its own.

    A one-shot process need not collect garbage cycles every 700 allocations: building
    pandas frames and folium's templates trips the default thresholds thousands of
    times, about a tenth of a cached rerun. Cycles are still collected, less often.
    """
    gc.set_threshold(100_000, 50, 100)
    from estate_planner.outputs import Drawing

    args = _parser().parse_known_args()[0]
    # forked now, while this process is small and has one thread, so that it loads
    # folium and matplotlib on the other core while this one loads the pipeline
    drawing = (
        Drawing(warm=True) if getattr(args, "command", None) in ("run", "demo", "compare") else None
    )
    try:
        code = main(drawing=drawing)
    finally:
        if drawing is not None:
            drawing.close()
    # Everything is written and closed; tearing down every loaded module (pandas,
    # geopandas, folium...) would add a third of a second to a cached rerun.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    command()
