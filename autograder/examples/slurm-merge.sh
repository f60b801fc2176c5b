#!/bin/bash
# The merge step, once every task of slurm-grade.sh has finished (sbatch --dependency=afterok:<job>).
#SBATCH --job-name=merge-03_attention
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=00:30:00
#SBATCH --output=logs/merge-%j.out
set -euo pipefail
CHAPTER=03_attention
CLASS=${CLASS:-$PWD/class}

.venv/bin/python -m autograder --work-dir "$CLASS/merged" merge "$CHAPTER" "$CLASS"/shards/*
.venv/bin/python -m autograder --work-dir "$CLASS/merged" export "$CHAPTER" --deadlines "$CLASS/deadlines.toml" --format moodle --roster "$CLASS/roster.csv"
