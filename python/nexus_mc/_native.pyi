"""Type stubs of the extension module `nexus_mc._native` (see `nexus_mc`)."""

from typing import Any, Callable, Sequence

__version__: str

class ScenarioError(ValueError):
    """A scenario that cannot be read or is not valid."""

class SizeError(ValueError):
    """An option out of its range."""

_Tables = tuple[list[tuple[str, bytes]], str]
_Progress = Callable[[int, int], None] | None

def run(
    scenario: Any,
    runs: int,
    seed: int,
    sampler: str,
    threads: int | None,
    quantiles: str,
    replicates: int | None,
    precision: str | None,
    progress: _Progress,
) -> _Tables: ...
def sensitivity(
    scenario: Any,
    runs: int,
    seed: int,
    methods: Sequence[str] | None,
    outputs: Sequence[str],
    replicates: int,
    confidence: float,
    permutations: int,
    trajectories: int,
    threads: int | None,
    progress: _Progress,
) -> _Tables: ...
def bridge(
    from_: Any,
    to: Any,
    groups: Sequence[tuple[str, Sequence[str]]],
    runs: int,
    seed: int,
    orders: int,
    threads: int | None,
    progress: _Progress,
) -> _Tables: ...
def baseline(scenario: Any) -> tuple[bytes, str]: ...
def validate(scenario: Any) -> tuple[str, list[list[str]]]: ...
