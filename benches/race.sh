#!/usr/bin/env bash
# Race the Rust engine against the independent NumPy implementation
# (benches/reference/numpy_model.py) on the same scenario and number of runs.
#
#   benches/race.sh                 # central, 1,000,000 runs
#   benches/race.sh 10000000        # 10 M runs
#   CONFIG=distributions/plan-as-written.toml benches/race.sh
#
# Both are timed from process start to finish (wall clock), on all cores;
# Rust writes bands, claims and histograms (sketch quantiles), NumPy writes
# the bands of the five headline metrics (exact quantiles).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1000000}
config=${CONFIG:-distributions/central.toml}
python3 -c "import numpy" 2>/dev/null || {
    echo "race.sh needs python3 with numpy (pip install numpy)" >&2
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

python3 - "$runs" "$t0" "$t1" "$t2" <<'PY'
import sys
runs, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
rust, numpy = t1 - t0, t2 - t1
print(f"runs          {runs:,}")
print(f"rust          {rust:8.2f} s  {runs / rust:14,.0f} runs/s")
print(f"numpy         {numpy:8.2f} s  {runs / numpy:14,.0f} runs/s")
print(f"rust / numpy  {numpy / rust:8.1f} x")
PY
