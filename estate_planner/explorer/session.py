"""The explorer: a scenario changed a keyword at a time, each state a real run.

Each :meth:`Explorer.set` lays the changes over the current scenario
(:func:`~estate_planner.explorer.changes.apply_changes`) and runs it with
:func:`estate_planner.pipeline.run` on the explorer's cache. Nothing is computed a
second way: the stages look up what the change left alone (street graphs, travel
times, catchments, answers) in the cache by the same keys a fresh run uses, and
compute only what it touched. A weight, the number of hubs, a budget or the services
that count reuse every travel time; a threshold routes its mode again (the search
reaches out to a multiple of it); a development snaps the points again and routes its
modes again (a new point on a street splits that street's links, which moves other
times by rounding, so only routing them all again gives the times a fresh run gives).
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estate_planner.explorer.changes import apply_changes, describe
from estate_planner.explorer.summary import Summary, summarise

if TYPE_CHECKING:
    from estate_planner.cache import Cache
    from estate_planner.compare import Comparison
    from estate_planner.results import RunResult
    from estate_planner.scenario import Scenario

logger = logging.getLogger(__name__)


@dataclass
class Step:
    """One state of the explorer: the changes that led to it and its run."""

    changes: dict[str, Any]
    scenario: Scenario
    result: RunResult
    summary: Summary
    seconds: float  # to apply the changes and run


@dataclass
class Explorer:
    """What-ifs on a scenario, one :meth:`set` at a time (see :func:`explore`)."""

    cache: Cache
    steps: list[Step] = field(default_factory=list)
    _widget: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ state
    @property
    def base(self) -> RunResult:
        """The run the explorer started from."""
        return self.steps[0].result

    @property
    def result(self) -> RunResult:
        """The current state's run."""
        return self.steps[-1].result

    @property
    def scenario(self) -> Scenario:
        """The current state's scenario."""
        return self.steps[-1].scenario

    @property
    def summary(self) -> Summary:
        """The current state's decision summary."""
        return self.steps[-1].summary

    @property
    def history(self) -> list[dict[str, Any]]:
        """Each change since the start, with the hubs it led to and its time."""
        return [
            {
                "change": _described(step, self.steps[n - 1] if n else None),
                "chosen": list(step.summary.chosen),
                "brought_within_reach": step.summary.brought_within_reach,
                "seconds": round(step.seconds, 3),
            }
            for n, step in enumerate(self.steps)
        ]

    # ------------------------------------------------------------------ changes
    def set(self, **changes: Any) -> Summary:
        """Apply ``changes`` and return the new decision summary.

        Parameters
        ----------
        **changes
            Keywords named as in the scenario file: ``hubs=4``, ``walk_minutes=15``,
            ``deprivation=0.4`` (a weight), ``counts={"pharmacy": False}``,
            ``close_service="D99001"``, ``add_development={"homes": 2000,
            "longitude": -0.67, "latitude": 52.57}``, ... (see
            :mod:`estate_planner.explorer.changes`).

        Returns
        -------
        Summary

        Raises
        ------
        EstatePlannerError
            When the changed scenario is invalid or has no answer; the explorer
            stays as it was.
        """
        from estate_planner import pipeline

        start = time.perf_counter()
        scenario = apply_changes(self.scenario, changes)
        result = pipeline.run(scenario, cache=self.cache)
        seconds = time.perf_counter() - start
        self.steps.append(Step(dict(changes), scenario, result, summarise(result), seconds))
        logger.info("explorer: %s in %.2f s", describe(changes), seconds)
        self._refresh()
        return self.summary

    def undo(self) -> Summary:
        """Go back one change and return that state's summary (the start stays).

        Returns
        -------
        Summary
        """
        if len(self.steps) > 1:
            self.steps.pop()
            self._refresh()
        return self.summary

    def reset(self) -> Summary:
        """Go back to the start.

        Returns
        -------
        Summary
        """
        del self.steps[1:]
        self._refresh()
        return self.summary

    # ------------------------------------------------------------------ outputs
    def what_changed(self) -> str:
        """How the current state differs from the start, in the comparison page's words
        (:func:`estate_planner.compare.what_changed`)."""
        from estate_planner.compare import compare, what_changed

        return " ".join(what_changed(compare(self.base, self.result)))

    def compare(self) -> Comparison:
        """The start and the current state lined up, as the comparison page does.

        Returns
        -------
        Comparison
        """
        from estate_planner.compare import compare

        return compare(self.base, self.result)

    def to_scenario(self, path: Path | str, *, name: str | None = None) -> Path:
        """Write the current state as a scenario file that ``run`` and ``batch``
        reproduce exactly.

        Every setting is written (paths absolute), so the file stands alone; a comment
        lists the changes made since the start.

        Parameters
        ----------
        path : path
            The ``.toml`` file to write.
        name : str, optional
            The scenario's name (default: the current one).

        Returns
        -------
        pathlib.Path
        """
        from estate_planner.explorer.toml import scenario_toml

        scenario = self.scenario if name is None else apply_changes(self.scenario, {"name": name})
        changes = [describe(step.changes) for step in self.steps[1:]]
        path = Path(path)
        path.write_text(scenario_toml(scenario, changes), encoding="utf-8")
        return path

    @property
    def widget(self) -> Any:
        """An ipywidgets panel: sliders, toggles, a site picker and a live map
        (needs the ``notebook`` extra: ``pip install 'estate-planner[notebook]'``)."""
        if self._widget is None:
            from estate_planner.explorer.widget import ExplorerPanel

            self._widget = ExplorerPanel(self)
        return self._widget.box

    def _refresh(self) -> None:
        if self._widget is not None:
            self._widget.refresh()

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


