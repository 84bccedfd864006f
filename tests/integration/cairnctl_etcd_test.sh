#!/usr/bin/env bash
# cairnctl against a real single-node etcd 3.4 (Debian's etcd-server) for
# what cairn does not serve yet: leases, locks, elections, membership
# changes, snapshots, move-leader. Usage:
#   cairnctl_etcd_test.sh <cairnctl binary> <scratch dir>
set -uo pipefail
CTL=$(realpath "$1")
WORK=$2
ETCD=/usr/bin/etcd
rm -rf "$WORK" && mkdir -p "$WORK"
# 28500-29290: below the ephemeral range (32768+), clear of the other tests.
PORT=$((28500 + ($$ % 40) * 20))
CLIENT=127.0.0.1:$PORT PEER=127.0.0.1:$((PORT + 1))
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check "<description>" "<expected>" "<got>"
  if [[ "$3" == "$2" ]]; then echo "ok: $1"; else fail "$1: expected [$2], got [$3]"; fi
}
ctl() { timeout 20 "$CTL" --command-timeout=5s --endpoints "$CLIENT" "$@"; }
# Until a line of FILE matches REGEX, at most 10 s: wait_for_line FILE REGEX
wait_for_line() {
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# The exit status of background PID, killing it if it takes over 10 s.
exit_status_of() {
  local deadline=$((SECONDS + 10))
  while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1"
}
# A long-running cairnctl in the background (no `timeout` wrapper, so that
# signals reach cairnctl itself): bg OUTPUT_FILE args...; sets BG.
bg() {
  local out=$1; shift
  "$CTL" --command-timeout=5s --endpoints "$CLIENT" "$@" >"$out" 2>&1 &
  BG=$!
  PIDS+=($BG)
}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do exit_status_of "$p" 2>/dev/null; done
}
trap 'cleanup; ((failures)) && tail -n 20 "$WORK/etcd.log"' EXIT

if [[ ! -x $ETCD ]]; then echo "FAIL: $ETCD is missing (Debian package etcd-server)"; exit 1; fi
"$ETCD" --name default --data-dir "$WORK/data" \
  --listen-client-urls "http://$CLIENT" --advertise-client-urls "http://$CLIENT" \
  --listen-peer-urls "http://$PEER" --initial-advertise-peer-urls "http://$PEER" \
  --initial-cluster "default=http://$PEER" >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do ctl endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
ctl endpoint health >/dev/null 2>&1 || { fail "etcd did not become healthy"; exit 1; }
echo "ok: etcd is up at $CLIENT"

# Leases.
grant=$(ctl lease grant 60)
id=$(sed -nE 's/^lease ([0-9a-f]{16}) granted with TTL\(60s\)$/\1/p' <<<"$grant")
[[ -n "$id" ]] && echo "ok: lease grant ($id)" || fail "lease grant: [$grant]"
check "put with the lease" "OK" "$(ctl put leased/k v --lease "$id" 2>&1)"
ttl=$(ctl lease timetolive "$id" --keys 2>&1)
[[ "$ttl" =~ ^lease\ $id\ granted\ with\ TTL\(60s\),\ remaining\((59|60)s\),\ attached\ keys\(\[leased/k\]\)$ ]] &&
  echo "ok: lease timetolive --keys" || fail "lease timetolive --keys: [$ttl]"
check "lease keep-alive --once" "lease $id keepalived with TTL(60)" "$(ctl lease keep-alive --once "$id" 2>&1)"
check "lease list" "found 1 leases
$id" "$(ctl lease list 2>&1)"
check "lease list -w json carries the id as a number" "True" \
  "$(ctl lease list -w json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['leases'][0]['ID'] == 0x$id)")"
check "lease revoke" "lease $id revoked" "$(ctl lease revoke "$id" 2>&1)"
check "the lease's keys are gone" "" "$(ctl get leased/k 2>&1)"
check "timetolive of a revoked lease" "lease $id already expired" "$(ctl lease timetolive "$id" 2>&1)"
check "revoking it again is etcd's error, exit 1" "Error: etcdserver: requested lease not found
exit 1" "$(ctl lease revoke "$id" 2>&1; echo "exit $?")"

# Locks: a second holder waits until the first lets go.
bg "$WORK/lock1.out" lock job; holder=$BG
wait_for_line "$WORK/lock1.out" '^job/[0-9a-f]+$' &&
  echo "ok: lock prints the held key ($(cat "$WORK/lock1.out"))" || fail "lock: [$(cat "$WORK/lock1.out")]"
bg "$WORK/lock2.out" lock job sh -c 'echo "second got $ETCD_LOCK_KEY"'; waiter=$BG
sleep 1.5
check "the second locker waits while the first holds" "" "$(cat "$WORK/lock2.out")"
kill -INT "$holder"
exit_status_of "$holder"; check "the first holder exits 0 on Ctrl-C" "0" "$?"
wait_for_line "$WORK/lock2.out" '^second got job/[0-9a-f]+$' &&
  echo "ok: the second locker ran its command once the lock was released" ||
  fail "second locker: [$(cat "$WORK/lock2.out")]"
