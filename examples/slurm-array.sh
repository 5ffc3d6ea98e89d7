#!/usr/bin/env bash
# Run one scenario as a Slurm job array of SHARDS shards, then merge them.
#
#   bash examples/slurm-array.sh                       # submits the array and the merge job
#   CONFIG=my.toml RUNS=1e9 SHARDS=64 CPUS=32 bash examples/slurm-array.sh
#
# Set by environment: CONFIG (scenario name or .toml path, default central),
# RUNS (whole run, default 1e8), SEED (default 42), SHARDS (array tasks,
# default 16), OUT (default results/CONFIG-seedSEED), NEXUS (the nexus-mc
# binary, default nexus-mc on PATH) and CPUS (CPUs per task, default 1: raise
# it to your nodes' cores; a task asking for more CPUs than any node has
# pends forever, with reason PartitionConfig, rather than failing).
#
# Each array task runs `nexus-mc run --shard K/SHARDS` on CPUS threads into
# $OUT/shard-K; the merge job starts when every task has succeeded and writes
# $OUT/merged. The merged bands.csv and claims.csv are those of one process
# running all RUNS (byte for byte with exact quantiles; sketch quantiles merge
# exactly too). Needs `nexus-mc` on PATH on the nodes (cargo install --path .)
# or NEXUS naming it, and $OUT on a file system every node sees. Submission
# prints the two job ids, the merge job's on a line `merge job ID: ...` for
# scripts to wait on.
# Logs land in the directory you submit from: nexus-mc-ARRAYID_K.log per task
# and slurm-MERGEID.out for the merge.
#SBATCH --job-name=nexus-mc
#SBATCH --time=01:00:00
#SBATCH --output=nexus-mc-%A_%a.log
set -euo pipefail

CONFIG=${CONFIG:-central}
RUNS=${RUNS:-100000000}
SEED=${SEED:-42}
SHARDS=${SHARDS:-16}
OUT=${OUT:-results/$(basename "$CONFIG" .toml)-seed$SEED}
NEXUS=${NEXUS:-nexus-mc}
CPUS=${CPUS:-1}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    # Submission: the array, then the merge once all tasks are done.
    # --parsable prints "ID" or "ID;CLUSTER"; keep the ID.
    job=$(sbatch --parsable --array="0-$((SHARDS - 1))" --cpus-per-task="$CPUS" \
        --export="ALL,CONFIG=$CONFIG,RUNS=$RUNS,SEED=$SEED,SHARDS=$SHARDS,OUT=$OUT" "$0")
    job=${job%%;*}
    merge=$(sbatch --parsable --dependency="afterok:$job" --job-name=nexus-mc-merge \
        --cpus-per-task=1 --wrap="$NEXUS merge $OUT/shard-* --out $OUT/merged")
    merge=${merge%%;*}
    echo "array job $job: $SHARDS shards of $RUNS runs, $CPUS CPUs each, into $OUT/shard-*"
    echo "merge job $merge: runs once every shard has succeeded, into $OUT/merged"
    exit 0
fi

# One array task. Exit codes: 0 done, 2 bad input (config, flags), 1 failure.
# A retried task replaces its own earlier, complete or partial, outputs.
k=$SLURM_ARRAY_TASK_ID
exec "$NEXUS" run --config "$CONFIG" -n "$RUNS" --seed "$SEED" \
    --shard "$k/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --quantiles sketch --out "$OUT/shard-$k" --quiet
