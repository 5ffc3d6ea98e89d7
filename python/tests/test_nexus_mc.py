"""The Python package against the command line it mirrors.

Every table must be the bytes the `nexus-mc` binary writes for the same
options; the binary is target/release/nexus-mc of this repository (or
$NEXUS_MC_BIN), and a missing binary fails the tests rather than skipping
them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import nexus_mc

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("NEXUS_MC_BIN", ROOT / "target" / "release" / "nexus-mc"))


def cli(*args: str, out: Path, quiet: bool = True) -> Path:
    """Runs the binary with `args`, writing into `out`; fails on error."""
    assert BIN.is_file(), f"{BIN} is missing: run `cargo build --release` first"
    done = subprocess.run(
        [str(BIN), *args, "--out", str(out), *(["--quiet"] if quiet else [])],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return out


def assert_frame_holds_the_file(frame: pd.DataFrame, data: bytes) -> None:
    """Every cell of `frame` is the file's field: the same float, exactly,
    in a numeric column; the same text in a text column; missing where the
    field is empty. Read with the csv module, not pandas."""
    rows = list(csv.reader(io.StringIO(data.decode())))
    header, body = rows[0], rows[1:]
    assert list(frame.columns) == header
    assert len(frame) == len(body)
    for j, column in enumerate(header):
        series = frame[column]
        for i, row in enumerate(body):
            field, value = row[j], series.iloc[i]
            if field == "":
                assert pd.isna(value), (column, i)
            elif pd.api.types.is_bool_dtype(series):
                assert value == (field == "true"), (column, i, field)
            elif pd.api.types.is_numeric_dtype(series):
                assert float(field) == value, (column, i, field, value)
            else:
                assert value == field, (column, i, field, value)


def assert_same_tables(result, directory: Path) -> None:
    """Each CSV of `result` is the bytes of the binary's file, its DataFrame
    holds the file's values, and the manifest lists the files with their
    checksums."""
    written = sorted(p.name for p in directory.glob("*.csv"))
    assert sorted(result.files) == written
    for name in result.files:
        data = (directory / name).read_bytes()
        assert result.csv(name) == data, name
        attribute = {"bridge.csv": "table"}.get(name, name.removesuffix(".csv"))
        frame = getattr(result, attribute, None)
        assert frame is not None, name
        assert_frame_holds_the_file(frame, data)
    manifest = result.manifest
    assert manifest["files"] == result.files
    for name in result.files:
        assert manifest["sha256"][name] == hashlib.sha256(result.csv(name)).hexdigest()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_run_tables_are_the_command_lines_bytes(tmp_path, threads, sampler):
    args = ["-n", "30000", "--seed", "7", "--sampler", sampler, "--threads", str(threads)]
    directory = cli("run", *args, out=tmp_path / "cli")
    result = nexus_mc.run("central", runs=30_000, seed=7, sampler=sampler, threads=threads)
    assert_same_tables(result, directory)
    assert result.manifest["threads"] == threads
    bands = result.bands
    assert list(bands.columns) == ["metric", "year", "mean", "std", "p05", "p10", "p25",
                                   "p50", "p75", "p90", "p95"]
    assert len(bands) == 200


def test_exact_and_replicated_runs_match_too(tmp_path):
    directory = cli("run", "-n", "140000", "--quantiles", "exact", "--sampler", "lhs",
                    "--replicates", "4", out=tmp_path / "cli")
    result = nexus_mc.run(runs=140_000, quantiles="exact", sampler="lhs", replicates=4)
    assert_same_tables(result, directory)


@pytest.mark.parametrize("threads", [1, 2])
def test_sensitivity_tables_are_the_command_lines_bytes(tmp_path, threads):
    directory = cli("sensitivity", "--config", "alt-tax", "-n", "1024", "--seed", "3",
                    "--threads", str(threads), out=tmp_path / "cli")
    result = nexus_mc.sensitivity("alt-tax", runs=1024, seed=3, threads=threads)
    assert_same_tables(result, directory)
    assert result.sobol is not None and {"s1", "st"} <= set(result.sobol.columns)
    assert result.tornado is not None


def test_every_option_reaches_the_engine_as_the_flag_does(tmp_path):
    directory = cli("run", "-n", "300000", "--precision", "gdp_share_pct:2035:p50=1%",
                    "--sampler", "sobol", out=tmp_path / "run")
    result = nexus_mc.run(runs=300_000, precision="gdp_share_pct:2035:p50=1%", sampler="sobol")
    assert_same_tables(result, directory)
    assert result.manifest["precision"] is not None
    directory = cli("sensitivity", "-n", "512", "--method", "sobol", "--method", "morris",
                    "--output", "jobs:2040", "--replicates", "8", "--confidence", "0.9",
                    "--trajectories", "20", out=tmp_path / "sens")
    result = nexus_mc.sensitivity(runs=512, methods=["sobol", "morris"], outputs=["jobs:2040"],
                                  replicates=8, confidence=0.9, trajectories=20)
    assert_same_tables(result, directory)
    assert "jobs:2040" in set(result.sobol.output)
    assert result.tornado is None
    with pytest.raises(nexus_mc.SizeError, match="unknown metric `job`"):
        nexus_mc.sensitivity(outputs=["job:2040"])
    with pytest.raises(nexus_mc.SizeError, match="coverage"):
        nexus_mc.sensitivity(confidence=1.5)
    with pytest.raises(nexus_mc.SizeError, match="is not a target"):
        nexus_mc.run(precision="p50")


def test_bridge_and_baseline_are_the_command_lines_bytes(tmp_path):
    directory = cli("bridge", "-n", "2000", "--group", "appraisal=additionality,displacement",
                    out=tmp_path / "bridge")
    result = nexus_mc.bridge(runs=2000, groups={"appraisal": ["additionality", "displacement"]})
    assert_same_tables(result, directory)
    assert "appraisal" in set(result.table["step"])
    base = cli("baseline", "--config", "kpmg-point", out=tmp_path / "baseline", quiet=False)
    b = nexus_mc.baseline("kpmg-point")
    assert b.csv() == (base / "baseline.csv").read_bytes()
    assert "Tabel 2" in b.text


def test_every_form_of_a_scenario_gives_the_same_run(tmp_path):
    toml = (ROOT / "distributions" / "central.toml").read_text()
    by_name = nexus_mc.run("central", runs=5000)
    by_path = nexus_mc.run(ROOT / "distributions" / "central.toml", runs=5000)
    by_text = nexus_mc.run(toml, runs=5000)
    by_dict = nexus_mc.run({"scenario": {"name": "c", "extends": "central"}}, runs=5000)
    for other in (by_path, by_text, by_dict):
        assert other.csv("bands.csv") == by_name.csv("bands.csv")
    with open(ROOT / "distributions" / "central.toml", "rb") as f:
        # Tables, arrays of tables ([[correlation]]), strings and numbers.
        as_dict = tomllib.load(f)
    assert as_dict.get("correlation"), "central has rank correlations"
    assert nexus_mc.run(as_dict, runs=5000).csv("bands.csv") == by_name.csv("bands.csv")
    fixed = nexus_mc.run(
        {"scenario": {"name": "x", "extends": "central"},
         "parameters": {"multiplier": {"dist": "pert", "min": 1.5, "mode": 1.97, "max": 2.3,
                                       "unit": "ratio",
                                       "source": "[LBSP2025] appendix 9.7, item 4",
                                       "rationale": "The plan's 1.97 as the mode."}}},
        runs=5000,
    )
    assert fixed.csv("bands.csv") != by_name.csv("bands.csv")


@pytest.mark.parametrize(
    "scenario, key",
    [
        ({"scenario": {"name": "x", "extends": "central"},
          "parameters": {"multipler": {"dist": "fixed", "value": 2.0}}}, "parameters.multipler"),
        ({"scenario": {"name": "x", "extends": "central"},
          "parameters": {"multiplier": {"dist": "fixed", "value": None}}},
         "parameters.multiplier.value"),
        ({"scenario": {"name": "x", "extends": "central"},
          "parameters": {"multiplier": {"dist": "pert", "min": 3.0, "mode": 2.0, "max": 4.0}}},
         "parameters.multiplier"),
        ({"scenario": {"name": "x", "extends": "central"}, "nonsense": {"a": 1}}, "nonsense"),
        ({"scenario": {"name": "x", "extends": "no-such-scenario"}}, "no-such-scenario"),
    ],
)
def test_a_bad_scenario_raises_scenario_error_naming_the_key(scenario, key):
    with pytest.raises(nexus_mc.ScenarioError, match=key.replace(".", r"\.")) as caught:
        nexus_mc.run(scenario, runs=1000)
    assert isinstance(caught.value, ValueError)
    assert "<dict>" in str(caught.value) or "no-such-scenario" in str(caught.value)


def test_bad_options_raise_size_error_with_the_command_lines_message(tmp_path):
    # (Python arguments, the same flags) -> the binary's message, word for word.
    cases = [
        (dict(runs=0), ["-n", "0"]),
        (dict(runs=-5), ["-n", "-5"]),
        (dict(runs=10**13), ["-n", str(10**13)]),
        (dict(runs=2.5), ["-n", "2.5"]),
        (dict(seed=-1), ["--seed", "-1"]),
        (dict(threads=0), ["--threads", "0"]),
        (dict(threads=5000), ["--threads", "5000"]),
        (dict(sampler="halton"), ["--sampler", "halton"]),
        (dict(sampler="lhs", replicates=0), ["--sampler", "lhs", "--replicates", "0"]),
        (dict(precision="p50"), ["--precision", "p50"]),
    ]
    for kwargs, flags in cases:
        with pytest.raises(nexus_mc.SizeError) as caught:
            nexus_mc.run(**kwargs)
        done = subprocess.run([str(BIN), "run", *flags, "--out", str(tmp_path / "x")],
                              capture_output=True, text=True)
        assert done.returncode == 2, flags
        assert str(caught.value) in done.stderr, (kwargs, str(caught.value), done.stderr)
    with pytest.raises(nexus_mc.SizeError, match="unknown quantiles `fast`"):
        nexus_mc.run(quantiles="fast")
    with pytest.raises(nexus_mc.SizeError, match="trajectories: `-3`"):
        nexus_mc.sensitivity(trajectories=-3)
    with pytest.raises(nexus_mc.SizeError, match="orders: `-1`"):
        nexus_mc.bridge(orders=-1)
    assert issubclass(nexus_mc.SizeError, ValueError)
    assert issubclass(nexus_mc.ScenarioError, ValueError)


def test_a_progress_bar_runs_and_a_failing_one_stops_the_run():
    # The bar (tqdm) draws and the run is the same.
    shown = nexus_mc.run(runs=100_000, progress=True)
    quiet = nexus_mc.run(runs=100_000, progress=False)
    assert shown.csv("bands.csv") == quiet.csv("bands.csv")
    # A callback hears of the run's whole work from its first call (never a
    # total of 0 while the run sets up) and last of all that it is done.
    seen = []
    nexus_mc._native.run(
        "central", 300_000, 42, "mc", None, "sketch", None, None, lambda t, d: seen.append((t, d))
    )
    assert seen and all(total == 300_000 for total, _ in seen), seen
    assert seen[-1] == (300_000, 300_000)
    # A progress callback that raises cancels the run with its exception.
    calls = []

    def broken(total: int, done: int) -> None:
        calls.append((total, done))
        raise ZeroDivisionError("the bar broke")

    started = time.monotonic()
    with pytest.raises(ZeroDivisionError, match="the bar broke"):
        nexus_mc._native.run("central", 10**10, 42, "mc", None, "sketch", None, None, broken)
    assert time.monotonic() - started < 5
    assert calls and all(total == 10**10 for total, _ in calls), calls


def test_ctrl_c_raises_keyboard_interrupt_within_two_seconds():
    script = (
        "import nexus_mc, sys\n"
        "print('go', flush=True)\n"
        "try:\n"
        "    nexus_mc.run(runs=10**11, quantiles='sketch', progress=False)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(7)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "go"
    time.sleep(1.0)
    assert child.poll() is None, child.stderr.read()
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    code = child.wait(timeout=10)
    elapsed = time.monotonic() - sent
    assert code == 7, child.stderr.read()
    assert child.stdout.read().strip() == "interrupted"
    assert elapsed < 2.0, elapsed


def rss() -> int:
    """This process's resident memory, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_does_not_grow_over_twenty_runs():
    # Sketch quantiles: nothing large is allocated, so any growth is kept
    # results (about 100 kB a run) or engine state.
    for _ in range(3):
        nexus_mc.run(runs=200_000, quantiles="sketch", progress=False).bands
    before = rss()
    for _ in range(20):
        nexus_mc.run(runs=200_000, quantiles="sketch", progress=False).bands
    grown = rss() - before
    assert grown < 8 * 2**20, f"grew by {grown / 2**20:.1f} MiB"
    # Exact quantiles hold 80 MB of values a run (50,000 runs x 200
    # columns); the allocator may keep a few such blocks for reuse, but 20
    # runs kept would be 1.6 GB.
    highest = 0
    for _ in range(20):
        nexus_mc.run(runs=50_000, quantiles="exact", progress=False).bands
        highest = max(highest, rss() - before)
    assert highest < 400 * 2**20, f"grew by {highest / 2**20:.1f} MiB"


def test_help_shows_docstrings_and_the_stubs_ship():
    assert "Monte Carlo runs of a scenario" in nexus_mc.run.__doc__
    assert "ScenarioError" in nexus_mc.__doc__
    package = Path(nexus_mc.__file__).parent
    assert (package / "_native.pyi").is_file()
    assert (package / "py.typed").is_file()


def test_the_example_notebook_runs_clean(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "examples" / "biotech_nexus.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # Its tables came out: the claims cell shows the 1.2 % claim.
    shown = "".join(str(o.get("data", {}).get("text/plain", "")) for cell in notebook.cells
                    for o in cell.get("outputs", []))
    assert "1.2 % of GDP" in shown
