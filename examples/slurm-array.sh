#!/usr/bin/env bash
# Run one scenario as a Slurm job array of SHARDS shards, then merge them.
#
#   bash examples/slurm-array.sh                       # submits the array and the merge job
#   CONFIG=my.toml RUNS=1e9 SHARDS=64 CPUS=32 bash examples/slurm-array.sh
#
# Set by environment: CONFIG (scenario name or .toml path, default central),
# RUNS (whole run, default 1e8), SEED (default 42), SHARDS (array tasks,
# default 16), OUT (default results/CONFIG-seedSEED), NEXUS (the nexus-mc
# binary; default: this repository's target/release/nexus-mc if built, else
# nexus-mc on PATH) and CPUS (CPUs per task, default 1: raise it to your
# nodes' cores; a task asking for more CPUs than any node has pends forever,
# with reason PartitionConfig, rather than failing).
#
# Each array task runs `nexus-mc run --shard K/SHARDS` on CPUS threads into
# $OUT/shard-K; the merge job starts when every task has succeeded and writes
# $OUT/merged. The merged bands.csv and claims.csv are those of one process
# running all RUNS (byte for byte with exact quantiles; sketch quantiles merge
# exactly too). The binary and $OUT must be on a file system every node
# sees. Before submitting anything the script checks that the binary runs
# and that CONFIG is valid, and refuses (exit 2) with what to do otherwise.
# Submission prints the two job ids, the merge job's on a line
# `merge job ID: ...` for scripts to wait on.
# Logs land beside the results: $OUT/logs/shard-K.log per task (what it ran,
# where and when, and nexus-mc's summary) and $OUT/logs/merge.log.
#SBATCH --job-name=nexus-mc
#SBATCH --time=01:00:00
set -euo pipefail

CONFIG=${CONFIG:-central}
RUNS=${RUNS:-100000000}
SEED=${SEED:-42}
SHARDS=${SHARDS:-16}
OUT=${OUT:-results/$(basename "$CONFIG" .toml)-seed$SEED}
CPUS=${CPUS:-1}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    # Submission. First the binary every task will run: NEXUS, else this
    # repository's release build, else nexus-mc on PATH; refuse without one,
    # since tasks would otherwise die one by one and leave the merge job
    # pending forever.
    here=$(cd "$(dirname "$0")" && pwd)
    if [[ -n "${NEXUS:-}" ]]; then
        found=$(command -v "$NEXUS" || true)
    elif [[ -x "$here/../target/release/nexus-mc" ]]; then
        found=$here/../target/release/nexus-mc
    else
        found=$(command -v nexus-mc || true)
    fi
    if [[ -z "$found" ]] || ! "$found" --version > /dev/null 2>&1; then
        echo "error: no nexus-mc binary to run${NEXUS:+ (NEXUS=$NEXUS)}: build it with" \
            "\`cargo build --release\` in $(cd "$here/.." && pwd), or \`cargo install" \
            "--path .\`, or set NEXUS to its path; nothing was submitted" >&2
        exit 2
    fi
    NEXUS=$(realpath "$found")
    if ! "$NEXUS" validate "$CONFIG" > /dev/null; then
        echo "error: scenario $CONFIG is not valid (above); nothing was submitted" >&2
        exit 2
    fi
    mkdir -p "$OUT/logs"
    # The array, then the merge once all tasks are done. --parsable prints
    # "ID" or "ID;CLUSTER"; keep the ID.
    job=$(sbatch --parsable --array="0-$((SHARDS - 1))" --cpus-per-task="$CPUS" \
        --output="$OUT/logs/shard-%a.log" \
        --export="ALL,CONFIG=$CONFIG,RUNS=$RUNS,SEED=$SEED,SHARDS=$SHARDS,OUT=$OUT,NEXUS=$NEXUS" "$0")
    job=${job%%;*}
    merge=$(sbatch --parsable --dependency="afterok:$job" --job-name=nexus-mc-merge \
        --cpus-per-task=1 --output="$OUT/logs/merge.log" \
        --wrap="$NEXUS merge $OUT/shard-* --out $OUT/merged")
    merge=${merge%%;*}
    echo "array job $job: $SHARDS shards of $RUNS runs, $CPUS CPUs each, into $OUT/shard-*"
    echo "merge job $merge: runs once every shard has succeeded, into $OUT/merged"
    echo "logs: $OUT/logs/"
    exit 0
fi

# One array task. Exit codes: 0 done, 2 bad input (config, flags), 1 failure.
# A retried task replaces its own earlier, complete or partial, outputs.
k=$SLURM_ARRAY_TASK_ID
echo "task $k of $SHARDS on $(hostname), $(date -u +%FT%TZ): $NEXUS run --config $CONFIG" \
    "-n $RUNS --seed $SEED --shard $k/$SHARDS --threads ${SLURM_CPUS_PER_TASK:-1}" \
    "--out $OUT/shard-$k"
exec "$NEXUS" run --config "$CONFIG" -n "$RUNS" --seed "$SEED" \
    --shard "$k/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --quantiles sketch --out "$OUT/shard-$k"
