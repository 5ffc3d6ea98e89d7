#!/usr/bin/env bash
# Race the Rust engine against the independent NumPy implementation
# (benches/reference/numpy_model.py) and the independent Numba implementation
# (benches/reference/numba_model.py) on the same scenario and number of runs.
#
#   benches/race.sh                 # central, 1,000,000 runs
#   benches/race.sh 10000000        # 10 M runs
#   CONFIG=distributions/plan-as-written.toml benches/race.sh
#
# All three are timed from process start to finish (wall clock), on all cores;
# Rust writes bands, claims and histograms (sketch quantiles), NumPy writes
# the bands of the five headline metrics (exact quantiles), and so does Numba
# (same sample as NumPy; model and exact quantiles compiled, parallel on all
# cores). Numba's wall clock includes its import and JIT compilation; its own
# log lines (compile time, and compute time excluding compile) are shown too.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1000000}
config=${CONFIG:-distributions/central.toml}
python3 -c "import numpy" 2>/dev/null || {
    echo "race.sh needs python3 with numpy (pip install numpy)" >&2
    exit 2
}
python3 -c "import numba" 2>/dev/null || {
    echo "race.sh needs python3 with numba (python3 -m pip install numba)" >&2
    exit 2
}
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t0=$(date +%s.%N)
target/release/nexus-mc run --config "$config" -n "$runs" --quantiles sketch --out "$tmp/rust" --quiet
t1=$(date +%s.%N)
python3 benches/reference/numpy_model.py --config "$config" -n "$runs" --seed 42 --out "$tmp/numpy" > "$tmp/numpy.log"
t2=$(date +%s.%N)
python3 benches/reference/numba_model.py --config "$config" -n "$runs" --seed 42 --out "$tmp/numba" > "$tmp/numba.log"
t3=$(date +%s.%N)

python3 - "$runs" "$t0" "$t1" "$t2" "$t3" "$tmp/numba.log" <<'PY'
import sys
runs, t0, t1, t2, t3 = int(sys.argv[1]), *map(float, sys.argv[2:6])
rust, numpy, numba = t1 - t0, t2 - t1, t3 - t2
print(f"runs          {runs:,}")
print(f"rust          {rust:8.2f} s  {runs / rust:14,.0f} runs/s")
print(f"numpy         {numpy:8.2f} s  {runs / numpy:14,.0f} runs/s")
print(f"rust / numpy  {numpy / rust:8.1f} x")
print(f"numba         {numba:8.2f} s  {runs / numba:14,.0f} runs/s")
print(f"rust / numba  {numba / rust:8.1f} x")
with open(sys.argv[6]) as fh:                  # numba's own report: compile vs compute
    for line in fh:
        if line.startswith("numba:"):
            print(f"  ({line.strip()})")
PY