def _described(step: Step, before: Step | None) -> str:
    """The step's changes as typed; a new list of edits as the edits added and removed."""
    if before is None:
        return "(start)"
    changes = dict(step.changes)
    if "edits" not in changes:
        return describe(changes)
    del changes["edits"]
    old = [e.model_dump(mode="json", exclude_none=True) for e in before.scenario.edits]
    new = [e.model_dump(mode="json", exclude_none=True) for e in step.scenario.edits]
    words = [describe(changes)] if changes else []
    words += [f"+ {_edit_words(e)}" for e in new if e not in old]
    words += [f"- {_edit_words(e)}" for e in old if e not in new]
    return ", ".join(words) or "edits unchanged"


def _edit_words(edit: dict[str, Any]) -> str:
    if edit.get("ids"):
        return f"{edit['action']} {', '.join(edit['ids'])}"
    if edit["action"] == "add_development":
        return (
            f"add_development {edit['homes']} homes at "
            f"({edit['longitude']:.4f}, {edit['latitude']:.4f})"
        )
    return describe({edit["action"]: {k: v for k, v in edit.items() if k != "action"}})


def explore(source: Scenario | RunResult | Path | str, *, cache: Cache | None = None) -> Explorer:
    """An explorer of what-ifs on a scenario or a run.

    Parameters
    ----------
    source : Scenario, RunResult or path
        Where to start: a scenario (it is run), a run already made, or a scenario file.
    cache : Cache, optional
        Where stage results are kept (default :meth:`Cache.from_env`; with the cache
        turned off, a temporary folder, so that changes still reuse what they can).

    Returns
    -------
    Explorer

    Examples
    --------
    >>> explorer = explore("data/demo/scenario.toml")  # doctest: +SKIP
    >>> explorer.set(hubs=4).chosen  # doctest: +SKIP
    """
    from estate_planner import pipeline
    from estate_planner.cache import Cache
    from estate_planner.results import RunResult
    from estate_planner.scenario import load_scenario

    if cache is None:
        cache = Cache.from_env()
    if cache.folder is None:
        cache = Cache(Path(tempfile.mkdtemp(prefix="estate-planner-explore-")))
    start = time.perf_counter()
    if isinstance(source, RunResult):
        result = source
    else:
        scenario = source if not isinstance(source, Path | str) else load_scenario(source)
        result = pipeline.run(scenario, cache=cache)
    seconds = time.perf_counter() - start
    return Explorer(cache, [Step({}, result.scenario, result, summarise(result), seconds)])
