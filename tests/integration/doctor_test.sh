#!/usr/bin/env bash
# cairnctl doctor against real members: a healthy cluster (exit 0), a slow
# disk by a strict threshold and a member whose clock is 5 s ahead (exit 1,
# each named), one member killed (degraded, exit 1) and two killed
# (unavailable, exit 2).
# Usage: doctor_test.sh <cairn> <cairnctl> <fault shim .so> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
CTL=$(realpath "$2")
SHIM=$(realpath "$3")
WORK=$4
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 16000-18000: clear of the other tests and below the ephemeral range
# (32768-60999), where a client socket could hold a port first.
BASE=$((16000 + ($$ % 40) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# doctor EXPECTED_STATUS PATTERN [flags]: runs the doctor, prints its report,
# and checks its exit status and that the report contains PATTERN.
doctor() {
  local want=$1 pattern=$2
  shift 2
  "$CTL" --endpoints "$CLUSTER_ENDPOINTS" doctor --interval 500ms "$@" >"$WORK/report" 2>&1
  local got=$?
  sed 's/^/    /' "$WORK/report"
  [[ $got == "$want" ]] || fail "doctor $* exited $got, expected $want"
  grep -qF -- "$pattern" "$WORK/report" || fail "doctor $*: no \"$pattern\" in its report"
  [[ $got == "$want" ]] && grep -qF -- "$pattern" "$WORK/report" && echo "ok: exit $got, \"$pattern\""
}
wait_writable() {
  for _ in $(seq 100); do
    etcdctl --endpoints "$CLUSTER_ENDPOINTS" --command-timeout=2s put doctor-probe x >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# In JSON, checked at the end: every line of every member's log, gRPC's
# own messages included, must be a JSON object.
export CLUSTER_FLAGS="--log-format json"
cluster_start "$BIN" "$WORK" "$BASE" 3
trap 'cluster_stop; tail -n 5 "$WORK"/n*.log' EXIT
cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || exit 1
for i in $(seq 20); do etcdctl --endpoints "$CLUSTER_ENDPOINTS" put "k$i" v >/dev/null || fail "put $i"; done
sleep 1.5  # a telemetry reading after the writes: a measured fsync p99

echo "== healthy"
doctor 0 "verdict: HEALTHY"
"$CTL" --endpoints "$CLUSTER_ENDPOINTS" doctor --interval 0 -w json >"$WORK/report.json"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "healthy" and r["exit_status"] == 0, r
names = [c["name"] for c in r["checks"]]
assert names == ["reachable", "leader", "apply lag", "fsync", "clock", "disk", "alarms", "learners"], names
assert all(c["ok"] for c in r["checks"])
' "$WORK/report.json" && echo "ok: -w json, eight checks passed" || fail "doctor -w json"

echo "== the members' real fsync latency against a 1 microsecond threshold"
doctor 1 "[FAIL] fsync:" --max-fsync-p99 0.000001

echo "== n3 restarted with its wall clock 5 s ahead"
kill -9 "${CLUSTER_PIDS[3]}"
wait "${CLUSTER_PIDS[3]}" 2>/dev/null
echo 5 >"$WORK/clock3"
CLUSTER_ENV="LD_PRELOAD=$SHIM CAIRN_CHAOS_CLOCK_FILE=$WORK/clock3" \
  cluster_start_member "$BIN" "$WORK" "$BASE" 3 "$CLUSTER_INITIAL"
cluster_wait_ready "127.0.0.1:$((BASE + 30))" 30 || fail "n3 did not come back"
doctor 1 "n3's clock is 5.0 s ahead of the other members'"
echo 0 >"$WORK/clock3"
sleep 0.5
doctor 0 "verdict: HEALTHY"

echo "== n3 killed"
kill -9 "${CLUSTER_PIDS[3]}"
wait_writable || fail "no quorum with two members"
doctor 1 "n3 does not answer"
grep -qF "verdict: DEGRADED (exit status 1)" "$WORK/report" || fail "no DEGRADED verdict"

echo "== n2 killed as well"
kill -9 "${CLUSTER_PIDS[2]}"
doctor 2 "only 1 of 3 voting members answer; a quorum needs 2"
grep -qF "verdict: UNAVAILABLE (exit status 2)" "$WORK/report" || fail "no UNAVAILABLE verdict"

echo "== --log-format json"
/usr/bin/python3 - "$WORK"/n1.log "$WORK"/n2.log "$WORK"/n3.log <<'PY' || fail "a log line that is not JSON"
import json, sys
lines = leader = 0
for path in sys.argv[1:]:
    for raw in open(path, encoding="utf-8"):
        if not raw.strip():
            continue
        rec = json.loads(raw)  # raises on a line that is not JSON
        assert set(rec) >= {"ts", "level", "msg"}, rec
        lines += 1
        leader += "leader is now" in rec["msg"]
assert leader >= 3, f"{leader} 'leader is now' lines"
print(f"ok: {lines} log lines, every one JSON; {leader} leader-change lines")
PY

((failures == 0)) && echo "PASS: doctor" || echo "FAILED: $failures check(s)"
exit $((failures > 0))
