#!/usr/bin/env bash
# The test-only planted bugs (cairn --unsafe-planted-bug) really are bugs a
# client can see, so that the chaos harness (tests/chaos) can prove that it
# catches them: local-reads answers linearizable reads with stale data, and
# ack-before-fsync loses acknowledged writes when every member is killed
# with SIGKILL; without a planted bug the same kill loses nothing.
# Usage: planted_bugs_test.sh <cairn binary> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 30000-32000: below the ephemeral range (32768+), clear of the other tests.
BASE=$((30000 + ($$ % 40) * 50))
PY=/usr/bin/python3  # Debian's, which has python3-etcd3
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
trap 'cluster_stop >/dev/null 2>&1; tail -n 5 "$WORK"/*/n*.log' EXIT

# start BUG: a fresh three-member cluster with that planted bug.
start() {
  DATA=$WORK/$1
  CLUSTER_FLAGS="--unsafe-planted-bug $1" cluster_start "$BIN" "$DATA" "$BASE" 3
  cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || fail "$1: no leader"
}

# kill_all_and_restart: SIGKILL every member at once, then start them again.
kill_all_and_restart() {
  local i
  kill -KILL "${CLUSTER_PIDS[@]}" 2>/dev/null
  for i in 1 2 3; do wait "${CLUSTER_PIDS[$i]}" 2>/dev/null; done
  for i in 1 2 3; do
    CLUSTER_FLAGS="--unsafe-planted-bug $BUG" \
      cluster_start_member "$BIN" "$DATA" "$BASE" "$i" "$CLUSTER_INITIAL"
  done
  cluster_wait_ready "$CLUSTER_ENDPOINTS" 30
}

# Puts k = <prefix>-1, -2, ... one after another for SECONDS through member 1;
# prints the last value acknowledged.
write_for() {
  "$PY" - "$((BASE + 10))" "$1" "$2" <<'PY'
import sys, time, etcd3
port, seconds, prefix = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
client = etcd3.client(host="127.0.0.1", port=port, timeout=3)
last, n, end = "", 0, time.time() + seconds
while time.time() < end:
    n += 1
    try:
        client.put("k", f"{prefix}-{n}")
        last = f"{prefix}-{n}"
    except Exception:
        pass
print(last)
PY
}

# lost_rounds ROUNDS: writes, kill -9 of every member at once, a restart and
# a linearizable read, ROUNDS times; sets LOST to the rounds whose read did
# not return the last acknowledged write. (Not run in a subshell: it
# restarts members, whose pids cluster_stop needs.)
lost_rounds() {
  local rounds=$1 r last got
  LOST=0
  for ((r = 1; r <= rounds; r++)); do
    last=$(write_for 2 "$BUG-$r")
    [[ -n $last ]] || fail "$BUG round $r: no write was acknowledged"
    kill_all_and_restart || fail "$BUG round $r: no leader after the restart"
    got=$(etcdctl --endpoints "$CLUSTER_ENDPOINTS" --command-timeout=5s get k --print-value-only 2>&1)
    echo "$BUG round $r: last acknowledged $last, read after kill -9 of all: $got"
    [[ $got == "$last" ]] || LOST=$((LOST + 1))
  done
}

# stale_reads: five times, pauses a follower (SIGSTOP), writes through
# another member, sends the follower a linearizable read and lets it go on
# (SIGCONT); prints how many reads missed the write. The read reaches the
# paused member before the leader's news of the write can be handled, so
# only a member that waits for ReadIndex answers it correctly.
stale_reads() {
  "$PY" - "$BASE" "${CLUSTER_PIDS[1]}" "${CLUSTER_PIDS[2]}" "${CLUSTER_PIDS[3]}" <<'PY'
import os, signal, sys, threading, time, etcd3
base, pids = int(sys.argv[1]), [int(p) for p in sys.argv[2:5]]
clients = [etcd3.client(host="127.0.0.1", port=base + 10 * i, timeout=10) for i in (1, 2, 3)]
# A leader, and every member's client URL published (with local-reads the
# shell's readiness probe, a "linearizable" read, proves neither).
deadline = time.time() + 30
while True:
    try:
        leader = clients[0].status().leader
        members = list(clients[0].members)
        if leader is not None and len(members) == 3 and all(m.client_urls for m in members):
            break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("no leader, or members without client URLs")
    time.sleep(0.2)
ports = {m.id: int(m.client_urls[0].rsplit(":", 1)[1]) for m in members}
leader = leader.id
followers = [i for i in range(3) if ports[leader] != base + 10 * (i + 1)]
paused, writer = followers[0], followers[1]
stale = 0
for n in range(5):
    os.kill(pids[paused], signal.SIGSTOP)
    try:
        clients[writer].put("k", f"stale-{n}")
        got = []
        reader = threading.Thread(target=lambda: got.append(clients[paused].get("k")[0]))
        reader.start()
        time.sleep(0.2)  # the request waits in the paused member's socket
    finally:
        os.kill(pids[paused], signal.SIGCONT)
    reader.join()
    if not got:
        sys.exit("the read failed")
    stale += got[0] != f"stale-{n}".encode()
print(stale)
PY
}

# --- local-reads: a follower answers a linearizable read before it has
# heard of a write that the leader already acknowledged.
BUG=local-reads
start $BUG
grep -q 'UNSAFE: planted bug "local-reads" is ON' "$DATA/n1.log" || fail "no startup warning"
stale=$(stale_reads)
echo "local-reads: ${stale:-?} of 5 linearizable reads missed an acknowledged write"
[[ ${stale:-0} -gt 0 ]] || fail "local-reads: every linearizable read saw the acknowledged write"
cluster_stop >/dev/null

# --- ack-before-fsync: writes acknowledged within the last second or so
# are on no member's disk.
BUG=ack-before-fsync
start $BUG
grep -q 'UNSAFE: planted bug "ack-before-fsync" is ON' "$DATA/n1.log" || fail "no startup warning"
lost_rounds 3
((LOST > 0)) || fail "ack-before-fsync: kill -9 of every member lost no acknowledged write in 3 rounds"
grep -q "CHECK failed" "$DATA"/n*.log && fail "ack-before-fsync: a member aborted"
cluster_stop >/dev/null

# --- the control: the real server reads the write and loses nothing.
BUG=none
start $BUG
grep -q "UNSAFE" "$DATA/n1.log" && fail "none: a planted-bug warning without a planted bug"
stale=$(stale_reads)
[[ $stale == 0 ]] || fail "none: ${stale:-?} of 5 linearizable reads missed an acknowledged write"
lost_rounds 2
((LOST == 0)) || fail "none: kill -9 of every member lost an acknowledged write"
cluster_stop >/dev/null

trap - EXIT
if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "planted bugs: ok"
