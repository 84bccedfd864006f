#!/usr/bin/env bash
# etcd's Maintenance service on real cairn clusters, driven by Debian's
# etcdctl (ETCDCTL_API=3) and python3-etcd3: hashes, defragment, moving the
# leader, the NOSPACE alarm under --quota-backend-bytes, and a snapshot
# saved with `etcdctl snapshot save` restored into a new 3-member cluster
# with cairn-restore. Usage:
#   maintenance_test.sh <cairn binary> <cairn-restore binary> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
RESTORE=$(realpath "$2")
WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 24000-25600: below the ephemeral range (32768+), clear of the other
# tests; three clusters of 3 members.
BASE=$((24000 + ($$ % 30) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect "<description>" "<expected output>" command...
  local what=$1 want=$2; shift 2
  local got; got=$("$@" 2>&1)
  if [[ "$got" == "$want" ]]; then echo "ok: $what"; else fail "$what: expected [$want], got [$got]"; fi
}
check() {  # check "<description>" command...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
ctl() { etcdctl --command-timeout=10s --endpoints "$@"; }
error_of() { "$@" 2>&1 | tail -n 1; }
json() {  # json ENDPOINTS PYTHON-EXPR-ON-d etcdctl-args...: one value from -w json
  local endpoints=$1 expr=$2; shift 2
  ctl "$endpoints" "$@" -w json | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)"
}
# Every member's db size, leader and hashkv, from etcdctl's JSON.
dbsize() { json "$1" 'd[0]["Status"]["dbSize"]' endpoint status; }
leader() { json "$1" 'd[0]["Status"]["leader"]' endpoint status; }
member_id() { json "$1" 'd[0]["Status"]["header"]["member_id"]' endpoint status; }
# The distinct HashKV hashes of the members, when all three answered.
hashes() { json "$1" '" ".join(sorted(set(str(e["HashKV"]["hash"]) for e in d))) if len(d) == 3 else "missing"' endpoint hashkv; }
put_big() {  # put_big ENDPOINT KEY BYTES
  head -c "$3" /dev/zero | tr '\0' x | ctl "$1" put "$2" >/dev/null 2>&1
}
ALL_PIDS=()
stop_all() {
  CLUSTER_PIDS=("${ALL_PIDS[@]}")
  cluster_stop
}
# Every step is bounded (etcdctl's --command-timeout, the waits below) and
# so is the whole script: the watchdog's output goes nowhere, so that ctest,
# which waits for the test's stdout to close, does not wait for it too.
{ sleep 240 && echo "FAIL: maintenance test took too long" >&2 && kill -TERM $$; } >/dev/null 2>&1 &
WATCHDOG=$!
stop_watchdog() { pkill -P "$WATCHDOG" 2>/dev/null; kill "$WATCHDOG" 2>/dev/null; }
trap 'stop_watchdog; stop_all >/dev/null 2>&1; tail -n 5 "$WORK"/*/n*.log' EXIT

# Listen ports here are inside Linux's ephemeral range, so a client socket
# of some other process can hold one for a moment: a member that could not
# listen is started again (same data dir, nothing lost).
start_member() {  # start_member DIR BASE I INITIAL (flags: $CLUSTER_FLAGS)
  local dir=$1 base=$2 i=$3 initial=$4 attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    cluster_start_member "$BIN" "$dir" "$base" "$i" "$initial"
    sleep 0.3
    if kill -0 "${CLUSTER_PIDS[$i]}" 2>/dev/null || ! tail -n 1 "$dir/n$i.log" | grep -q "address in use"; then
      return 0
    fi
    echo "member n$i: a port was in use; starting it again" && sleep 1
  done
}
start() {  # start NAME PORT_BASE INITIAL [flags]: a 3-member cluster in $WORK/NAME
  local name=$1 base=$2 initial=$3 i; shift 3
  mkdir -p "$WORK/$name"
  CLUSTER_PIDS=()
  for i in 1 2 3; do CLUSTER_FLAGS="$*" start_member "$WORK/$name" "$base" "$i" "$initial"; done
  ALL_PIDS+=("${CLUSTER_PIDS[@]}")
  CLUSTER_ENDPOINTS=127.0.0.1:$((base + 10)),127.0.0.1:$((base + 20)),127.0.0.1:$((base + 30))
  cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || exit 1
}
initial_of() {  # the --initial-cluster of a cluster at PORT_BASE
  echo "n1=http://127.0.0.1:$(($1 + 11)),n2=http://127.0.0.1:$(($1 + 21)),n3=http://127.0.0.1:$(($1 + 31))"
}

# ---- A: hashes, defragment, move-leader, snapshot save ----
start a "$BASE" "$(initial_of "$BASE")"
A=$CLUSTER_ENDPOINTS A_PIDS=("${CLUSTER_PIDS[@]}")
A1=127.0.0.1:$((BASE + 10))
for i in $(seq 1 20); do ctl "$A1" put "key$i" "value$i" >/dev/null; done
for i in $(seq 1 20); do put_big "$A1" "big$i" 100000; done
same=""
for _ in $(seq 50); do  # followers apply a moment after the leader answers
  [[ $(hashes "$A") =~ ^[0-9]+$ ]] && same=yes && break
  sleep 0.1
done
check "hashkv equal on all three members" test -n "$same"
expect "hashkv at a future revision" \
  "Error: etcdserver: mvcc: required revision is a future revision" \
  error_of ctl "$A1" endpoint hashkv --rev=100000000
/usr/bin/python3 - "$((BASE + 10))" "$((BASE + 20))" <<'PY' && echo "ok: Hash (python3-etcd3) equal" || fail "Hash"
import sys, etcd3
h = [etcd3.client(host="127.0.0.1", port=int(p)).hash() for p in sys.argv[1:]]
assert h[0] == h[1] and h[0] != 0, h
PY
before=$(dbsize "$A1")
ctl "$A1" del big --prefix >/dev/null
rev=$(json "$A1" 'd["header"]["revision"]' get key1)
ctl "$A1" compact "$rev" >/dev/null
expect "hashkv at a compacted-away revision" \
  "Error: etcdserver: mvcc: required revision has been compacted" \
  error_of ctl "$A1" endpoint hashkv --rev=1
expect "defrag" "Finished defragmenting etcd member[$A1]" ctl "$A1" defrag
after=$(dbsize "$A1")
check "defrag after delete+compact shrinks the db ($before -> $after bytes)" test "$after" -lt $((before / 2))
expect "data intact after defrag" $'key7\nvalue7' ctl "$A1" get key7

old=$(leader "$A1")
target=""
for e in ${A//,/ }; do
  id=$(member_id "$e")
  [[ "$id" != "$old" ]] && target=$id && break
done
target_hex=$(printf '%x' "$target")
expect "move-leader to a follower" \
  "Leadership transferred from $(printf '%x' "$old") to $target_hex" ctl "$A" move-leader "$target_hex"
check "endpoint status shows the new leader" test "$(leader "$A1")" = "$target"
expect "move-leader to a stranger" "Error: etcdserver: bad leader transferee" \
  error_of ctl "$A" move-leader 1234
/usr/bin/python3 - "$((BASE + 10))" "$((BASE + 20))" "$((BASE + 30))" "$target" <<'PY' && echo "ok: MoveLeader on a follower: not leader" || fail "MoveLeader on a follower"
import sys, grpc
from etcd3.etcdrpc import rpc_pb2, rpc_pb2_grpc
ports, leader = sys.argv[1:4], int(sys.argv[4])
for p in ports:
    stub = rpc_pb2_grpc.MaintenanceStub(grpc.insecure_channel("127.0.0.1:" + p))
    if stub.Status(rpc_pb2.StatusRequest()).header.member_id == leader:
        continue
    try:
        stub.MoveLeader(rpc_pb2.MoveLeaderRequest(targetID=leader))
        raise SystemExit("follower moved the leader")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e.code()
        assert e.details() == "etcdserver: not leader", e.details()
    break
PY

ctl "$A1" put after-move yes >/dev/null
expect "snapshot save" "Snapshot saved at $WORK/snap.db" error_of ctl "$A1" snapshot save "$WORK/snap.db"
CLUSTER_PIDS=("${A_PIDS[@]}") cluster_stop

# ---- B: a new cluster restored from the snapshot ----
B=$((BASE + 100))
initial=$(initial_of "$B")
mkdir -p "$WORK/b"
for i in 1 2 3; do
  out=$("$RESTORE" "$WORK/snap.db" --name "n$i" --initial-cluster "$initial" \
    --initial-cluster-token restored --initial-advertise-peer-urls "http://127.0.0.1:$((B + 10 * i + 1))" \
    --data-dir "$WORK/b/n$i" 2>&1)
  [[ "$out" == "restored the snapshot at index "* ]] && echo "ok: restore n$i" || fail "restore n$i: $out"
done
expect "restore refuses an existing data dir" "cairn-restore: data-dir \"$WORK/b/n1\" exists" \
  "$RESTORE" "$WORK/snap.db" --name n1 --initial-cluster "$initial" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((B + 11))" --data-dir "$WORK/b/n1"
head -c -1 "$WORK/snap.db" >"$WORK/cut.db"
out=$("$RESTORE" "$WORK/cut.db" --name n1 --initial-cluster "$initial" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((B + 11))" --data-dir "$WORK/b/cut" 2>&1)
[[ "$out" == *"SHA-256"* && ! -e "$WORK/b/cut" ]] && echo "ok: restore refuses a truncated file" \
  || fail "truncated snapshot: $out"
start b "$B" "$initial" --initial-cluster-token restored
BE=$CLUSTER_ENDPOINTS
expect "restored data on n3" $'after-move\nyes' ctl "127.0.0.1:$((B + 30))" get after-move
expect "restored data on n2" $'key13\nvalue13' ctl "127.0.0.1:$((B + 20))" get key13
expect "restored cluster takes writes" "OK" ctl "127.0.0.1:$((B + 20))" put new-cluster yes
expect "three members" "3" json "127.0.0.1:$((B + 10))" 'len(d["members"])' member list
same=""
for _ in $(seq 50); do
  [[ $(hashes "$BE") =~ ^[0-9]+$ ]] && same=yes && break
  sleep 0.1
done
check "restored members agree (hashkv)" test -n "$same"

# ---- C: a small quota fills up; NOSPACE; free space; disarm ----
C=$((BASE + 200))
start c "$C" "$(initial_of "$C")" --quota-backend-bytes 1500000
C1=127.0.0.1:$((C + 10)) C2=127.0.0.1:$((C + 20))
refused=""
for i in $(seq 1 60); do
  if ! put_big "$C1" "fill$i" 100000; then refused=$i; break; fi
done
check "writes refused once the quota is reached (after $refused puts)" test -n "$refused"
expect "put refused with etcd's message" "Error: etcdserver: mvcc: database space exceeded" \
  error_of ctl "$C2" put small x
alarms=$(ctl "$C2" alarm list 2>&1)
[[ "$alarms" =~ ^memberID:[0-9]+\ alarm:NOSPACE\ ?$ ]] && echo "ok: alarm list shows NOSPACE" \
  || fail "alarm list: [$alarms]"
errors=$(json "$C1" 'd[0]["Status"].get("errors", [])' endpoint status)
[[ "$errors" == *NOSPACE* ]] && echo "ok: endpoint status lists the alarm" || fail "status errors: $errors"
expect "reads still work" "fill1" ctl "$C1" get fill1 --keys-only
expect "deletes still work" "$((refused - 1))" ctl "$C1" del fill --prefix
rev=$(json "$C1" 'd["header"]["revision"]' get fill1)
expect "compaction still works" "compacted revision $rev" ctl "$C1" compact "$rev"
ctl "$C1,$C2,127.0.0.1:$((C + 30))" defrag >/dev/null 2>&1 || fail "defrag on every member"
expect "put still refused while the alarm is raised" \
  "Error: etcdserver: mvcc: database space exceeded" error_of ctl "$C1" put small x
expect "alarm disarm" "$alarms" ctl "$C1" alarm disarm
expect "no alarm left" "" ctl "$C1" alarm list
expect "writes work again" "OK" ctl "$C2" put small x

if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
echo "all maintenance checks passed"
