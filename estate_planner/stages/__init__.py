"""The stage layer: the one place a :class:`~estate_planner.scenario.Scenario` is unpacked.

Each module takes the scenario and the previous stages' plain results, calls the
compute modules (:mod:`~estate_planner.network`, :mod:`~estate_planner.access`,
:mod:`~estate_planner.scoring`, :mod:`~estate_planner.optimise`,
:mod:`~estate_planner.decision`) with plain keyword options. What is slow is a
module-level function that is pure in its arguments, called as
``cache.call(function, *args, **kwargs)``: the cache hashes the arguments (no stage
lists what its result depends on), so each function is handed what it reads, never
the whole scenario.

- :mod:`.inputs`: read every file the scenario names (one table of key -> reader);
- :mod:`.routing`: street graphs, snapping, travel times and catchments;
- :mod:`.assess`: need and access per demand point and candidate, then scores;
- :mod:`.choose`: the selection question and the checks a board needs on its answer;
- :mod:`.changes`: the modes people are reached by, and the certainty check's changes.

:func:`estate_planner.pipeline.run` chains them.
"""
