#!/usr/bin/env bash
# Usage: .ci/slurm-array-test.sh BIN OUTDIR
# Submits examples/slurm-array.sh to the running Slurm cluster (see
# .ci/slurm-up.sh) exactly as a user would, waits for its merge job, then
# checks the merged outputs byte for byte against one process running all runs.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BIN OUTDIR" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
# Absolute paths: the jobs run in the submission directory, not here.
bin=$(realpath "$1")
outdir=$(realpath "$2")
runs=30000
timeout=300

# Job logs land in the submission directory: submit from a scratch one, so
# the repository stays clean and the logs can be shown if anything fails.
sub=$(mktemp -d)
array='' merge='' ids=()
finish() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "== slurm-array-test: FAILED; diagnostics follow" >&2
        squeue -a -l >&2 || true
        sinfo -N -l >&2 || true
        for j in "${ids[@]}"; do scontrol show job "$j" >&2 || true; done
        for f in "$sub"/* "$outdir"/slurm/logs/*; do
            [[ -f $f ]] && { echo "---- $f" >&2; cat "$f" >&2; }
        done
        # Leave nothing queued behind a failed test.
        if ((${#ids[@]})); then scancel "${ids[@]}" 2>/dev/null || true; fi
    fi
    rm -rf "$sub"
    exit "$rc"
}
trap finish EXIT

cd "$sub"
echo "== slurm-array-test: with NEXUS pointing at nothing, nothing is submitted"
queued=$(squeue -h | wc -l)
if env -u SLURM_ARRAY_TASK_ID NEXUS=/nonexistent/nexus-mc SHARDS=3 RUNS=$runs \
    OUT="$outdir/nothing" CONFIG=central bash "$repo/examples/slurm-array.sh" 2> refusal.txt; then
    echo "examples/slurm-array.sh submitted with no binary to run" >&2
    exit 1
fi
cat refusal.txt
grep -q 'nothing was submitted' refusal.txt
[[ $(squeue -h | wc -l) == "$queued" && ! -e $outdir/nothing ]] || {
    echo "a job or an output directory appeared although the script refused" >&2
    exit 1
}

echo "== slurm-array-test: submitting examples/slurm-array.sh from $sub"
submitted=$(env -u SLURM_ARRAY_TASK_ID NEXUS="$bin" SHARDS=3 RUNS=$runs \
    OUT="$outdir/slurm" CONFIG=central bash "$repo/examples/slurm-array.sh")
echo "$submitted"
array=$(awk '$1 == "array" && $2 == "job" { sub(/:$/, "", $3); print $3 }' <<< "$submitted")
merge=$(awk '$1 == "merge" && $2 == "job" { sub(/:$/, "", $3); print $3 }' <<< "$submitted")
[[ $array =~ ^[0-9]+$ && $merge =~ ^[0-9]+$ ]] || { echo "no job ids in the output above" >&2; exit 1; }
ids=("$array" "$merge")

# Wait for the merge job to reach a final state. If a shard fails, afterok
# can never be met and the merge job pends with DependencyNeverSatisfied:
# stop at once rather than at the timeout. A job the controller has already
# forgotten (MinJobAge) counts as done; the manifest check below decides.
echo "== slurm-array-test: waiting up to $timeout s for merge job $merge"
state='' info=''
for ((t = 0; t < timeout; t += 2)); do
    info=$(scontrol show job -o "$merge" 2>/dev/null || true)
    state=$(grep -o 'JobState=[A-Z_]*' <<< "$info" | cut -d= -f2 || true)
    case $state in
        '' | COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) break ;;
    esac
    if grep -q 'Reason=DependencyNeverSatisfied' <<< "$info"; then
        echo "a shard of array $array failed; merge job $merge can never run" >&2
        exit 1
    fi
    sleep 2
done
if ((t >= timeout)); then
    echo "merge job $merge still $state after $timeout s" >&2
    exit 1
elif [[ -n $state ]]; then
    exit_code=$(grep -o ' ExitCode=[0-9:]*' <<< "$info" | cut -d= -f2)
    echo "merge job $merge: JobState=$state ExitCode=$exit_code after about $t s"
    [[ $state == COMPLETED && $exit_code == 0:0 ]] || { echo "merge job $merge did not succeed" >&2; exit 1; }
else
    echo "merge job $merge: no longer known to slurmctld; checking its outputs"
fi
test -s "$outdir/slurm/merged/manifest.json"
# Logs beside the results, saying what each task ran; none in the submission
# directory.
for k in 0 1 2; do
    grep -q "^task $k of 3 on " "$outdir/slurm/logs/shard-$k.log"
done
grep -q '3 shards ran' "$outdir/slurm/logs/merge.log"
leftover=$(find "$sub" -mindepth 1 ! -name refusal.txt | head -1)
[[ -z $leftover ]] || { echo "the submission directory got $leftover" >&2; exit 1; }

echo "== slurm-array-test: one process, all $runs runs; compare byte for byte"
"$bin" run -n $runs --quantiles sketch --out "$outdir/single" --quiet
for f in bands.csv claims.csv histogram.csv; do
    cmp "$outdir/single/$f" "$outdir/slurm/merged/$f"
    echo "identical: $f"
done
