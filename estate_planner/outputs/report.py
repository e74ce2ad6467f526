"""``report.html``: a self-contained report for boards (charts inlined as PNG)."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from estate_planner.network import UK_DRIVE_SPEEDS_KMH
from estate_planner.outputs.maps import CREDITS
from estate_planner.outputs.tables import ranking_table
from estate_planner.pipeline import RunResult
from estate_planner.scenario import CRITERIA

LICENCES = {
    "network.osm": "© OpenStreetMap contributors, Open Database Licence (ODbL) 1.0",
    "demand.areas": "ONS, Open Government Licence v3.0; contains OS data © Crown copyright",
    "demand.population": "ONS Census 2021 / mid-year estimates, Open Government Licence v3.0",
    "demand.deprivation": "MHCLG English Indices of Deprivation 2019, Open Government Licence v3.0",
    "demand.lookup": "ONS, Open Government Licence v3.0",
    "demand.raster": "WorldPop (www.worldpop.org), CC BY 4.0 (or as the file's publisher states)",
    "services": "NHS Digital ODS / NHS.UK, Open Government Licence v3.0",
    "candidates.path": "your organisation's property data",
}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ name }} – estate-planner report</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1050px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:2px solid #005eb8;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;font-size:13px} td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#e8edf4} td.n{text-align:right} tr.sel{background:#fff3cd}
.note{color:#555;font-size:13px} .warn{background:#fff4e5;border-left:4px solid #f0ad4e;padding:.4em .8em;font-size:13px}
img{max-width:100%}
</style></head><body>
<h1>{{ name }}</h1>
<p>Chosen: <b>{{ hubs|length }}</b> hub{{ 's' if hubs|length != 1 }} by <b>{{ objective }}</b> on <b>{{ mode }}</b> travel times
({{ threshold }} min). Solved by {{ method }}{% if gap is not none %}, proven gap {{ '%.4f'|format(gap * 100) }}%{% endif %}.</p>

<h2>Chosen hubs</h2>
<table><tr><th>order</th><th>site</th><th>name</th><th>kind</th><th>rank</th><th>score</th><th>marginal gain</th><th>annual cost (£)</th><th>floor area (m²)</th></tr>
{% for h in hubs %}<tr><td class="n">{{ h.order }}</td><td>{{ h.site_id }}</td><td>{{ h.name }}</td><td>{{ h.kind }}</td>
<td class="n">{{ h.rank }}</td><td class="n">{{ h.score }}</td><td class="n">{{ h.gain }}</td><td class="n">{{ h.cost }}</td><td class="n">{{ h.area }}</td></tr>{% endfor %}
</table>
<p class="note">Marginal gain: {{ gain_note }}.</p>
{% for chart in charts %}<figure><img alt="{{ chart.title }}" src="data:image/png;base64,{{ chart.png }}"><figcaption class="note">{{ chart.title }}</figcaption></figure>{% endfor %}

<h2>Ranking</h2>
<p class="note">Score = sum of weighted criteria, each scaled 0–1; contributions add up to the score. Excluded sites are listed last with the reason.</p>
<table><tr><th>rank</th><th>site</th><th>name</th><th>kind</th><th>score</th>{% for c in criteria %}<th>{{ c }}</th>{% endfor %}<th>excluded</th></tr>
{% for r in ranking %}<tr class="{{ 'sel' if r.selected }}"><td class="n">{{ r.rank }}</td><td>{{ r.site_id }}</td><td>{{ r.name }}</td><td>{{ r.kind }}</td><td class="n">{{ r.score }}</td>
{% for v in r.parts %}<td class="n">{{ v }}</td>{% endfor %}<td>{{ r.excluded }}</td></tr>{% endfor %}
</table>

<h2>Access</h2>
<table><tr><th>mode</th><th>threshold (min)</th><th>need reached by existing services</th><th>need reached with the hubs</th></tr>
{% for a in access %}<tr><td>{{ a.mode }}</td><td class="n">{{ a.minutes }}</td><td class="n">{{ a.before }}</td><td class="n">{{ a.after }}</td></tr>{% endfor %}
</table>

<h2>Assumptions</h2>
<ul>
<li>Speeds: walking {{ walk_kmh }} km/h, cycling {{ cycle_kmh }} km/h; driving from OSM <code>maxspeed</code>, else by road class: {{ drive_speeds }}.</li>
<li>Thresholds: {{ thresholds }}. Times beyond four times the threshold count as unreachable.</li>
<li>Need weights: {{ need_weights }}. Score weights: {{ score_weights }}.</li>
<li>Points join the network at the nearest street; the gap is walked. Existing services stay open.</li>
</ul>

<h2>Data sources</h2>
<table><tr><th>input</th><th>file</th><th>rows read</th><th>rows used</th><th>licence</th></tr>
{% for s in sources %}<tr><td>{{ s.key }}</td><td>{{ s.file }}</td><td class="n">{{ s.read }}</td><td class="n">{{ s.used }}</td><td>{{ s.licence }}</td></tr>{% endfor %}
</table>
<p class="note">{{ credits }}</p>
{% if warnings %}<h2>Warnings</h2>{% for w in warnings %}<p class="warn">{{ w }}</p>{% endfor %}{% endif %}
<p class="note">estate-planner {{ version }} · scenario hash {{ digest }}</p>
</body></html>
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def charts(result: RunResult) -> list[dict[str, str]]:
    """Coverage curve and the score breakdown of the top 10, as inline PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    curve = result.selection.curve
    if curve:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(range(1, len(curve) + 1), curve, marker="o", color="#005eb8")
        ax.set_xlabel("number of hubs")
        ax.set_ylabel("unmet need reached" if result.selection.kind == "coverage" else "need-weighted seconds")
        ax.set_xticks(range(1, len(curve) + 1))
        ax.grid(alpha=0.3)
        out.append({"title": "Coverage curve: the best result for 1 to k hubs", "png": _png(fig)})
    table = ranking_table(result).head(10)
    if len(table):
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(table) + 1))
        left = np.zeros(len(table))
        for criterion in CRITERIA:
            values = table[f"contribution_{criterion}"].to_numpy(dtype=float)
            if values.sum() > 0:
                ax.barh(table["site_id"].astype(str), values, left=left, label=criterion.replace("_", " "))
                left += values
        ax.invert_yaxis()
        ax.set_xlabel("score")
        ax.legend(fontsize=7, loc="lower right")
        out.append({"title": "Score breakdown of the top 10 candidates", "png": _png(fig)})
    return out


