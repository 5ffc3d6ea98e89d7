"""nexus-mc from Python: the Monte Carlo engine's tables as pandas DataFrames.

Each function runs one command of the ``nexus-mc`` command line in this
process, with the same scenario files, options, checks and messages, and
returns its tables as DataFrames whose columns are the CSV files' own (the
values are read from the very bytes the command line writes)::

    import nexus_mc
    r = nexus_mc.run("central", runs=1_000_000, seed=42)
    r.bands        # bands.csv
    r.claims       # claims.csv: the probability that each published claim holds
    r.manifest     # manifest.json, as a dict

A scenario is the name of a shipped scenario (``"central"``,
``"plan-as-written"``, ...), a path to a ``.toml`` file, TOML text, or a dict
of the TOML's own tables::

    nexus_mc.run({"scenario": {"name": "x", "extends": "central"},
                  "parameters": {"multiplier": {"dist": "fixed", "value": 2.0}}})

Errors are :class:`ScenarioError` (a scenario that cannot be read or is not
valid) and :class:`SizeError` (an option out of range), both ``ValueError``,
with the command line's message. Ctrl-C (or a notebook's interrupt) raises
``KeyboardInterrupt`` within a second or so. The engine runs with the GIL
released, on ``threads`` threads (default: one per core); results never
depend on the thread count.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, Union

from . import _native
from ._native import ScenarioError, SizeError, __version__

if TYPE_CHECKING:
    import pandas

__all__ = [
    "run",
    "sensitivity",
    "bridge",
    "baseline",
    "validate",
    "RunResult",
    "SensitivityResult",
    "BridgeResult",
    "BaselineResult",
    "ValidateResult",
    "ScenarioError",
    "SizeError",
    "__version__",
]

#: A shipped scenario's name, a path, TOML text, or a dict of TOML tables.
Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]

# Columns read as text whatever they hold (a claim named "1.2" stays a
# name), in every file and in the files whose rows hold a parameter's value
# as it is written (a number, or a choice such as "grow").
_TEXT_COLUMNS = (
    "metric", "claim", "op", "method", "parameter", "parameters", "output",
    "step", "note", "reading", "statistic",
)
_TEXT_COLUMNS_OF = {
    "tornado.csv": ("input_p10", "input_p90"),
    "switching_values.csv": ("median", "switching_value"),
    "filter.csv": ("lo", "hi"),
}


def _frame(data: bytes, name: str = "") -> "pandas.DataFrame":
    """CSV file ``name``'s bytes as a DataFrame: numbers exactly as written
    (they round-trip), empty fields as missing, text columns as text."""
    import pandas as pd

    header = data.split(b"\n", 1)[0].decode().split(",")
    text = _TEXT_COLUMNS + _TEXT_COLUMNS_OF.get(name, ())
    options: dict[str, Any] = {}
    if int(pd.__version__.split(".")[0]) < 3:
        # Older pandas parse the last digit of some numbers off by one ulp
        # unless told to round-trip; from 3.0 that is the default.
        options["float_precision"] = "round_trip"
    return pd.read_csv(
        io.BytesIO(data),
        keep_default_na=False,
        na_values=[""],
        dtype={c: str for c in header if c in text},
        **options,
    )


class _Tables:
    """CSV files held in memory, read into DataFrames when first asked for."""

    def __init__(self, files: Sequence[tuple[str, bytes]], manifest: str) -> None:
        self._files = dict(files)
        self._manifest_text = manifest

    def csv(self, name: str) -> bytes:
        """The bytes of CSV file ``name`` (e.g. ``"bands.csv"``), exactly as
        the command line writes it."""
        return self._files[name]

    @property
    def files(self) -> list[str]:
        """The CSV files of this result, in the order the command writes them."""
        return list(self._files)

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        """manifest.json: scenario files and checksums, seed, runs, sampler,
        threads, instruction set, timing, and the files with their SHA-256."""
        return json.loads(self._manifest_text)

    def _table(self, name: str) -> "pandas.DataFrame | None":
        data = self._files.get(name)
        return None if data is None else _frame(data, name)

    def write(self, directory: "str | os.PathLike[str]") -> None:
        """Writes the CSV files and manifest.json into ``directory``."""
        os.makedirs(directory, exist_ok=True)
        for name, data in self._files.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
        with open(os.path.join(directory, "manifest.json"), "w") as f:
            f.write(self._manifest_text)


class RunResult(_Tables):
    """What :func:`run` returns: bands, claims, histograms and intervals."""

    @functools.cached_property
    def bands(self) -> "pandas.DataFrame":
        """bands.csv: per metric and year, mean, std and P5 to P95."""
        return self._table("bands.csv")

    @functools.cached_property
    def claims(self) -> "pandas.DataFrame":
        """claims.csv: each claim, its hits and the probability that it holds."""
        return self._table("claims.csv")

    @functools.cached_property
    def histogram(self) -> "pandas.DataFrame":
        """histogram.csv: the 2035 GDP share and NPV, binned."""
        return self._table("histogram.csv")

    @functools.cached_property
    def band_intervals(self) -> "pandas.DataFrame":
        """band_intervals.csv: the Monte Carlo interval of every band cell."""
        return self._table("band_intervals.csv")

    @functools.cached_property
    def claim_intervals(self) -> "pandas.DataFrame":
        """claim_intervals.csv: the interval of every claim's probability."""
        return self._table("claim_intervals.csv")


