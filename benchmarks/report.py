"""Turn benchmarks/results.json into RESULTS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _travel(r: dict[str, Any]) -> list[str]:
    per_site_ours = r["ours_s"] / r["sites"]
    scipy_2 = r["scipy_2proc_s"]
    return [
        "## Travel-time engine (issue 3)",
        "",
        f"Graph: seeded road-like grid (`benchmarks/graphs.py`), {r['nodes']:,} nodes, "
        f"{r['edges']:,} directed edges; {r['settled_share']:.1%} of nodes lie within the "
        f"30-minute cutoff of a site (BASELINES.md: about 5% on its 1M-node network). "
        f"{r['sites']:,} sites x {r['targets']:,} targets, all engines in one run, "
        "target columns only.",
        "",
        "| engine | total for all sites | per site | ratio (theirs / ours) |",
        "|---|---|---|---|",
        f"| **estate-planner** (numba, 2 threads) | **{r['ours_s']:.2f} s** | {per_site_ours * 1e3:.2f} ms | 1 |",
        f"| scipy `dijkstra(limit=)`, 2 forked processes | {scipy_2:.2f} s | {scipy_2 / r['sites'] * 1e3:.2f} ms | "
        f"**{scipy_2 / r['ours_s']:.2f}x** |",
        f"| scipy, 1 process (200 sites timed) | {r['scipy_1proc_s_per_site'] * r['sites']:.1f} s (est.) | "
        f"{r['scipy_1proc_s_per_site'] * 1e3:.2f} ms | {r['scipy_1proc_s_per_site'] / per_site_ours:.2f}x |",
        f"| networkx `single_source_dijkstra_path_length` ({r.get('networkx_sites', 10)} sites timed) | "
        f"{r['networkx_s_per_site'] * r['sites']:.0f} s (est.) | {r['networkx_s_per_site'] * 1e3:.0f} ms | "
        f"**{r['networkx_s_per_site'] / per_site_ours:.0f}x** |",
        "",
        f"- Exact: the largest difference from scipy over all pairs is "
        f"{r['max_abs_diff_s']:.1e} s, and the same pairs are reachable: {r['same_reachable_pairs']} "
        "(tests also check equality with networkx on random graphs).",
        f"- Peak memory (RSS high-water mark) of a fresh process that loads the graph and runs "
        f"all {r['sites']:,} sites: **{r['peak']['peak_gb']:.2f} GB** ({r['peak']['before_gb']:.2f} GB "
        f"after loading and compiling, before the run); that run took {r['peak']['seconds']:.2f} s.",
        "- Nodes are numbered along a Morton curve (`spatial_order`), as `routing_graph` does "
        "for real street graphs; all engines get the same matrix.",
        f"- Pairs within the cutoff: {r['pairs_within_cutoff']:,} (the sparse result).",
    ]


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


def _rerun(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["## Cached rerun of Rutland", "", "Skipped: ../shared/data is absent."]
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
        f"| first (empty cache) | {first:.2f} s | 1 | {_cache_note(r['first_cache'])} |",
        f"| rerun, median of {len(r['rerun_s'])} ({reruns} s) | **{median:.2f} s** | "
        f"**{first / median:.1f}x** | {_cache_note(r['rerun_cache'])} |",
        f"| what-if (scoring weights changed) | {r['whatif_s']:.2f} s | "
        f"{first / r['whatif_s']:.1f}x | {_cache_note(r['whatif_cache'])} |",
        "",
        "- Pipeline stages of the rerun: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
        + f" (first run: {sum(r['first_stages_s'].values()):.1f} s in all).",
    ]


def _cache_note(cache: dict[str, Any]) -> str:
    parts = [f"inputs {cache.get('inputs', '?')}"]
    for kind in ("network", "travel_times"):
        values = set(cache.get(kind, {}).values())
        parts.append(f"{kind.replace('_', ' ')} {', '.join(sorted(values))}")
    return "; ".join(parts)


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