def _money(value: float) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def context(result: RunResult) -> dict[str, Any]:
    """Everything the report template shows."""
    from estate_planner import __version__

    scenario = result.scenario
    mode = scenario.selection_mode
    selected = result.selected
    hubs = [
        {"order": int(r.selection_order), "site_id": r.site_id, "name": r.name, "kind": r.kind,
         "rank": "–" if r.rank is None or r.rank != r.rank else int(r.rank), "score": f"{r.score:.3f}",
         "gain": f"{r.marginal_gain:,.0f}", "cost": _money(r.annual_cost_gbp), "area": _money(r.floor_area_m2)}
        for r in selected.itertuples()
    ]  # fmt: skip
    ranking = [
        {"rank": "" if r["rank"] is None or r["rank"] != r["rank"] else int(r["rank"]),
         "site_id": r["site_id"], "name": r["name"], "kind": r["kind"], "score": f"{r['score']:.3f}",
         "parts": [f"{r[f'contribution_{c}']:.3f}" for c in CRITERIA], "excluded": r["excluded_reason"],
         "selected": bool(r["selected"])}
        for r in ranking_table(result).to_dict("records")
    ]  # fmt: skip
    need = result.demand["need"].to_numpy()
    access_rows = []
    for m, times in result.times.items():
        before = result.demand[f"minutes_to_service_{m}"].to_numpy() <= times.threshold_s / 60
        after = result.demand[f"minutes_to_hub_{m}"].to_numpy() <= times.threshold_s / 60
        access_rows.append({"mode": m, "minutes": f"{times.threshold_s / 60:g}",
                            "before": f"{need[before].sum() / need.sum():.1%}",
                            "after": f"{need[after].sum() / need.sum():.1%}"})  # fmt: skip
    sources = [
        {"key": p.key, "file": Path(p.path).name, "read": p.rows_read, "used": p.rows_used,
         "licence": LICENCES.get(p.key.split("[")[0], LICENCES.get(p.key, ""))}
        for p in result.inputs.provenance
    ]  # fmt: skip
    gap = result.selection.gap
    return {
        "name": scenario.name, "hubs": hubs, "objective": result.selection.kind, "mode": mode,
        "threshold": f"{scenario.access.minutes(mode):g}", "method": result.selection.method,
        "gap": None if math.isnan(gap) else gap, "charts": charts(result), "ranking": ranking,
        "criteria": [c.replace("_", " ") for c in CRITERIA], "access": access_rows,
        "gain_note": ("unmet need newly reached by each hub, given those before it"
                      if result.selection.kind == "coverage"
                      else "need-weighted seconds saved by each hub, given those before it"),
        "walk_kmh": scenario.network.walk_kmh, "cycle_kmh": scenario.network.cycle_kmh,
        "drive_speeds": ", ".join(f"{k} {v:g}" for k, v in {**UK_DRIVE_SPEEDS_KMH, **scenario.network.drive_speeds_kmh}.items()),
        "thresholds": ", ".join(f"{m} {scenario.access.minutes(m):g} min" for m in scenario.network.modes),
        "need_weights": scenario.need.weights, "score_weights": scenario.scoring.weights,
        "sources": sources, "credits": CREDITS, "warnings": result.warnings,
        "version": __version__, "digest": scenario.digest(),
    }  # fmt: skip


def write_report(result: RunResult, path: Path) -> None:
    """Write ``report.html`` (all text escaped; no external resources)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    path.write_text(env.from_string(_TEMPLATE).render(**context(result)), encoding="utf-8")
