#!/bin/bash
# Submit an orglearn sweep to SLURM: a job array of SHARDS tasks (one shard
# each) and a merge job that starts when every task has succeeded.
#
# Usage: submit.sh SWEEP OUT [SHARDS] [SBATCH OPTIONS...]
#   SWEEP   sweep file or built-in sweep name
#   OUT     output folder (created); shards go to OUT/shard-I, results to OUT
#   SHARDS  number of array tasks (default 8)
#   SBATCH OPTIONS are passed to both jobs, e.g. --partition=short --account=abc
#
# Environment: ORGLEARN (the program; default: `orglearn` on PATH),
# ANALYZE=1 (run `orglearn analyze` after the merge).
#
# Prints the two job ids:  array job 1234 (8 shards), merge job 1235
set -euo pipefail
if [ $# -lt 2 ]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
SWEEP="$1"
OUT="$2"
SHARDS="${3:-8}"
shift $(($# < 3 ? $# : 3))
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ORGLEARN="${ORGLEARN:-$(command -v orglearn || true)}"
if [ -z "$ORGLEARN" ] || [ ! -x "$ORGLEARN" ]; then
    echo "cannot find the orglearn program: put it on PATH or set ORGLEARN" >&2
    exit 2
fi
# A sweep file is passed by absolute path, so jobs find it from any folder.
if [ -f "$SWEEP" ]; then
    SWEEP="$(cd "$(dirname "$SWEEP")" && pwd)/$(basename "$SWEEP")"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
# Check the sweep file before queueing anything.
"$ORGLEARN" sweep "$SWEEP" --out "$OUT/shard-1" --shard "1/$SHARDS" --dry-run --quiet
export SWEEP OUT ORGLEARN SHARDS ANALYZE="${ANALYZE:-0}"

array="$(sbatch --parsable --array="1-$SHARDS" --export=ALL "$@" "$here/sweep.sbatch")"
array="${array%%;*}"
merge="$(sbatch --parsable --dependency="afterok:$array" --export=ALL "$@" "$here/merge.sbatch")"
merge="${merge%%;*}"
echo "array job $array ($SHARDS shards), merge job $merge; results in $OUT"
