#!/bin/bash
# Grade one chapter of a class on a Slurm cluster: one array task per shard.
#
#   mkdir -p logs
#   job=$(sbatch --parsable autograder/examples/slurm-grade.sh)
#   sbatch --dependency=afterok:$job autograder/examples/slurm-merge.sh
#
# Run from the course checkout (after `make setup`) on the shared file system; every task uses
# the same commit (merge refuses results of another grader version or chapter release). Each
# task grades in its own class folder, shards/<i>; a task that is killed or preempted
# (--requeue) and started again grades only what it had not finished. To rerun one shard:
# `sbatch --array=3 autograder/examples/slurm-grade.sh`, then the merge.
# Slurm does not isolate the network: the grader's bubblewrap sandbox does (the default
# --sandbox); nodes need bubblewrap installed and unprivileged user namespaces allowed.
#SBATCH --job-name=grade-03_attention
#SBATCH --array=1-4
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=logs/grade-%A_%a.out
set -euo pipefail
CHAPTER=03_attention
CLASS=${CLASS:-$PWD/class}            # holds submissions.zip; shards/ and merged/ are written here
SHARD=$SLURM_ARRAY_TASK_ID
SHARDS=$SLURM_ARRAY_TASK_COUNT

# exit status 1 from import means some files were not notebooks: listed in the log, not fatal
.venv/bin/python -m autograder --work-dir "$CLASS/shards/$SHARD" import "$CHAPTER" "$CLASS/submissions.zip" || [ $? -eq 1 ]
.venv/bin/python -m autograder --work-dir "$CLASS/shards/$SHARD" autograde "$CHAPTER" --shard "$SHARD/$SHARDS" --workers "$SLURM_CPUS_PER_TASK" --memory-gib 3