class SensitivityResult(_Tables):
    """What :func:`sensitivity` returns; a method not run gives ``None``."""

    @functools.cached_property
    def sobol(self) -> "pandas.DataFrame | None":
        """sobol.csv: first-order and total Sobol indices with intervals."""
        return self._table("sobol.csv")

    @functools.cached_property
    def shapley(self) -> "pandas.DataFrame | None":
        """shapley.csv: Shapley effects (scenarios with correlations)."""
        return self._table("shapley.csv")

    @functools.cached_property
    def indices_by_year(self) -> "pandas.DataFrame | None":
        """indices_by_year.csv: the indices of every output year by year."""
        return self._table("indices_by_year.csv")

    @functools.cached_property
    def filter(self) -> "pandas.DataFrame | None":
        """filter.csv: Monte Carlo filtering of every claim."""
        return self._table("filter.csv")

    @functools.cached_property
    def tornado(self) -> "pandas.DataFrame | None":
        """tornado.csv: each parameter at its P10 and P90, one at a time."""
        return self._table("tornado.csv")

    @functools.cached_property
    def rank_correlation(self) -> "pandas.DataFrame | None":
        """rank_correlation.csv: Spearman and partial rank correlations."""
        return self._table("rank_correlation.csv")

    @functools.cached_property
    def switching_values(self) -> "pandas.DataFrame | None":
        """switching_values.csv: where each claim starts or stops holding."""
        return self._table("switching_values.csv")

    @functools.cached_property
    def morris(self) -> "pandas.DataFrame | None":
        """morris.csv: Morris elementary effects."""
        return self._table("morris.csv")


class BridgeResult(_Tables):
    """What :func:`bridge` returns."""

    @functools.cached_property
    def table(self) -> "pandas.DataFrame":
        """bridge.csv: each step's contribution to the move, with errors."""
        return self._table("bridge.csv")


class BaselineResult:
    """What :func:`baseline` returns: the deterministic run at point values."""

    def __init__(self, data: bytes, text: str) -> None:
        self._data = data
        #: The table ``nexus-mc baseline`` prints, against the plan's Tabel 2.
        self.text = text

    def csv(self) -> bytes:
        """baseline.csv's bytes, as ``nexus-mc baseline --csv`` writes them."""
        return self._data

    @functools.cached_property
    def table(self) -> "pandas.DataFrame":
        """baseline.csv: every metric in every year."""
        return _frame(self._data, "baseline.csv")

    def __str__(self) -> str:
        return self.text


class ValidateResult:
    """What :func:`validate` returns for a valid scenario."""

    def __init__(self, text: str, rows: Sequence[Sequence[str]]) -> None:
        #: What ``nexus-mc validate`` prints.
        self.text = text
        self._rows = rows

    @functools.cached_property
    def parameters(self) -> "pandas.DataFrame":
        """Per parameter: distribution, P5, P50, P95 (as printed) and unit."""
        import pandas as pd

        return pd.DataFrame(
            list(self._rows),
            columns=["parameter", "distribution", "P5", "P50", "P95", "unit"],
        )

    def __str__(self) -> str:
        return self.text


