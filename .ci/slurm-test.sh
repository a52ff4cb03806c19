#!/usr/bin/env bash
# Integration test of the SLURM deployment on a real single-node cluster
# started on this machine: submits the built-in `smoke` sweep as a job array
# with a dependent merge job (deploy/slurm/submit.sh), waits for both, checks
# that the merged results equal an unsharded run byte for byte, and stops the
# daemons it started.
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge with apt-get
# when they are missing; prints a SKIPPED line and exits 0 only when they
# cannot be installed (or it is not run as root, which the daemons need).
# Uses the program in $ORGLEARN if set, else builds target/release/orglearn.
#
# Run from anywhere: bash .ci/slurm-test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
SHARDS=3

say() { printf 'slurm-test: %s\n' "$*"; }
skip() {
    printf 'SKIPPED: slurm-test: %s\n' "$*"
    exit 0
}

if [ "$(id -u)" -ne 0 ]; then
    skip "needs root to install packages and start slurmctld, slurmd and munged"
fi
have_slurm() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v sbatch >/dev/null && command -v munged >/dev/null
}
export PATH="$PATH:/usr/sbin:/sbin"
if ! have_slurm; then
    say "installing slurmctld slurmd slurm-client munge"
    apt_log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends slurmctld slurmd slurm-client munge; } >"$apt_log" 2>&1 || ! have_slurm; then
        tail -n 5 "$apt_log" || true
        skip "the Debian packages slurmctld, slurmd, slurm-client and munge cannot be installed"
    fi
    rm -f "$apt_log"
fi

if [ -n "${ORGLEARN:-}" ]; then
    BIN="$ORGLEARN"
else
    say "building orglearn"
    cargo build --release --locked --quiet
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/orglearn"
fi
[ -x "$BIN" ] || { echo "slurm-test: no program at $BIN" >&2; exit 1; }

D="$(mktemp -d /tmp/orglearn-slurm.XXXXXX)"
mkdir -p "$D"/{state,spool,run,log,work}
# Ports of our own, so a cluster already on this machine is not disturbed.
PORT=$((20000 + RANDOM % 20000))
export SLURM_CONF="$D/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=orglearn-test
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
NodeName=localhost CPUs=2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

CTLD=""
SLURMD=""
STARTED_MUNGE=0
OK=0
cleanup() {
    for p in $SLURMD $CTLD; do
        kill "$p" 2>/dev/null || true
    done
    for p in $SLURMD $CTLD; do
        wait "$p" 2>/dev/null || true
    done
    if [ "$STARTED_MUNGE" = 1 ]; then
        runuser -u munge -- munged --stop >/dev/null 2>&1 || true
    fi
    if [ "$OK" = 1 ]; then
        rm -rf "$D"
    else
        echo "slurm-test: logs kept in $D/log" >&2
        tail -n 20 "$D"/log/*.log "$D"/work/slurm-*.out 2>/dev/null >&2 || true
    fi
}
trap cleanup EXIT

if ! runuser -u munge -- munge -n >/dev/null 2>&1 </dev/null; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged
    STARTED_MUNGE=1
fi
slurmctld -D -c -f "$SLURM_CONF" >"$D/log/slurmctld.stdout" 2>&1 &
CTLD=$!
slurmd -D -N localhost -f "$SLURM_CONF" >"$D/log/slurmd.stdout" 2>&1 &
SLURMD=$!

say "waiting for the node"
for _ in $(seq 1 120); do
    state="$(sinfo -h -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || { echo "slurm-test: the node did not come up (state: '$state')" >&2; exit 1; }

cd "$D/work"
say "submitting smoke as $SHARDS array tasks and a merge"
submitted="$(ORGLEARN="$BIN" "$ROOT/deploy/slurm/submit.sh" smoke "$D/work/out" "$SHARDS" --cpus-per-task=1)"
echo "$submitted"
ARRAY="$(sed -n 's/.*array job \([0-9]*\).*/\1/p' <<<"$submitted")"
MERGE="$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$submitted")"
[ -n "$ARRAY" ] && [ -n "$MERGE" ] || { echo "slurm-test: no job ids in: $submitted" >&2; exit 1; }

for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ] && break
    sleep 0.5
done
if [ -n "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ]; then
    echo "slurm-test: jobs still queued after 300 s:" >&2
    squeue >&2 || true
    exit 1
fi

# Every array task and the merge completed with exit code 0.
states="$({ scontrol show job "$ARRAY"; scontrol show job "$MERGE"; } 2>/dev/null | grep -o 'JobState=[A-Z_]*\|ExitCode=[0-9:]*' || true)"
tasks="$(scontrol show job "$ARRAY" | grep -c 'JobState=COMPLETED' || true)"
merged="$(scontrol show job "$MERGE" | grep -c 'JobState=COMPLETED' || true)"
if [ "$tasks" -ne "$SHARDS" ] || [ "$merged" -ne 1 ] || grep -q 'ExitCode=[1-9]' <<<"$states"; then
    echo "slurm-test: jobs did not all complete:" >&2
    echo "$states" >&2
    exit 1
fi

say "running smoke unsharded for comparison"
"$BIN" sweep smoke --out "$D/whole" --quiet
for f in runs.csv points.csv plan.csv heatmap.png regime-map.png; do
    if ! cmp -s "$D/whole/$f" "$D/work/out/$f"; then
        echo "slurm-test: $f of the merged SLURM run differs from the unsharded run" >&2
        exit 1
    fi
done
for i in $(seq 1 "$SHARDS"); do
    [ -f "$D/work/out/shard-$i/runs.csv" ] || { echo "slurm-test: shard $i wrote no runs.csv" >&2; exit 1; }
done
OK=1
say "OK: $SHARDS array tasks and the dependent merge completed; the merged results equal the unsharded run"
