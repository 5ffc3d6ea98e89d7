#!/usr/bin/env bash
# Run one scenario as a Slurm job array of SHARDS shards, then merge them.
#
#   bash examples/slurm-array.sh                       # submits the array and the merge job
#   CONFIG=my.toml RUNS=1e9 SHARDS=64 bash examples/slurm-array.sh
#
# Each array task runs `nexus-mc run --shard K/SHARDS` into $OUT/shard-K; the
# merge job starts when every task has succeeded and writes $OUT/merged. The
# merged bands.csv and claims.csv are those of one process running all RUNS
# (byte for byte with exact quantiles; sketch quantiles merge exactly too).
# Needs `nexus-mc` on PATH on the nodes (cargo install --path .) and $OUT on
# a file system every node sees.
#SBATCH --job-name=nexus-mc
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
#SBATCH --output=nexus-mc-%A_%a.log
set -euo pipefail

CONFIG=${CONFIG:-central}
RUNS=${RUNS:-100000000}
SEED=${SEED:-42}
SHARDS=${SHARDS:-16}
OUT=${OUT:-results/$(basename "$CONFIG" .toml)-seed$SEED}
NEXUS=${NEXUS:-nexus-mc}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    # Submission: the array, then the merge once all tasks are done.
    job=$(sbatch --parsable --array="0-$((SHARDS - 1))" \
        --export="ALL,CONFIG=$CONFIG,RUNS=$RUNS,SEED=$SEED,SHARDS=$SHARDS,OUT=$OUT" "$0")
    sbatch --dependency="afterok:$job" --job-name=nexus-mc-merge --cpus-per-task=1 \
        --wrap="$NEXUS merge $OUT/shard-* --out $OUT/merged"
    echo "submitted array $job ($SHARDS shards of $RUNS runs) and its merge into $OUT/merged"
    exit 0
fi

# One array task. Exit codes: 0 done, 2 bad input (config, flags), 1 failure.
# A retried task replaces its own earlier, complete or partial, outputs.
k=$SLURM_ARRAY_TASK_ID
exec "$NEXUS" run --config "$CONFIG" -n "$RUNS" --seed "$SEED" \
    --shard "$k/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --quantiles sketch --out "$OUT/shard-$k" --quiet