def _plain(config: Any) -> Any:
    """A scenario as the extension takes it: a mapping (any ``Mapping``,
    nested) as plain dicts and lists, numpy scalars as Python numbers."""
    if isinstance(config, Mapping):
        return {key: _plain(value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_plain(value) for value in config]
    if type(config).__module__ == "numpy" and hasattr(config, "item"):
        return config.item()
    return config


def _progress(show: bool | None) -> Callable[[int, int], None] | None:
    """A callback drawing a progress bar, if ``show`` asks for one (or, when
    ``None``, if stderr is a terminal or this is a notebook) and tqdm is
    installed; ``None`` otherwise."""
    if show is None:
        show = sys.stderr.isatty() or "ipykernel" in sys.modules
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    bar = None

    def update(total: int, done: int) -> None:
        nonlocal bar
        if bar is None or bar.total != total or done < bar.n:
            if bar is not None:
                bar.close()
            bar = tqdm(total=total, unit="run", unit_scale=True, leave=False)
        bar.update(min(done, total) - bar.n)
        if done >= total:
            bar.close()

    return update


def run(
    config: Scenario = "central",
    runs: int = 1_000_000,
    seed: int = 42,
    sampler: str = "mc",
    threads: int | None = None,
    quantiles: str = "auto",
    replicates: int | None = None,
    precision: str | None = None,
    progress: bool | None = None,
) -> RunResult:
    """Monte Carlo runs of a scenario: ``nexus-mc run``.

    Parameters
    ----------
    config: the scenario (a shipped name, a path, TOML text or a dict).
    runs: model runs, 1 to 10**12.
    seed: master seed; the same scenario, seed, runs and sampler give the
        same numbers on any number of threads.
    sampler: ``"mc"``, ``"lhs"`` or ``"sobol"``.
    threads: worker threads, 1 to 1,024 (default: one per core).
    quantiles: ``"auto"`` (exact up to 250,000 runs), ``"exact"`` or
        ``"sketch"``.
    replicates: independent randomisations of an lhs or sobol run, whose
        spread gives its intervals (default: none; 16 with ``precision``).
    precision: run until the 95 % intervals reach their targets, ``runs``
        being the cap: ``"default"`` or targets as ``--precision`` takes
        them, e.g. ``"gdp_share_pct:2035:p50=0.5%,claims=0.001"``.
    progress: draw a progress bar (needs tqdm); default: in a terminal or
        notebook only.

    Returns a :class:`RunResult` with ``.bands``, ``.claims``,
    ``.histogram``, ``.band_intervals``, ``.claim_intervals`` and
    ``.manifest``.
    """
    files, manifest = _native.run(
        _plain(config), runs, seed, sampler, threads, quantiles, replicates, precision,
        _progress(progress),
    )
    return RunResult(files, manifest)


def sensitivity(
    config: Scenario = "central",
    runs: int = 16_384,
    seed: int = 42,
    methods: Sequence[str] | None = None,
    outputs: Sequence[str] = (),
    replicates: int = 16,
    confidence: float = 0.95,
    permutations: int = 12_000,
    trajectories: int = 100,
    threads: int | None = None,
    progress: bool | None = None,
) -> SensitivityResult:
    """Which assumptions decide the outputs: ``nexus-mc sensitivity``.

    Parameters
    ----------
    config: the scenario.
    runs: the Sobol base sample size N (also the runs of rank correlations
        and filtering).
    seed: master seed.
    methods: any of ``"sobol"``, ``"tornado"``, ``"rank"``,
        ``"switching"``, ``"morris"``, ``"filter"``, ``"shapley"``; default
        all (Shapley effects when the scenario declares correlations).
    outputs: outputs analysed besides the default ones, as ``"METRIC:YEAR"``
        (``"gdp_total:2040"``).
    replicates: independent scrambles behind the Sobol intervals.
    confidence: coverage of the intervals, 0.5 to 0.9999.
    permutations: permutations for Shapley effects.
    trajectories: Morris trajectories.
    threads: worker threads (default: one per core).
    progress: draw a progress bar (needs tqdm).

    Returns a :class:`SensitivityResult` with ``.sobol``, ``.shapley``,
    ``.tornado``, ``.rank_correlation``, ``.switching_values``,
    ``.morris``, ``.filter``, ``.indices_by_year`` and ``.manifest``.
    """
    files, manifest = _native.sensitivity(
        _plain(config), runs, seed, None if methods is None else list(methods), list(outputs),
        replicates, confidence, permutations, trajectories, threads, _progress(progress),
    )
    return SensitivityResult(files, manifest)


def bridge(
    from_: Scenario = "plan-as-written",
    to: Scenario = "central",
    groups: Mapping[str, Sequence[str]] | None = None,
    runs: int = 20_000,
    seed: int = 42,
    orders: int = 1000,
    threads: int | None = None,
    progress: bool | None = None,
) -> BridgeResult:
    """Why a claim fails between two scenarios: ``nexus-mc bridge``.

    Parameters
    ----------
    from_, to: the scenarios bridged from and to.
    groups: parameters taken as one step, ``{"name": ["p1", "p2"]}``.
    runs: Monte Carlo runs per valuation.
    seed: master seed.
    orders: sampled orders of the steps (when there are too many steps to
        value every order).
    threads: worker threads (default: one per core).
    progress: draw a progress bar (needs tqdm).

    Returns a :class:`BridgeResult` whose ``.table`` is bridge.csv.
    """
    group_list = [(name, list(params)) for name, params in (groups or {}).items()]
    files, manifest = _native.bridge(
        _plain(from_), _plain(to), group_list, runs, seed, orders, threads, _progress(progress)
    )
    return BridgeResult(files, manifest)


def baseline(config: Scenario = "kpmg-point") -> BaselineResult:
    """The scenario at its point values through the model, against the
    plan's published table: ``nexus-mc baseline``."""
    data, text = _native.baseline(_plain(config))
    return BaselineResult(data, text)


def validate(config: Scenario) -> ValidateResult:
    """Checks a scenario, as ``nexus-mc validate`` does: raises
    :class:`ScenarioError` naming the key if it is not valid, and otherwise
    returns its parameters' distributions and percentiles."""
    text, rows = _native.validate(_plain(config))
    return ValidateResult(text, rows)
