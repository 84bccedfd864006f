#!/usr/bin/env bash
# cairnctl against a real 3-member cairn cluster: KV, txn, watch, compact,
# membership, per-endpoint status/health, cluster status, JSON output and
# etcdctl's error convention. Usage:
#   cairnctl_test.sh <cairn binary> <cairnctl binary> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
CTL=$(realpath "$2")
WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# 22000-23990: below the ephemeral range (32768+), clear of the other tests.
BASE=$((22000 + ($$ % 40) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect "<description>" "<expected stdout+stderr>" command...
  local what=$1 want=$2; shift 2
  local got; got=$("$@" 2>&1)
  if [[ "$got" == "$want" ]]; then echo "ok: $what"; else fail "$what: expected [$want], got [$got]"; fi
}
# expect_error "<description>" "<expected stderr>" command...: exit 1, nothing on stdout.
expect_error() {
  local what=$1 want=$2; shift 2
  local out err code
  out=$("$@" 2>"$WORK/stderr"); code=$?
  err=$(cat "$WORK/stderr")
  if [[ $code == 1 && "$err" == "$want" && -z "$out" ]]; then echo "ok: $what"
  else fail "$what: expected exit 1 and [$want], got exit $code, stderr [$err], stdout [$out]"; fi
}
ctl() { timeout 20 "$CTL" --command-timeout=5s --endpoints "$@"; }
py() { /usr/bin/python3 -c "$1"; }
BG_PIDS=()
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  cluster_stop >/dev/null 2>&1
}
trap 'cleanup; ((failures)) && tail -n 20 "$WORK"/n*.log' EXIT

cluster_start "$BIN" "$WORK" "$BASE" 3
E1=127.0.0.1:$((BASE + 10)) E2=127.0.0.1:$((BASE + 20)) E3=127.0.0.1:$((BASE + 30))
ALL=$CLUSTER_ENDPOINTS
cluster_wait_ready "$ALL" 30 || exit 1

# KV through different members.
expect "put" "OK" ctl "$E1" put foo bar
expect "put via a follower" "OK" ctl "$E2" put foo2 bar2
expect "get via another member" $'foo\nbar' ctl "$E3" get foo
expect "get --prefix --keys-only" $'foo\n\nfoo2' ctl "$E1" get foo --prefix --keys-only
expect "get a range with --limit" $'foo\nbar' ctl "$E1" get foo zzz --limit 1
expect "get --from-key" $'foo2\nbar2' ctl "$E1" get foo1 --from-key
expect "serializable get" $'foo2\nbar2' ctl "$E3" get foo2 --consistency s
expect "get of a missing key prints nothing" "" ctl "$E2" get nothing
expect "del --prev-kv" $'1\nfoo2\nbar2' ctl "$E3" del foo2 --prev-kv
expect "del --prefix counts" "0" ctl "$E1" del nothing/ --prefix
# Failover: a dead first endpoint is skipped.
expect "a dead endpoint is skipped" $'foo\nbar' ctl "127.0.0.1:$((BASE + 45)),$E2" get foo

# txn in etcdctl's text format, both branches.
expect "txn success branch" $'SUCCESS\n\nOK\n\nfoo\nbaz' \
  ctl "$E1" txn <<<$'value("foo") = "bar"\n\nput foo baz\nget foo\n\nput foo nope\n'
expect "txn failure branch" $'FAILURE\n\nOK' \
  ctl "$E2" txn <<<$'value("foo") = "bar"\nversion("foo") > "0"\n\nput foo x\n\nput other y\n'
expect "txn's failure branch wrote" $'other\ny' ctl "$E3" get other
expect_error "txn with a malformed compare" \
  'Error: malformed comparison: value("foo" = "bar"' ctl "$E1" txn <<<$'value("foo" = "bar"\n\nput a b\n'

# JSON output parses and carries etcd's fields, ids as numbers.
# json_eval EXPR: EXPR evaluated on the JSON document r read from stdin.
json_eval() { /usr/bin/python3 -c "import json,sys,base64; r=json.load(sys.stdin); print($1)"; }
check() {  # check "<description>" "<expected>" "<got>"
  if [[ "$3" == "$2" ]]; then echo "ok: $1"; else fail "$1: expected [$2], got [$3]"; fi
}
rev=$(ctl "$E1" put w/a 1 -w json | json_eval 'r["header"]["revision"]')
check "put -w json has the header's revision" "yes" "$([[ "$rev" =~ ^[0-9]+$ ]] && echo yes)"
check "get -w json: base64 key and value, count, numeric ids" "foo baz 1 True" \
  "$(ctl "$E2" get foo -w json | json_eval '" ".join([base64.b64decode(r["kvs"][0]["key"]).decode(), base64.b64decode(r["kvs"][0]["value"]).decode(), str(r["count"]), str(isinstance(r["header"]["cluster_id"], int))])')"
