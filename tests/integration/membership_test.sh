#!/usr/bin/env bash
# Membership changes on real cairn processes with etcd's own etcdctl:
# member list with every member's client URLs, a learner added, started
# with --initial-cluster-state existing, caught up and promoted, etcd's
# refusals, the leader removed (it stops by itself), a member's peer URLs
# updated and the member moved there, and a whole-cluster restart that keeps
# the membership. Usage: membership_test.sh <cairn binary> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 26000-28000: below the ephemeral range (32768+), clear of the other tests.
BASE=$((26000 + ($$ % 40) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect "<description>" "<expected output>" command...
  local what=$1 want=$2; shift 2
  local got; got=$("$@" 2>&1)
  if [[ "$got" == "$want" ]]; then echo "ok: $what"; else fail "$what: expected [$want], got [$got]"; fi
}
ctl() { etcdctl --command-timeout=5s --endpoints "$@"; }
error_of() { "$@" 2>&1 | tail -n 1; }
# until SECONDS command...: retries the command until it succeeds.
until_ok() {
  local deadline=$((SECONDS + $1)); shift
  while ((SECONDS < deadline)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
client() { echo "127.0.0.1:$((BASE + 10 * $1))"; }
peer_url() { echo "http://127.0.0.1:$((BASE + 10 * $1 + 1))"; }

# start I INITIAL_CLUSTER STATE [PEER_PORT]: member nI (own pid bookkeeping,
# so members can come and go).
declare -A PIDS
start() {
  local i=$1 initial=$2 state=$3 peer=${4:-$(peer_url "$1")}
  local c="http://$(client "$i")"
  "$BIN" --name "n$i" --data-dir "$WORK/n$i" --listen-client-urls "$c" \
    --advertise-client-urls "$c" --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$initial" --initial-cluster-state "$state" \
    --snapshot-count 40 --experimental-snapshot-catchup-entries 10 >>"$WORK/n$i.log" 2>&1 &
  PIDS[$i]=$!
}
stop() {  # stop I: SIGTERM, then SIGKILL after 10 s
  local pid=${PIDS[$1]:-}
  [[ -z "$pid" ]] && return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null
  unset "PIDS[$1]"
}
stop_all() { for i in "${!PIDS[@]}"; do stop "$i"; done; }
# Every wait below is bounded; ctest's TIMEOUT bounds the whole run.
trap 'stop_all; tail -n 15 "$WORK"/n*.log' EXIT

# member_json ENDPOINT: "id name learner client-url-count" per member, sorted by name.
members() {
  ctl "$1" member list -w json | /usr/bin/python3 -c '
import json, sys
ms = json.load(sys.stdin).get("members", [])
for m in sorted(ms, key=lambda m: m.get("name", "")):
    print(m.get("name", "") or "(unstarted)", "learner" if m.get("isLearner") else "voter",
          len(m.get("clientURLs", [])))'
}
id_of() {  # id_of ENDPOINT NAME (hex, as etcdctl takes it)
  ctl "$1" member list -w json | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    if m.get("name") == sys.argv[1]: print("%x" % m["ID"])' "$2"
}
leader_name() {  # leader_name ENDPOINT: the name of the member that leads
  local status; status=$(ctl "$1" endpoint status -w json)
  ctl "$1" member list -w json | /usr/bin/python3 -c '
import json, sys
leader = json.loads(sys.argv[1])[0]["Status"]["leader"]
for m in json.load(sys.stdin)["members"]:
    if m["ID"] == leader: print(m["name"])' "$status"
}

INITIAL="n1=$(peer_url 1),n2=$(peer_url 2),n3=$(peer_url 3)"
for i in 1 2 3; do start "$i" "$INITIAL" new; done
ALL="$(client 1),$(client 2),$(client 3)"
cluster_wait_ready "$ALL" 30 || exit 1

# Every member publishes its name and client URLs through the log.
three=$'n1 voter 1\nn2 voter 1\nn3 voter 1'
until_ok 20 bash -c "[[ \"\$(etcdctl --endpoints $(client 2) member list -w json | grep -o clientURLs | wc -l)\" == 3 ]]"
expect "member list shows every member's client URLs" "$three" members "$(client 2)"
expect "member list agrees on another member" "$three" members "$(client 3)"
expect "put before the join" "OK" ctl "$(client 1)" put before join

# A learner: added, started with --initial-cluster-state existing, caught up.
out=$(ctl "$(client 1)" member add n4 --learner --peer-urls="$(peer_url 4)" 2>&1)
if [[ "$out" == *"added to cluster"* && "$out" == *"ETCD_INITIAL_CLUSTER_STATE=\"existing\""* ]]; then
  echo "ok: member add --learner"
else
  fail "member add --learner: $out"
fi
expect "peer URL already taken" "Error: etcdserver: Peer URLs already exists" \
  error_of ctl "$(client 2)" member add n5 --peer-urls="$(peer_url 4)"
expect "a second learner is refused (etcd 3.4 allows one)" \
  "Error: etcdserver: too many learner members in cluster" \
  error_of ctl "$(client 3)" member add n5 --learner --peer-urls="$(peer_url 5)"
# etcdctl checks URLs itself; python3-etcd3 sends them as given.
expect "bad peer URLs" "INVALID_ARGUMENT etcdserver: given member URLs are invalid" \
  /usr/bin/python3 -c '
import sys, etcd3, grpc
try:
    etcd3.client(host="127.0.0.1", port=int(sys.argv[1])).add_member(["127.0.0.1:1"])
except grpc.RpcError as e:
    print(e.code().name, e.details())
except Exception as e:
    print(type(e).__name__, e)' "$((BASE + 30))"
start 4 "$INITIAL,n4=$(peer_url 4)" existing
if until_ok 30 bash -c "[[ \"\$(etcdctl --endpoints $(client 4) get before --consistency=s --print-value-only)\" == join ]]"; then
  echo "ok: the learner caught up (serializable read on n4)"
else
  fail "the learner did not catch up"
fi
expect "a learner refuses linearizable reads" "Error: etcdserver: rpc not supported for learner" \
  error_of ctl "$(client 4)" get before
expect "a learner refuses writes" "Error: etcdserver: rpc not supported for learner" \
  error_of ctl "$(client 4)" put x y
until_ok 20 bash -c "[[ \"\$(etcdctl --endpoints $(client 1) member list | grep -c n4)\" == 1 ]]"
expect "member list shows the learner" $'n1 voter 1\nn2 voter 1\nn3 voter 1\nn4 learner 1' \
  members "$(client 1)"
N4=$(id_of "$(client 1)" n4)
# etcdctl prints ids as %16x (space-padded).
hex16() { printf '%16s' "$1"; }
CLUSTER=$(ctl "$(client 1)" member list -w json | /usr/bin/python3 -c 'import json,sys; print("%x" % json.load(sys.stdin)["header"]["cluster_id"])')
expect "promote the learner" "Member $(hex16 "$N4") promoted in cluster $(hex16 "$CLUSTER")" \
  ctl "$(client 2)" member promote "$N4"
# Every member logs each change it applies.
sleep 0.5
for i in 1 2 3; do
  grep -q "members: $N4 added as a learner" "$WORK/n$i.log" && grep -q "members: $N4 promoted to voter" "$WORK/n$i.log" \
    && echo "ok: n$i logged n4's addition and promotion" || fail "n$i's log lacks n4's addition or promotion"
done
expect "promote a voter" "Error: etcdserver: can only promote a learner member" \
  error_of ctl "$(client 1)" member promote "$(id_of "$(client 1)" n2)"
expect "remove an unknown member" "Error: etcdserver: member not found" \
  error_of ctl "$(client 1)" member remove 1234
ALL4="$ALL,$(client 4)"
expect "n4 serves linearizable reads as a voter" $'before\njoin' ctl "$(client 4)" get before
# A learner that never started is behind the leader: promoting it is refused.
N5=$(ctl "$(client 1)" member add n5 --learner --peer-urls="$(peer_url 5)" 2>/dev/null | awk '/added to cluster/ {print $2}')
expect "promote a learner that is behind" \
  "Error: etcdserver: can only promote a learner member which is in sync with leader" \
  error_of ctl "$(client 2)" member promote "$N5"
expect "remove the learner that never started" "1" \
  bash -c "etcdctl --endpoints $(client 1) member remove $N5 | grep -c removed"

# Remove the member that leads: it steps down and stops by itself; three
# voters go on.
lead=$(leader_name "$(client 1)")
lead=${lead#n}
[[ -n "$lead" ]] || { fail "no leader found"; exit 1; }
other=$((lead == 4 ? 3 : 4))
expect "remove the leader n$lead" "Member $(hex16 "$(id_of "$(client "$other")" "n$lead")") removed from cluster $(hex16 "$CLUSTER")" \
  ctl "$(client "$other")" member remove "$(id_of "$(client "$other")" "n$lead")"
if until_ok 15 bash -c "! kill -0 ${PIDS[$lead]} 2>/dev/null"; then
  echo "ok: the removed member stopped by itself"
  wait "${PIDS[$lead]}" 2>/dev/null; unset "PIDS[$lead]"
else
  fail "the removed member n$lead still runs"
  stop "$lead"
fi
REST=()
for i in 1 2 3 4; do [[ $i != "$lead" ]] && REST+=("$i"); done
EP="$(client "${REST[0]}"),$(client "${REST[1]}"),$(client "${REST[2]}")"
cluster_wait_ready "$EP" 30 || fail "no leader after removing the leader"
expect "put after the removal" "OK" ctl "$EP" put after removal
expect "get after the removal" $'after\nremoval' ctl "$(client "${REST[2]}")" get after
expect "member list has three members" "3" bash -c "etcdctl --endpoints $(client "${REST[0]}") member list | wc -l"

# Remove a follower: the leader stops talking to it at once, so it learns
# its removal from the refusal of its own messages, and stops too. REST is
# reordered to end with it.
lead=$(leader_name "$EP")
f=""
for i in "${REST[@]}"; do [[ "n$i" != "$lead" ]] && f=$i; done
ORDER=()
for i in "${REST[@]}"; do [[ $i != "$f" ]] && ORDER+=("$i"); done
REST=("${ORDER[@]}" "$f")
expect "remove a follower n$f" "1" bash -c "etcdctl --endpoints $(client "${REST[0]}") member remove $(id_of "$(client "${REST[0]}")" "n$f") | grep -c removed"
if until_ok 20 bash -c "! kill -0 ${PIDS[$f]} 2>/dev/null"; then
  echo "ok: the removed follower stopped by itself"
  wait "${PIDS[$f]}" 2>/dev/null; unset "PIDS[$f]"
else
  fail "the removed follower n$f still runs"
  stop "$f"
fi
# Add it back (a new id, a fresh data directory), as a voter this time.
rm -rf "$WORK/n$f"
out=$(ctl "$(client "${REST[0]}")" member add "n$f" --peer-urls="$(peer_url "$f")" 2>&1)
[[ "$out" == *"added to cluster"* ]] && echo "ok: member add (voter)" || fail "member add: $out"
start "$f" "n${REST[0]}=$(peer_url "${REST[0]}"),n$f=$(peer_url "$f")" existing
if until_ok 30 bash -c "[[ \"\$(etcdctl --endpoints $(client "$f") get after --print-value-only)\" == removal ]]"; then
  echo "ok: the re-added member serves linearizable reads"
else
  fail "the re-added member does not serve reads"
fi

# Update a member's peer URLs, then move it there: the others reconnect.
m=${REST[0]}
newpeer="http://127.0.0.1:$((BASE + 45))"
out=$(ctl "$(client "${REST[1]}")" member update "$(id_of "$(client "${REST[1]}")" "n$m")" --peer-urls="$newpeer" 2>&1)
[[ "$out" == *"updated in cluster"* ]] && echo "ok: member update" || fail "member update: $out"
until_ok 10 bash -c "etcdctl --endpoints $(client "${REST[2]}") member list | grep -q 'n$m, $newpeer'"
expect "member list shows the new peer URL" "1" bash -c "etcdctl --endpoints $(client "${REST[2]}") member list | grep -c '$newpeer'"
stop "$m"
# A restart takes its identity from the data directory; --initial-cluster
# only has to name the member.
start "$m" "n$m=$newpeer" new "$newpeer"
# With one of the other two stopped, writes need the moved member.
stop "${REST[2]}"
if until_ok 30 ctl "$(client "$m"),$(client "${REST[1]}")" put moved yes; then
  echo "ok: the moved member takes part at its new address"
else
  fail "no quorum with the moved member"
fi
start "${REST[2]}" "n${REST[2]}=$(peer_url "${REST[2]}")" new

# A whole-cluster restart keeps the membership (and the data).
stop_all
for i in "${REST[@]}"; do
  if [[ $i == "$m" ]]; then start "$i" "n$i=$newpeer" new "$newpeer"; else start "$i" "n$i=$(peer_url "$i")" new; fi
done
cluster_wait_ready "$EP" 30 || fail "no leader after a full restart"
expect "member list after the restart" "3" bash -c "etcdctl --endpoints $(client "${REST[1]}") member list | grep -c ', http://127.0.0.1'"
expect "data after the restart" $'moved\nyes' ctl "$EP" get moved
expect "the learner's data after the restart" $'before\njoin' ctl "$(client 4)" get before --consistency=s

if ((failures)); then echo "$failures failure(s)"; exit 1; fi
echo "all membership checks passed"
