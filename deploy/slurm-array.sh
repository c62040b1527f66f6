#!/usr/bin/env bash
# smoothscale batch over the tasks of a Slurm job array, with no coordinator:
#
#     sbatch deploy/slurm-array.sh /shared/videos/in /shared/videos/out [run options...]
#
# Each task runs `smoothscale batch --shard auto`, which reads SLURM_ARRAY_TASK_ID,
# SLURM_ARRAY_TASK_MIN (and _STEP) and SLURM_ARRAY_TASK_COUNT and takes the clips whose
# file-name hash falls in its shard. Both folders must be on a filesystem every node sees.
# Resubmitting the same script skips the clips already done, and a task that finds a clip locked
# by another submission's task reports it busy and goes on. Change --array to the number of
# tasks wanted (a plain range such as 0-7 or 1-8; lists like 1,5,9 are refused). Options given to
# sbatch override the #SBATCH lines below (e.g. --cpus-per-task=2 on smaller nodes). Each task's
# log is smoothscale-JOB_TASK.log in the folder sbatch ran in, and its report
# OUT_DIR/.smoothscale/report-JOB_TASK.json.
#
# Run on a one-node Slurm 22.05 cluster by scripts/test-slurm (docs/slurm.md).
#SBATCH --job-name=smoothscale
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=12:00:00
#SBATCH --output=smoothscale-%A_%a.log
# SIGTERM to this script (which execs smoothscale) 60 s before the time limit: the clip in progress is cleaned up and the task exits 143.
#SBATCH --signal=B:TERM@60
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: sbatch $0 IN_DIR OUT_DIR [run options...]" >&2
    exit 2
fi
in_dir=$1
out_dir=$2
shift 2
mkdir -p "$out_dir/.smoothscale"
exec smoothscale batch "$in_dir" "$out_dir" --shard auto \
    --threads "${SLURM_CPUS_PER_TASK:-0}" \
    --report "$out_dir/.smoothscale/report-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.json" "$@"