check "txn -w json" "True 1" \
  "$(ctl "$E1" txn -w json <<<$'\nget foo\n\n' | json_eval 'r["succeeded"], len(r["responses"])' | tr -d '(),')"
check "del -w json" "1" "$(ctl "$E1" del other -w json | json_eval 'r["deleted"]')"

# Watch: history from a past revision, then live events with --prev-kv.
ctl "$E2" put w/b 2 >/dev/null && ctl "$E3" put unwatched 3 >/dev/null && ctl "$E1" del w/a >/dev/null
expect "watch --prefix --rev replays the history" $'PUT\nw/a\n1\nPUT\nw/b\n2\nDELETE\nw/a' \
  ctl "$E2" watch w/ --prefix --rev "$rev" --max-events 3
timeout 20 "$CTL" --endpoints "$E3" watch live/x --prev-kv --max-events 2 >"$WORK/watch-live.out" 2>&1 &
wpid=$!; BG_PIDS+=("$wpid")
sleep 1  # let the watcher be created before writing
ctl "$E1" put live/x 1 >/dev/null && ctl "$E2" put live/x 2 >/dev/null
if wait "$wpid"; then
  [[ "$(cat "$WORK/watch-live.out")" == $'PUT\nlive/x\n1\nPUT\nlive/x\n1\nlive/x\n2' ]] &&
    echo "ok: watch --prev-kv gets live events and stops after --max-events" ||
    fail "live watch: got [$(cat "$WORK/watch-live.out")]"
else fail "live watch exited with an error: $(cat "$WORK/watch-live.out")"; fi
# Ctrl-C ends a watch with status 0.
# (No `timeout` wrapper: the signal must reach cairnctl itself. Interrupt
# only once an event shows the watch is running.)
"$CTL" --endpoints "$E1" watch int >"$WORK/watch-int.out" 2>&1 &
wpid=$!; BG_PIDS+=("$wpid")
for _ in $(seq 50); do
  ctl "$E2" put int x >/dev/null
  grep -q '^PUT$' "$WORK/watch-int.out" && break
  sleep 0.2
done
kill -INT "$wpid"
for _ in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$wpid" 2>/dev/null  # still running after 10 s: fails below
wait "$wpid" && echo "ok: an interrupted watch exits 0" || fail "interrupted watch: exit $?: $(cat "$WORK/watch-int.out")"