exit_status_of "$waiter"; check "lock with a command exits with the command's status" "0" "$?"
check "no lock keys are left behind" "" "$(ctl get job/ --prefix --keys-only 2>&1)"
check "a failing command's status is reported" "Error: exit status 3
exit 1" "$(ctl lock job sh -c 'exit 3' 2>&1; echo "exit $?")"

# Elections: an observer sees each leader; a candidate waits for the leader
# to resign.
bg "$WORK/observe.out" elect --listen vote; observer=$BG
bg "$WORK/elect1.out" elect vote p1; first=$BG
wait_for_line "$WORK/elect1.out" '^p1$' && [[ "$(head -1 "$WORK/elect1.out")" =~ ^vote/[0-9a-f]+$ ]] &&
  echo "ok: the first candidate is elected and prints its key and proposal" ||
  fail "first candidate: [$(cat "$WORK/elect1.out")]"
bg "$WORK/elect2.out" elect vote p2; second=$BG
sleep 1.5
check "the second candidate waits while the first leads" "" "$(cat "$WORK/elect2.out")"
kill -INT "$first"
exit_status_of "$first"; check "the first candidate resigns and exits 0 on Ctrl-C" "0" "$?"
wait_for_line "$WORK/elect2.out" '^p2$' && [[ "$(head -1 "$WORK/elect2.out")" =~ ^vote/[0-9a-f]+$ ]] &&
  echo "ok: the second candidate is elected after the resignation" ||
  fail "second candidate: [$(cat "$WORK/elect2.out")]"
wait_for_line "$WORK/observe.out" '^p2$'
check "elect --listen observed both leaders in turn" "p1 p2 " \
  "$(grep -vE '^vote/' "$WORK/observe.out" | tr '\n' ' ')"
kill -INT "$second" "$observer"
exit_status_of "$second"; check "the second candidate exits 0 on Ctrl-C" "0" "$?"
exit_status_of "$observer"; check "the observer exits 0 on Ctrl-C" "0" "$?"
check "no election keys are left behind" "" "$(ctl get vote/ --prefix --keys-only 2>&1)"

# Membership: a learner is added, cannot be promoted before it catches up
# (it never starts here), and is removed.
added=$(ctl member add learner1 --peer-urls "http://127.0.0.1:$((PORT + 11))" --learner 2>&1)
learner=$(sed -nE 's/^Member +([0-9a-f]+) added to cluster +[0-9a-f]+$/\1/p' <<<"$added")
[[ -n "$learner" ]] && grep -q '^ETCD_INITIAL_CLUSTER_STATE="existing"$' <<<"$added" &&
  # Members come in etcd's order (by id), so either may be first.
  grep -qE "^ETCD_INITIAL_CLUSTER=\"(learner1=http://127.0.0.1:$((PORT + 11)),default=http://$PEER|default=http://$PEER,learner1=http://127.0.0.1:$((PORT + 11)))\"$" <<<"$added" &&
  echo "ok: member add --learner ($learner)" || fail "member add --learner: [$added]"
check "member list shows the learner" "True" \
  "$(ctl member list -w json | /usr/bin/python3 -c "import json,sys; print(any(m.get('isLearner') and m['ID'] == 0x$learner for m in json.load(sys.stdin)['members']))")"
check "promoting a learner that is not in sync is refused with etcd's error" \
  "Error: etcdserver: can only promote a learner member which is in sync with leader
exit 1" "$(ctl member promote "$learner" 2>&1; echo "exit $?")"
check "member update" "Member $(printf '%16s' "$learner") updated in cluster" \
  "$(ctl member update "$learner" --peer-urls "http://127.0.0.1:$((PORT + 12))" 2>&1 | sed -E 's/ cluster +[0-9a-f]+$/ cluster/')"
check "member remove" "Member $(printf '%16s' "$learner") removed from cluster" \
  "$(ctl member remove "$learner" 2>&1 | sed -E 's/ cluster +[0-9a-f]+$/ cluster/')"
check "member list after the removal" "1" "$(ctl member list | wc -l)"
check "removing it again is etcd's error" "Error: etcdserver: member not found" "$(ctl member remove "$learner" 2>&1)"

# Maintenance.
check "snapshot save" "Snapshot saved at $WORK/snap.db" "$(ctl snapshot save "$WORK/snap.db" 2>&1)"
[[ -s "$WORK/snap.db" && ! -e "$WORK/snap.db.part" ]] && echo "ok: the snapshot file is non-empty ($(stat -c %s "$WORK/snap.db") bytes)" ||
  fail "snapshot file missing or empty"
check "move-leader to a member that does not exist" "Error: etcdserver: bad leader transferee
exit 1" "$(ctl move-leader 1234 2>&1; echo "exit $?")"
check "alarm list is empty" "" "$(ctl alarm list 2>&1)"
check "defrag" "Finished defragmenting etcd member[$CLIENT]" "$(ctl defrag 2>&1)"
[[ "$(ctl endpoint hashkv 2>&1)" =~ ^$CLIENT,\ [0-9]+$ ]] && echo "ok: endpoint hashkv" || fail "endpoint hashkv"
check "cluster status on etcd: the one member leads" "default leader ok" \
  "$(ctl cluster status -w simple | awk -F', ' '{print $1, $4, $9}')"

echo "$failures failure(s)"
exit $((failures > 0))
