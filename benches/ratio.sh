#!/usr/bin/env bash
# CPU per run of the whole engine against one model evaluation, on each
# instruction set this processor has: the `chunk` bench (sample, evaluate
# and accumulate 65,536 runs of central on one thread) a run, divided by
# `model_core/central_draws` (one evaluation over the same draws).
#
#   benches/ratio.sh              # four pairs on each path this processor has
#   benches/ratio.sh 8 avx2       # eight pairs on avx2 alone
#
# The two benches run at the same time, one on each of two cores (taskset),
# so that both meet the machine in the same state: on a shared VM, run one
# after the other, the ratio moved by 20 % within minutes. The cores are
# swapped from one pair to the next. Prints each pair's ratio and the
# median for each path; record the processor beside them
# (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=${1:-4}
shift || true
[[ $pairs =~ ^[1-9][0-9]*$ ]] || {
    echo "ratio.sh: the number of pairs must be a whole number from 1, not '$pairs'" >&2
    exit 2
}
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
    echo "ratio.sh needs two cores and taskset (Debian: apt-get install util-linux)" >&2
    exit 2
fi

flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
runs_here() {
    case $1 in
        portable) true ;;
        avx2) has avx2 fma ;;
        avx512) has avx512f avx512vl avx512dq avx2 fma ;;
        *) return 1 ;;
    esac
}
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(portable avx2 avx512)
for p in "${paths[@]}"; do
    case $p in portable | avx2 | avx512) ;; *)
        echo "ratio.sh: '$p' names no path: use portable, avx2 or avx512" >&2
        exit 2
        ;;
    esac
done

grep -m3 -E '^(model name|cpu family|model)\s' /proc/cpuinfo
exe() { cargo bench --no-run --bench "$1" 2>&1 | sed -n "s|.*Executable benches/$1.rs (\(.*\))|\1|p"; }
chunk=$(exe chunk)
model=$(exe model_core)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Criterion's middle throughput estimate, in elements (runs) a second.
per_second() {
    awk '/thrpt:/ {
        for (i = 1; i <= NF; i++) if ($i == "thrpt:") break
        v = $(i + 3); u = $(i + 4)
        scale = u ~ /^Gelem/ ? 1e9 : u ~ /^Melem/ ? 1e6 : u ~ /^Kelem/ ? 1e3 : 1
        printf "%.6g\n", v * scale
        exit
    }' "$1"
}

for p in "${paths[@]}"; do
    if ! runs_here "$p"; then
        echo "$p: this processor lacks it, skipped"
        continue
    fi
    ratios=()
    for i in $(seq "$pairs"); do
        a=$((i % 2))
        NEXUS_MC_ISA=$p taskset -c $a "$chunk" --bench --noplot chunk >"$tmp/chunk" 2>&1 &
        NEXUS_MC_ISA=$p taskset -c $((1 - a)) "$model" --bench --noplot central_draws >"$tmp/model" 2>&1 &
        wait
        c=$(per_second "$tmp/chunk")
        m=$(per_second "$tmp/model")
        r=$(awk -v c="$c" -v m="$m" 'BEGIN { printf "%.2f", m / c }')
        ratios+=("$r")
        awk -v p="$p" -v i="$i" -v c="$c" -v m="$m" -v r="$r" 'BEGIN {
            printf "%-8s pair %d: chunk %.0f ns a run, model_core %.1f ns: %sx\n", p, i, 1e9 / c, 1e9 / m, r
        }'
    done
    printf '%s\n' "${ratios[@]}" | sort -n | awk -v p="$p" '{ r[NR] = $1 }
        END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
              printf "%-8s median of %d pairs: %.2fx\n", p, NR, m }'
done