# Compaction and etcd's errors.
crev=$(ctl "$E1" get foo -w json | py 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
expect "compact" "compacted revision $crev" ctl "$E1" compact "$crev"
expect_error "get --rev of a compacted revision" \
  "Error: etcdserver: mvcc: required revision has been compacted" ctl "$E2" get foo --rev=1
expect_error "watch from a compacted revision" \
  "Error: etcdserver: mvcc: required revision has been compacted" ctl "$E3" watch foo --rev=1
expect_error "empty key" "Error: etcdserver: key is not provided" ctl "$E1" put "" v
expect_error "bad flag combination" \
  'Error: `--prefix` and `--from-key` cannot be set at the same time' ctl "$E1" get a --prefix --from-key
expect_error "unknown output format" \
  'Error: unknown output format "yaml" (want simple, json or table)' ctl "$E1" get a -w yaml
code=0; ctl "127.0.0.1:$((BASE + 45))" get foo >/dev/null 2>"$WORK/stderr" || code=$?
[[ $code == 1 && "$(cat "$WORK/stderr")" == Error:* ]] &&
  echo "ok: no reachable endpoint is an error" || fail "unreachable: exit $code [$(cat "$WORK/stderr")]"

# Membership and per-endpoint commands.
expect "member list names every member" $'n1\nn2\nn3' \
  bash -c "$(printf '%q ' "$CTL") --endpoints $E1 member list -w json | /usr/bin/python3 -c 'import json,sys; print(\"\\n\".join(sorted(m[\"name\"] for m in json.load(sys.stdin)[\"members\"])))'"
expect "member list simple lines" "3" bash -c "$(printf '%q ' "$CTL") --endpoints $E1 member list | grep -c ', started, n[123], http://127.0.0.1:'"
expect "endpoint status: one line per endpoint, one leader" $'3\n1' bash -c "
  out=\$($(printf '%q ' "$CTL") --endpoints $ALL endpoint status) || exit 1
  echo \"\$out\" | wc -l; echo \"\$out\" | awk -F', ' '\$5 == \"true\"' | wc -l"
expect "endpoint status -w json agrees on one leader" "1" bash -c "$(printf '%q ' "$CTL") --endpoints $ALL endpoint status -w json | /usr/bin/python3 -c '
import json,sys; rows=json.load(sys.stdin); assert len(rows)==3, rows; print(len({r[\"Status\"][\"leader\"] for r in rows}))'"
expect "endpoint health" "3" bash -c "$(printf '%q ' "$CTL") --endpoints $ALL endpoint health | grep -c 'is healthy: successfully committed proposal: took = '"
expect "cluster status -w json: every member, one leader, all reachable" \
  "leader=1 follower=2 reachable=3 names=n1,n2,n3" \
  bash -c "$(printf '%q ' "$CTL") --endpoints $ALL cluster status -w json | /usr/bin/python3 -c '
import json,sys; rows=json.load(sys.stdin); roles=[r[\"role\"] for r in rows]
assert all(r[\"raft_term\"] > 0 and r[\"applied_index\"] > 0 for r in rows), rows
print(\"leader=%d follower=%d reachable=%d names=%s\" % (roles.count(\"leader\"), roles.count(\"follower\"),
  sum(r[\"reachable\"] for r in rows), \",\".join(sorted(r[\"name\"] for r in rows))))'"
expect "cluster status from one endpoint finds the others through --endpoints" "3" \
  bash -c "$(printf '%q ' "$CTL") --endpoints $E2,$E1,$E3 cluster status | grep -cE '^\| n[123] .*\| (leader|follower) .*\| ok +\|$'"

# Leases, locks and elections, now that cairn serves them.
lid=$(ctl "$E1" lease grant 30 | awk '{print $2}')
expect "put with a lease" "OK" ctl "$E2" put cl/leased v --lease="$lid"
expect "lease timetolive --keys" "1" bash -c "$(printf '%q ' "$CTL") --endpoints $E3 lease timetolive $lid --keys | grep -c 'attached keys(\[cl/leased\])'"
expect "lease revoke deletes the key" "0" bash -c "$(printf '%q ' "$CTL") --endpoints $E1 lease revoke $lid >/dev/null && $(printf '%q ' "$CTL") --endpoints $E2 get cl/leased | wc -l"
timeout 15 "$CTL" --endpoints "$E1" lock cl-lock sh -c "echo a-in >>'$WORK/cl-lock'; sleep 2; echo a-out >>'$WORK/cl-lock'" >/dev/null 2>&1 &
lp=$!
sleep 1
timeout 15 "$CTL" --endpoints "$E2" lock cl-lock sh -c "echo b-in >>'$WORK/cl-lock'" >/dev/null 2>&1
wait "$lp"
expect "cairnctl lock: one holder at a time" $'a-in\na-out\nb-in' cat "$WORK/cl-lock"

# Snapshot save, then restore into a new one-member cluster.
expect "snapshot save" "0" bash -c "$(printf '%q ' "$CTL") --endpoints $E1 snapshot save $WORK/cl.snap >/dev/null; echo \$?"
NEWP=http://127.0.0.1:$((BASE + 41)) NEWC=http://127.0.0.1:$((BASE + 40))
expect "snapshot restore" "0" bash -c "$(printf '%q ' "$CTL") snapshot restore $WORK/cl.snap --name solo --initial-cluster solo=$NEWP --initial-cluster-token restored --initial-advertise-peer-urls $NEWP --data-dir $WORK/solo >/dev/null; echo \$?"
"$BIN" --name solo --data-dir "$WORK/solo" --listen-client-urls "$NEWC" --advertise-client-urls "$NEWC" \
  --listen-peer-urls "$NEWP" --initial-advertise-peer-urls "$NEWP" --initial-cluster "solo=$NEWP" \
  --initial-cluster-token restored >"$WORK/solo.log" 2>&1 &
solo=$!
for _ in $(seq 100); do ctl "${NEWC#http://}" get cl-probe >/dev/null 2>&1 && break; sleep 0.2; done
expect "the restored member has the data" $'w/b\n2' ctl "${NEWC#http://}" get w/b
kill -TERM "$solo"; wait "$solo" 2>/dev/null

# A stopped member: listed with its error, the command exits 1.
kill -TERM "${CLUSTER_PIDS[3]}"; wait "${CLUSTER_PIDS[3]}" 2>/dev/null
code=0; ctl "$ALL" cluster status >"$WORK/cs.out" 2>"$WORK/stderr" || code=$?
if [[ $code == 1 && "$(cat "$WORK/stderr")" == "Error: 1 of 3 members did not answer" ]] &&
   grep -q '^| n3 ' "$WORK/cs.out" && [[ $(grep -c '| ok ' "$WORK/cs.out") == 2 ]]; then
  echo "ok: cluster status lists a stopped member with its error"
else fail "cluster status with n3 down: exit $code, [$(cat "$WORK/cs.out" "$WORK/stderr")]"; fi
code=0; ctl "$ALL" endpoint health >"$WORK/eh.out" 2>"$WORK/stderr" || code=$?
[[ $code == 1 && $(grep -c "is healthy" "$WORK/eh.out") == 2 && $(grep -c "$E3 is unhealthy" "$WORK/eh.out") == 1 ]] &&
  echo "ok: endpoint health reports the stopped member unhealthy" || fail "endpoint health with n3 down: exit $code [$(cat "$WORK/eh.out")]"

echo "$failures failure(s)"
exit $((failures > 0))
