#!/usr/bin/env bash
# A member whose WAL fails (fdatasync returns EIO, injected with the chaos
# harness's preload) must exit with status 3 rather than linger alive and
# useless, and come back whole when restarted.
# Usage: storage_failure_test.sh <cairn> <libcairn_chaos_faults.so> <dir>
set -uo pipefail
BIN=$(realpath "$1")
SHIM=$(realpath "$2")
WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 14000-16000: below the ephemeral range (32768-60999).
BASE=$((14000 + ($$ % 40) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ctl() { etcdctl --command-timeout=5s --endpoints "$@"; }

cluster_start "$BIN" "$WORK" "$BASE" 3
trap 'cluster_stop; tail -n 5 "$WORK"/n*.log' EXIT
cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || exit 1
# Member 1 again, under the fault preload (fails syncs while $WORK/fail says so).
kill -TERM "${CLUSTER_PIDS[1]}"; wait "${CLUSTER_PIDS[1]}" 2>/dev/null
CAIRN_CHAOS_FAIL_FILE="$WORK/fail" LD_PRELOAD="$SHIM" cluster_start_member "$BIN" "$WORK" "$BASE" 1 "$CLUSTER_INITIAL"
pid=${CLUSTER_PIDS[1]}
# Should it never exit, it must not outlive the test.
trap 'kill -KILL "$pid" 2>/dev/null; cluster_stop; tail -n 5 "$WORK"/n*.log' EXIT
e1="127.0.0.1:$((BASE + 10))"
cluster_wait_ready "$e1" 30 || exit 1
ctl "$e1" put before-failure 1 >/dev/null || fail "put before the failure"

echo sync >"$WORK/fail"
# Writes go on (through the others); member 1 syncs them and fails.
for i in $(seq 20); do ctl "$CLUSTER_ENDPOINTS" put "during-$i" x >/dev/null 2>&1; sleep 0.1; done
status=none
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; break; fi
  sleep 0.1
done
[[ "$status" == 3 ]] && echo "ok: the member exited with status 3" || fail "expected exit status 3, got $status"
grep -q "storage failed" "$WORK/n1.log" && echo "ok: it said why" || fail "no 'storage failed' line in the log"

# Restarted without the fault, it recovers from its disk and catches up.
cluster_start_member "$BIN" "$WORK" "$BASE" 1 "$CLUSTER_INITIAL"
cluster_wait_ready "$e1" 30 || fail "member 1 did not come back"
got=$(ctl "$e1" get during-20 --print-value-only 2>&1)
[[ "$got" == x ]] && echo "ok: the restarted member serves every write" || fail "after restart: [$got]"
got=$(ctl "$e1" get before-failure --print-value-only 2>&1)
[[ "$got" == 1 ]] || fail "lost the write before the failure: [$got]"
# The state machine's disk failing (RocksDB's syncs, not the WAL's) stops the
# member the same way: exit status 3, never an abort. Snapshots every 5
# entries make RocksDB flush, and a failed flush fails the next commit.
kill -TERM "${CLUSTER_PIDS[1]}"; wait "${CLUSTER_PIDS[1]}" 2>/dev/null
rm -f "$WORK/fail"
CLUSTER_FLAGS="--snapshot-count 5" CAIRN_CHAOS_FAIL_FILE="$WORK/fail" LD_PRELOAD="$SHIM" \
  cluster_start_member "$BIN" "$WORK" "$BASE" 1 "$CLUSTER_INITIAL"
pid=${CLUSTER_PIDS[1]}
cluster_wait_ready "$e1" 30 || fail "member 1 did not come back under the preload"
echo "sync /groups/" >"$WORK/fail"
for i in $(seq 150); do
  kill -0 "$pid" 2>/dev/null || break
  ctl "$CLUSTER_ENDPOINTS" put "sm-$i" x >/dev/null 2>&1
done
status=none
for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; break; fi
  sleep 0.1
done
[[ "$status" == 3 ]] && echo "ok: a failing state-machine disk: exit status 3" \
  || fail "state-machine disk failure: expected exit status 3, got $status"
grep -q "the state machine cannot apply entries" "$WORK/n1.log" && echo "ok: it said why" \
  || fail "no 'the state machine cannot apply entries' line in the log"
rm -f "$WORK/fail"
echo "failures: $failures"
((failures == 0))
