"""Names vulture reports as unused that are used, by something it cannot see.

Read by ``vulture`` with the package (``[tool.vulture]`` in pyproject.toml; ``./dev
lint`` and tests/test_dead_code.py run it). A name belongs here only with the reason
it is not dead; anything else vulture reports is removed.
"""

# ruff: noqa
# fmt: off

# Python's module protocol: the package's lazy names (PEP 562)
__getattr__
__dir__

# pydantic reads these: the model's settings, and fields read by name
model_config
on  # Correction.on: when the correction was made (read through model_dump)
extends  # scenario key: the base scenario a what-if extends
walk_minutes  # [access] thresholds, read as getattr(access, f"{mode}_minutes")
cycle_minutes
drive_minutes
transit_minutes

# attributes set for a library that reads them
compress_type  # zipfile.ZipInfo: the demo's GTFS zip is deflated
default_js  # folium: the offline map inlines Leaflet instead of linking it
default_css
draw_idle  # matplotlib: a FigureCanvas override (one draw, on saving)
has_sorted_indices  # scipy.sparse: the kernel writes each row's columns in order

# public API used by the notebooks, tests and benchmarks, not by the package itself
all_departures  # _raptor: every departure's times (tests/test_transit.py, benchmarks)
questions_table  # explorer.board, notebooks/02_demo_whatifs.ipynb
coverage_curves  # explorer.board, notebooks/02_demo_whatifs.ipynb
to_scenario  # Explorer.to_scenario: a notebook writes its state as a scenario file
widget  # Explorer.widget: the notebook panel
read_inputs  # stages.inputs: every input of a scenario in one call (tests/test_transit.py)
n_patterns  # transit.Patterns (benchmarks/transit.py)
index_of  # travel.RoutingGraph: rows of OSM node ids (tests/test_network.py)

# fields of results a caller reads (dataclasses: vulture sees no reader in the package)
total_seconds  # appraisal.Assignment (tests/test_assign.py)
hub_people  # explorer.Summary: people each hub brings within reach
unmet_need_before  # explorer.Summary
registrations_matched  # results.Appraisal: services matched to the registration file
stop_names  # sources.gtfs.Timetable: each stop's name, as the feed gives it
trip_routes  # sources.gtfs.Timetable: each trip's route (tests/test_transit.py)
pharmacy  # setup_area: the files found, read as getattr(files, kind)
ECONOMIC_COLUMNS  # outputs.tables: the economic columns' names and units (tests/test_appraise.py)
