"""Turn benchmarks/results.json into RESULTS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _travel(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Travel-time engine (issue 3)",
        "",
        "Each network's edges carry drive times in seconds; every engine gets the same CSR "
        "matrix (nodes in Morton order) and returns the target columns only; networkx gets "
        "a `DiGraph` of the same edges. Ours merges chains of pass-through nodes before "
        "searching (its time includes that), adding their times link by link so the "
        "results are bit for bit those of the unmerged graph. Ratios are theirs / ours in "
        "the same run; networkx per site, from the sites timed.",
        "",
        "| network | nodes | sites x targets, cutoff | **ours** | scipy, 2 processes | "
        "ratio | networkx per site (sites timed) | ratio per site | same times as scipy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for net in r["networks"]:
        for c in net["cases"]:
            cutoff = "30 min" if c["cutoff_s"] else "none"
            per_site = c["ours_s"] / c["sites"]
            exact = (
                "yes"
                if c["max_abs_diff_s"] == 0 and c["same_reachable_pairs"]
                else (f"max diff {c['max_abs_diff_s']:.1e} s")
            )
            lines.append(
                f"| {net['name']} | {net['nodes']:,} | {c['sites']:,} x {net['targets']:,}, "
                f"{cutoff} | **{c['ours_s']:.2f} s** | {c['scipy_2proc_s']:.2f} s | "
                f"**{c['scipy_2proc_s'] / c['ours_s']:.1f}x** | "
                f"{c['networkx_s_per_site'] * 1e3:.0f} ms ({c['networkx_sites']}) | "
                f"**{c['networkx_s_per_site'] / per_site:.0f}x** | {exact} |"
            )
    lines.append("")
    for net in r["networks"]:
        lines.append(
            f"- {net['name']}: {net['edges']:,} directed edges; {net['settled_share']:.1%} "
            "of nodes lie within 30 minutes of a site (BASELINES.md: about 5% on its "
            "1M-node network)."
        )
        if "peak" in net:
            p = net["peak"]
            lines.append(
                f"- Peak memory (RSS high-water mark) of a fresh process that loads the "
                f"{net['nodes']:,}-node graph and runs its largest case: **{p['peak_gb']:.2f} GB** "
                f"({p['before_gb']:.2f} GB after loading and compiling); that run took "
                f"{p['seconds']:.2f} s."
            )
    lines += [
        "- Where the margin is smallest (a network simplified before tiling, a grid) "
        "there are no chains left to merge and the search costs about 130 ns per node "
        "it settles. Heap layouts do not move that much (separate key and node arrays: "
        "-3%; a binary heap: +25%); what it would take is fewer nodes per search, i.e. "
        "a contraction hierarchy with PHAST-style sweeps.",
    ]
    return lines


def _loading(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["## Loading Rutland", "", "Skipped: ../shared/data is absent."]
    sizes = ", ".join(f"{m} {n:,} nodes / {e:,} edges" for m, (n, e) in r["sizes"].items())
    return [
        "## Loading the Rutland PBF and building walk and drive graphs (issue 3)",
        "",
        f"Median of 3: **{r['median_total_s']:.2f} s** in all (reading the PBF with pyosmium: "
        f"{r['read_s']:.2f} s). Simplified graphs: {sizes}.",
    ]


def _selection(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Site selection (issue 5)",
        "",
        "| instance | method | time | objective | proven gap | spopt (same instance) |",
        "|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        gap = "n/a" if row["gap"] is None else f"{row['gap']:.4%}"
        spopt = row.get("spopt") or "not run"
        lines.append(
            f"| {row['instance']} | {row['method']} | {row['seconds']:.2f} s | {row['objective']:,.1f} | {gap} | {spopt} |"
        )
    lines += ["", *r.get("notes", [])]
    return lines


def _hashing(h: dict[str, Any] | None) -> list[str]:
    if h is None:
        return []
    return [
        "",
        f"Hashing the arrays of a {h['nodes']:,}-node street network ({h['edges']:,} edges: "
        f"CSR, OSM ids, coordinates and the edge list, {h['megabytes']:.0f} MB) as the cache "
        "keys a call by its arguments (issue 24), best of 3:",
        "",
        "| hash | time | ratio to ours |",
        "|---|---|---|",
        f"| **ours** (`estate_planner.cache.token`, SHA-1 over contiguous buffers) | "
        f"**{h['ours_s']:.3f} s** | 1 |",
        f"| dask `tokenize` (peer) | {h['dask_tokenize_s']:.3f} s | "
        f"{h['dask_tokenize_s'] / h['ours_s']:.2f}x |",
        f"| bare SHA-256 of the same bytes | {h['sha256_s']:.3f} s | "
        f"{h['sha256_s'] / h['ours_s']:.2f}x |",
        "",
        "Target: under 0.2 s.",
    ]


def _rerun(r: dict[str, Any] | None) -> list[str]:
    if r is None or "first_s" not in r:
        return ["## Cached rerun of Rutland", "", "Skipped: ../shared/data is absent.",
                *_hashing((r or {}).get("hashing"))]  # fmt: skip
    first, median = r["first_s"], r["rerun_median_s"]
    reruns = ", ".join(f"{t:.2f}" for t in r["rerun_s"])
    stages = r["rerun_stages_s"]
    return [
        "## Cached rerun of the Rutland scenario (issue 7)",
        "",
        "`estate-planner run scenarios/rutland.toml` as a whole command in a fresh process "
        "(start-up, imports and all six outputs included), first with an empty cache, then "
        "again with it.",
        "",
        "| run | wall time | ratio (first / this) | cache (manifest) |",
        "|---|---|---|---|",
        f"| first (empty cache), median of {len(r.get('first_runs_s', [first]))} "
        f"({', '.join(f'{t:.2f}' for t in r.get('first_runs_s', [first]))} s) | {first:.2f} s | 1 | "
        f"{_cache_note(r['first_cache'])} |",
        f"| rerun, median of {len(r['rerun_s'])} ({reruns} s) | **{median:.2f} s** | "
        f"**{first / median:.1f}x** | {_cache_note(r['rerun_cache'])} |",
        f"| what-if (scoring weights changed) | {r['whatif_s']:.2f} s | "
        f"{first / r['whatif_s']:.1f}x | {_cache_note(r['whatif_cache'])} |",
        "",
        "- Pipeline stages of the rerun: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
        + f" (first run: {sum(r['first_stages_s'].values()):.1f} s in all).",
        *_rerun_load(r),
        "- Target: the cached rerun no slower than 2.5 s as a whole command on 2 quiet cores "
        "(issue 24), and at most 3.75 s (issue 25).",
        *r.get("notes", []),
        *_hashing(r.get("hashing")),
    ]


def _rerun_load(r: dict[str, Any]) -> list[str]:
    loads = r.get("rerun_load_1min")
    if not loads:
        return []
    return [
        f"- Load average (1 min) as each rerun started, in the order above: "
        f"{', '.join(f'{x:.2f}' for x in loads)} on {r.get('cores', '?')} cores "
        "(above about 1 the reruns shared the cores with other work)."
    ]


def _cache_note(cache: dict[str, Any]) -> str:
    parts = [f"inputs {cache.get('inputs', '?')}"]
    for kind in ("network", "travel_times"):
        values = set(cache.get(kind, {}).values())
        parts.append(f"{kind.replace('_', ' ')} {', '.join(sorted(values))}")
    return "; ".join(parts)


def _registers(r: dict[str, Any]) -> list[str]:
    rates, eric = r["rates"], r["eric"]
    return [
        "## Reading property registers (issue 13)",
        "",
        "Medians of 3. Ours reads the file as published (encoding, shifted rows put back, "
        "use, availability and coordinates per row, every repair and drop counted) and, for "
        "ERIC, places each site by ODS code or name in the NHS.UK hospital list; pandas only "
        "parses the same file into text columns, as a floor for the cost of reading it.",
        "",
        "| file | rows | **ours** | pandas parse only | ours / pandas | target |",
        "|---|---|---|---|---|---|",
        f"| business-rates list (Kirklees repeated to 20,000 rows, Windows-1252) | "
        f"{rates['rows']:,} read, {rates['kept']:,} kept | **{rates['ours_s']:.2f} s** | "
        f"{rates['pandas_s']:.2f} s | {rates['ours_s'] / rates['pandas_s']:.1f}x | under 2 s |",
        f"| ERIC 2016/17 workbook (national, `.xls`) | {eric['rows']:,} rows, {eric['sites']:,} "
        f"sites, {eric['located']:,} located | **{eric['ours_s']:.2f} s** | "
        f"{eric['pandas_s']:.2f} s | {eric['ours_s'] / eric['pandas_s']:.1f}x | under 3 s |",
    ]


def _batch(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["## Scaling out", "", "Skipped: ../shared/data is absent."]
    alone = sum(r["alone_s"].values())
    icb = r["icb"]
    lines = [
        "## Scaling out: tasks, a 2-worker batch, and England (issue 16)",
        "",
        "| what | wall time | peak memory |",
        "|---|---|---|",
        f"| Rutland task, empty cache (whole command) | {r['rutland_s']:.1f} s | "
        f"{r['rutland_peak_gb']:.2f} GB |",
        f"| demo + Rutland + 3 what-ifs, one after another | {alone:.1f} s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in r['alone_s'].items())}) | |",
        f"| the same 5 as `batch --workers 2` (cluster start-up included) | "
        f"**{r['batch_s']:.1f} s** ({alone / r['batch_s']:.2f}x) | {r['batch_peak_gb']:.2f} GB "
        "(largest process) |",
        "",
        "- Rutland's stages (empty cache): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in r["rutland_stages_s"].items()),
    ]
    if icb.get("travel_s") is not None:
        lines.append(
            f"- ICB-sized heavy stages (1.04M-node network, 2,000 sites x 35,000 demand "
            f"points): travel times {icb['travel_s']:.1f} s (peak {icb['travel_peak_gb'] or 0:.2f}"
            f" GB), selection {icb['selection_s'] or float('nan'):.1f} s, street graph "
            f"~{icb['network_s_estimate']:.0f} s (Rutland's graph time scaled by nodes: an "
            "estimate)."
        )
    return lines


def _transit(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["## Public transport", "", "Skipped: ../shared/data is absent."]
    q = r["diff_quantiles_s"]
    return [
        "## Public transport: ours against ferrobus on the Newport feed (issue 14)",
        "",
        f"{r['points']} points x {r['points']} points, departures every minute 07:00-10:00 "
        f"({r['departures']}), 3 transfers, 15 min access walk, 10 min transfer walk.",
        "",
        "| engine | build (network, timetable, points) | the 3-hour window | ratio |",
        "|---|---|---|---|",
        f"| **ours** (range RAPTOR, numba, median over the window) | {r['ours_build_s']:.1f} s | "
        f"**{r['ours_window_s']:.2f} s** | **{r['theirs_window_s'] / r['ours_window_s']:.1f}x** |",
        f"| ferrobus 0.2.1 (RAPTOR, Rust; one call per departure) | {r['theirs_build_s']:.1f} s "
        f"| {r['theirs_window_s']:.2f} s | 1 |",
        "",
        f"Agreement on {r['pairs_compared']:,} origin-destination-departure triples both reach "
        f"(every 30th minute): ours minus ferrobus, 5/25/50/75/95%: "
        f"{q['0.05']:.0f} / {q['0.25']:.0f} / {q['0.5']:.0f} / {q['0.75']:.0f} / "
        f"{q['0.95']:.0f} s; {r['within_60s']:.0%} within a minute, {r['within_300s']:.0%} "
        f"within 5 minutes. Reached by ours only: {r['only_ours']:,}; by ferrobus only: "
        f"{r['only_theirs']:,}.",
        *_aligned(
            r.get("aligned"),
            r.get("upper_tail_pairs", 0),
            r.get("upper_tail_they_walk", 0.0),
            r.get("upper_tail_bus_journeys"),
        ),
        *_scale(r.get("scale")),
        *_scaled(r.get("scaled")),
    ]


def _aligned(
    steps: dict[str, Any] | None,
    tail_pairs: int = 0,
    they_walk: float = 0.0,
    chains: dict[str, int] | None = None,
) -> list[str]:
    chains = chains or {}
    if not steps:
        return []
    lines = [
        "",
        "Where the differences come from: our engine run again with ferrobus's rules, read "
        "in its source (ferrobus-core 0.2.1: `WALKING_SPEED = 1.4` m/s; `MAX_CANDIDATE_STOPS "
        "= 1`, a journey starts at the origin's nearest stop, or one transfer walk from it; "
        "`max_rounds = max_transfers + 1` with round 0 the walk, so `max_transfers=3` "
        "allows 3 rides), one rule at a time, on the same pairs and departures:",
        "",
        "| ours, with ferrobus's rules | pairs both reach | ours minus ferrobus: 5 / 25 / 50 / "
        "75 / 95% (s) | within 1 min | within 5 min | only ours | only ferrobus |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, a in steps.items():
        q = a["quantiles_s"]
        lines.append(
            f"| {name} | {a['pairs']:,} | {q['0.05']:.0f} / {q['0.25']:.0f} / {q['0.5']:.0f} / "
            f"{q['0.75']:.0f} / {q['0.95']:.0f} | {a['within_60s']:.0%} | "
            f"{a['within_300s']:.0%} | {a['only_ours']:,} | {a['only_theirs']:,} |"
        )
    return [
        *lines,
        "",
        "With its rules the two engines reach nearly the same pairs. The last row starts "
        "and ends journeys at the very stops ferrobus snapped each point to "
        "(`TransitPoint.nearest_stops()`), walked to on our network: the lower tail "
        "narrows, so part of it was the two engines choosing different nearest stops. The "
        "upper tail (ours longer) stays, so it is not the choice of stops; nor is it the "
        "calendar (ferrobus ignores `start_date`/`end_date`, but no service of this feed "
        "runs on a Tuesday outside its dates). Of its "
        f"{tail_pairs:,} triples, {they_walk:.0%} are ferrobus walking all the way within "
        "15 minutes where our network's walk is over the limit (its walk between two "
        "points is node to node, without the walk from either point to its street). The "
        "rest are journeys by bus. Of a sample of "
        f"{chains.get('sampled', 0)} of them, ferrobus's own `detailed_journey` gives the "
        f"matrix's time for {chains.get('same_time', 0)} (the others end at another of its "
        f"10 egress stops), and {chains.get('walks_chained', 0)} of those walk two or more "
        "transfers in a row after a ride, each up to 10 minutes: its rounds relax walks "
        "from stops reached by a walk, where we allow one walk per change. The rest are "
        "not traced journey by journey.",
    ]


def _scale(r: dict[str, Any] | None) -> list[str]:
    if not r:
        return []
    question = r["legs_s"] + r["window_s"]
    free = r["legs_s"] + r["window_free_s"]
    theirs = r["ferrobus_all_s_estimate"]
    met = question < 60 and r["peak_gb"] < 4
    return [
        "",
        "### Issue 14's scale: 2,000 sites x 35,000 demand points x a 3-hour window",
        "",
        f"The Newport streets and feed laid out {r['tiles']} times side by side (every node, "
        "way and stop shifted by whole extents with new ids; neighbouring tiles joined by a "
        f"footway) and each trip copied {r['copies']} times across the morning: "
        f"{r['trips']:,} trips a day, {r['stops']:,} stops, {r['patterns']:,} patterns, "
        f"{r['nodes']:,} walk nodes. {r['homes']:,} demand points and {r['sites']:,} sites at "
        f"random; every minute of 07:00-10:00 ({r['departures']}), 3 transfers, 15 min "
        "walks to and from stops, 10 min at a change. Ours runs the whole question in a "
        "process of its own (peak memory from VmHWM, reset after loading; numba compiles "
        "once per install, before the timing); ferrobus is timed "
        f"on {r['ferrobus_sample_points']} of the points and 6 departures and scaled per point "
        "and departure (its matrix is square over all points).",
        "",
        "| | ours | ferrobus 0.2.1 |",
        "|---|---|---|",
        f"| read streets and timetable, build graph and patterns (once; the tool caches it) "
        f"| {r['build_s']:.0f} s (peak {r['build_peak_gb']:.1f} GB) | "
        f"{r['ferrobus_build_s']:.0f} s |",
        f"| walking legs (to and from stops, changes, walking all the way) | "
        f"{r['legs_s']:.1f} s | in the points |",
        f"| window, journeys up to 2 hours (r5's default longest trip), from the profiles "
        f'of the {r["access_stops"]:,} stops the homes walk to (`method="auto"` chooses it) | '
        f"**{r['window_s']:.1f} s**; legs + window **{question:.1f} s**, peak "
        f"**{r['peak_gb']:.2f} GB** | |",
        f'| the same, one range search per home (`method="origins"`) | '
        f"{r['window_origins_s']:.1f} s; the same times: "
        f"**{'yes' if r['same_as_origins'] else 'NO'}** | |",
        f"| window, no longest trip (ferrobus has none) | {r['window_free_s']:.1f} s; legs + "
        f"window {free:.1f} s | ~{theirs:.0f} s (estimate) |",
        "",
        f"Target (under 60 s and 4 GB on 2 cores, journeys up to 2 hours): "
        f"**{'met' if met else 'not met'}**. Against ferrobus on the same unbounded work: "
        f"**{theirs / free:.1f}x** faster. Pairs reached at the median: "
        f"{r['reachable_share']:.1%} within 2 hours, {r['reachable_share_free']:.1%} at any "
        "length (the feed's long-distance coaches reach other tiles, and its few afternoon "
        "trips make journeys of many hours that a longest trip leaves out).",
    ]


def _scaled(r: dict[str, Any] | None) -> list[str]:
    if not r:
        return []
    return [
        "",
        "### A harder case: every trip on the same stops",
        "",
        f"The Newport trips copied across three hours on the same {r['stops']} stops, "
        f"{r['trips']:,} trips a day ({r['patterns']} patterns): every route about every "
        "40 seconds, so every departure minute catches new vehicles everywhere and range "
        "RAPTOR can reuse little. 2,000 sites and 35,000 demand points, every minute of "
        f"07:00-10:00, 3 transfers, no longest trip. Ours searches from each origin here (stop "
        "profiles would hold every destination for every few seconds of every stop); timed "
        f"on {r['sample_origins']} origins and extrapolated to 35,000 in the same way for both (per origin; ferrobus "
        "per point of its square matrix, for a sample of departures):",
        "",
        "| engine | sample | all 35,000 origins (estimate) |",
        "|---|---|---|",
        f"| **ours** | {r['ours_sample_s']:.2f} s | **{r['ours_all_s_estimate']:.0f} s** |",
        f"| ferrobus 0.2.1 | {r['theirs_per_departure_s']:.2f} s per departure | "
        f"{r['theirs_all_s_estimate']:.0f} s |",
    ]


def _assignment(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Capacity-limited assignment (issue 27)",
        "",
        "| instance | within reach (over capacity if nearest) | **ours** (OR-Tools inside) | ours, successive shortest paths (numba) | networkx max_flow_min_cost | same total | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        a, b = row["ortools"], row["paths"]
        same = a["served"] == b["served"] and a["people_seconds"] == b["people_seconds"]
        nx_text = row["networkx"]
        if "people x seconds" in nx_text:
            same = same and nx_text.endswith(f"{a['people_seconds']:,.0f}")
        cpu = f" (CPU {a['cpu_seconds']:.2f} s)" if "cpu_seconds" in a else ""
        lines.append(
            f"| {row['instance']} | {row['people_within_reach']:,.0f} people "
            f"({row['sites_over_capacity_if_nearest']:,} sites) | **{a['seconds']:.2f} s**{cpu}, "
            f"served {a['served']:,.0f}, people x seconds {a['people_seconds']:,.0f} | "
            f"{b['seconds']:.2f} s, served {b['served']:,.0f}, people x seconds "
            f"{b['people_seconds']:,.0f} | {nx_text} | {'yes' if same else 'NO'} | "
            f"{a.get('load', float('nan')):.1f} |"
        )
    lines += ["", *r.get("notes", [])]
    return lines


def _load(k: dict[str, Any]) -> str:
    load = k.get("load_1min")
    return "not recorded" if not load else f"{load[0]:.1f} to {load[1]:.1f}"


def _most_cpu(r: dict[str, Any]) -> str:
    most = {kind: max(k["cpu_s"]) for kind, k in r["kinds"].items() if k.get("cpu_s")}
    if not most:
        return ""
    when = f" (measured {r['measured_utc']})" if r.get("measured_utc") else ""
    return (
        f" The most CPU any one answer took{when}: "
        + ", ".join(f"{kind} {s:.2f} s" for kind, s in most.items())
        + "."
    )


def _explore(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["## The explorer on Rutland", "", "Skipped: ../shared/data is absent."]
    lines = [
        "## What-ifs in the explorer on Rutland, cache warm (issue 29)",
        "",
        f"`estate_planner.explore(rutland)` ({r['demand_points']:,} demand points, "
        f"{r['candidates']} candidates, {r['services']} services; opened on an empty cache in "
        f"{r['open_s']:.1f} s), then each kind of change made three times with new values, "
        "timed around `Explorer.set` and undone. The peer: the first change of each kind "
        "written as a scenario file and run as `estate-planner run` in a fresh process on "
        "the same warm cache (start-up, imports and outputs included).",
        "",
        "| change | values | `set`, each (s) | **median** | target | met | travel times "
        "| `estate-planner run` | ratio | same hubs | load (1 min) | CPU, each (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, k in r["kinds"].items():
        times = ", ".join(f"{t:.2f}" for t in k["seconds"])
        status = sorted({v for s in k["travel_times"] for v in s.values()})
        met = "yes" if max(k["seconds"]) < k["target_s"] else "no"
        lines.append(
            f"| {kind} | {'; '.join(k['changes'])} | {times} | **{k['median_s']:.2f} s** | "
            f"under {k['target_s']:g} s | {met} | {', '.join(status)} | {k['peer_s']:.2f} s | "
            f"{k['peer_s'] / k['median_s']:.1f}x | {'yes' if k['peer_same_hubs'] else 'NO'} | "
            f"{_load(k)} | {', '.join(f'{t:.2f}' for t in k.get('cpu_s', [])) or 'not recorded'} |"
        )
    lines += [
        "",
        '- "met" asks that every one of the three answers came under the target, not only '
        "the median.",
        "- A development routes both modes again from every site: a new point on a street "
        "splits that street's links, which moves other points' times by rounding, so only "
        "routing them all again gives the times a fresh run gives (tests/test_explore.py "
        "checks every state against a run without a cache).",
        "- load (1 min): the machine's 1-minute load average before and after the kind's "
        "changes; it has 2 cores, shared with other sessions, so a load above 2 means the "
        "answers waited for a core. CPU: the process's CPU time for each `set` (all its "
        "threads), which a busy machine does not inflate the way it does the wall time."
        + _most_cpu(r),
        "- Each answer is a whole run, so it includes every stage a run has. When the economic "
        "case stage (issue 27) joined the run, its switching values (a grid scan and bisection, "
        "re-appraising every option some 185 times) took 3.6 s of a 4.2 s `set(hubs=5)` "
        "under cProfile, and the medians rose to 1.6-2.4 s. They are now solved exactly "
        "(`estate_planner.appraisal.switching`: crossing lines for capital and rent, one "
        "evaluation between each pair of room steps for population; 6-31 ms on Rutland's "
        "options), cache entries are decoded once per process and copied thereafter, and the "
        "economic case and the certainty checks' coverage sums do less pandas and sparse work. "
        "Before the economic case landed the medians were 0.32 s (need weight), 0.72 s (score "
        "weight), 0.64 s (hubs), 0.91 s (walk threshold) and 1.67 s (development).",
    ]
    return lines


def write_results(results: dict[str, Any], path: Path) -> None:
    lines = [
        "# Benchmark results",
        "",
        "Written by `./dev bench` (`python -m benchmarks`); ratios are measured in the same run "
        "on the same machine. Raw numbers: `results.json`.",
        "",
    ]
    renders = (
        ("loading", _loading),
        ("travel", _travel),
        ("rerun", _rerun),
        ("selection", _selection),
        ("assignment", _assignment),
        ("registers", _registers),
        ("batch", _batch),
        ("transit", _transit),
        ("explore", _explore),
    )
    for name, render in renders:
        if name in results:
            lines += [
                *render(results[name]["result"]),
                "",
                f"_Machine: {results[name]['machine']}; "
                f"benchmark wall time {results[name]['wall_s']:.0f} s._",
                "",
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
