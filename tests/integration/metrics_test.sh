#!/usr/bin/env bash
# The metrics listener of real members: /metrics in Prometheus's text format
# with the expected families, values that move under load, and /health,
# /livez and /readyz on a healthy cluster and on a member left without a
# quorum. Usage: metrics_test.sh <cairn binary> <scratch dir>
set -uo pipefail
BIN=$(realpath "$1")
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 12000-14000: below the ephemeral range (32768-60999).
BASE=$((12000 + ($$ % 40) * 50))
export ETCDCTL_API=3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
http() { curl -s -o "$WORK/body" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$((BASE + 10 * $1 + 2))$2"; }
body() { cat "$WORK/body"; }
# sample N NAME{labels}: the value of one series on member N.
sample() { curl -s --max-time 5 "http://127.0.0.1:$((BASE + 10 * $1 + 2))/metrics" | awk -v k="$2" '$1 == k {print $2}'; }

cluster_start "$BIN" "$WORK" "$BASE" 3
trap 'cluster_stop; tail -n 5 "$WORK"/n*.log' EXIT
cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || exit 1

[[ $(http 1 /metrics) == 200 ]] || fail "/metrics did not answer 200"
/usr/bin/python3 "$HERE/check_exposition.py" "$WORK/body" \
  etcd_server_has_leader etcd_server_is_leader etcd_server_leader_changes_seen_total \
  etcd_server_proposals_committed_total etcd_server_proposals_applied_total cairn_server_term \
  cairn_server_apply_lag_entries etcd_disk_wal_fsync_duration_seconds cairn_wal_batch_records \
  etcd_disk_wal_write_bytes_total etcd_mvcc_db_total_size_in_bytes etcd_debugging_mvcc_current_revision \
  grpc_server_started_total grpc_server_handled_total grpc_server_handling_seconds \
  process_resident_memory_bytes process_cpu_seconds_total process_open_fds \
  etcd_server_proposals_pending etcd_server_proposals_failed_total cairn_server_read_index_rounds_total \
  cairn_snapshots_saved_total cairn_snapshots_sent_total cairn_snapshot_sent_bytes_total \
  cairn_snapshots_received_total cairn_snapshot_received_bytes_total etcd_disk_backend_commit_duration_seconds \
  etcd_network_peer_sent_bytes_total etcd_network_peer_received_bytes_total \
  etcd_debugging_mvcc_watch_stream_total etcd_debugging_mvcc_watcher_total etcd_debugging_mvcc_slow_watcher_total \
  cairn_lease_active etcd_debugging_server_lease_expired_total etcd_debugging_mvcc_keys_total \
  && echo "ok: /metrics parses, with every expected family" || fail "/metrics exposition"
# Every metric the shipped Grafana dashboard and alert rules use exists.
/usr/bin/python3 "$HERE/../../deploy/grafana/check_dashboard.py" "$HERE/../../deploy/grafana/cairn.json" "$WORK/body" \
  || fail "deploy/grafana/cairn.json uses metrics the member does not export"
/usr/bin/python3 "$HERE/../../deploy/grafana/check_dashboard.py" --rules "$HERE/../../deploy/prometheus/alerts.yml" "$WORK/body" \
  || fail "deploy/prometheus/alerts.yml uses metrics the member does not export"
[[ $(sample 1 etcd_server_has_leader) == 1 ]] && echo "ok: has_leader 1" || fail "has_leader"
leaders=0
for i in 1 2 3; do leaders=$((leaders + $(sample "$i" etcd_server_is_leader))); done
[[ $leaders == 1 ]] && echo "ok: exactly one member says it leads" || fail "is_leader summed to $leaders"
for i in 1 2 3; do
  seen=$(sample "$i" etcd_server_leader_changes_seen_total)
  ((seen >= 1)) || fail "member $i saw $seen leader changes (the first leader counts)"
done

put_ok='grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put",grpc_code="OK"}'
commit0=$(sample 1 etcd_server_proposals_committed_total)
fsync0=$(sample 1 etcd_disk_wal_fsync_duration_seconds_count)
puts0=$(sample 1 "$put_ok")
commits0=$(sample 1 etcd_disk_backend_commit_duration_seconds_count)
# peer_bytes N: the bytes member N has sent to all its peers.
peer_bytes() { curl -s --max-time 5 "http://127.0.0.1:$((BASE + 10 * $1 + 2))/metrics" | awk '$1 ~ /^etcd_network_peer_sent_bytes_total\{/ {s += $2} END {print s + 0}'; }
sent0=$(peer_bytes 1)
for i in $(seq 30); do etcdctl --endpoints "127.0.0.1:$((BASE + 10))" put "k$i" v >/dev/null || fail "put $i"; done
etcdctl --endpoints "127.0.0.1:$((BASE + 10))" get nothing-here --rev=999999 >/dev/null 2>&1  # OutOfRange
commit1=$(sample 1 etcd_server_proposals_committed_total)
fsync1=$(sample 1 etcd_disk_wal_fsync_duration_seconds_count)
puts1=$(sample 1 "$put_ok")
commits1=$(sample 1 etcd_disk_backend_commit_duration_seconds_count)
sent1=$(peer_bytes 1)
((commits1 >= commits0 + 1)) && echo "ok: backend commits $commits0 -> $commits1" || fail "backend commits $commits0 -> $commits1"
((sent1 > sent0)) && echo "ok: bytes sent to peers $sent0 -> $sent1" || fail "peer bytes $sent0 -> $sent1"
lease=$(etcdctl --endpoints "127.0.0.1:$((BASE + 10))" lease grant 60 | awk '{print $2}')
timeout 20 etcdctl --endpoints "127.0.0.1:$((BASE + 10))" watch wk >/dev/null 2>&1 &
watcher=$!
sleep 1.5
(($(sample 1 etcd_debugging_mvcc_watcher_total) >= 1)) && echo "ok: a watcher counted" || fail "watcher_total [$(sample 1 etcd_debugging_mvcc_watcher_total)]"
(($(sample 2 cairn_lease_active) >= 1)) && echo "ok: lease $lease counted on member 2" || fail "cairn_lease_active [$(sample 2 cairn_lease_active)]"
kill "$watcher" 2>/dev/null
((commit1 >= commit0 + 30)) && echo "ok: commit index $commit0 -> $commit1" || fail "commit index $commit0 -> $commit1"
((fsync1 >= fsync0 + 1)) && echo "ok: fsyncs $fsync0 -> $fsync1" || fail "fsync count $fsync0 -> $fsync1"
((puts1 == puts0 + 30)) && echo "ok: Put OK count $puts0 -> $puts1" || fail "Put OK count $puts0 -> $puts1"
range_oor='grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range",grpc_code="OutOfRange"}'
[[ $(sample 1 "$range_oor") == 1 ]] && echo "ok: a failed Range counted by its code" || fail "OutOfRange count: [$(sample 1 "$range_oor")]"

code=$(http 1 /health)
[[ $code == 200 && $(body) == '{"health":"true","reason":""}' ]] && echo "ok: /health" || fail "/health: $code $(body)"
code=$(http 2 /livez)
[[ $code == 200 && $(body) == ok ]] && echo "ok: /livez" || fail "/livez: $code $(body)"
code=$(http 3 "/readyz?verbose")
[[ $code == 200 ]] && grep -q '^\[+\]linearizable_read ok$' "$WORK/body" && echo "ok: /readyz?verbose" || fail "/readyz: $code $(body)"
[[ $(http 1 /nope) == 404 ]] && echo "ok: 404 elsewhere" || fail "unknown path"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$((BASE + 12))/metrics")
[[ $code == 405 ]] && echo "ok: POST refused" || fail "POST: $code"

# Two members gone: the survivor is alive but not ready, and not healthy.
kill -KILL "${CLUSTER_PIDS[2]}" "${CLUSTER_PIDS[3]}"
code=$(http 1 /health)
[[ $code == 503 ]] && grep -q '"health":"false"' "$WORK/body" && echo "ok: /health without a quorum: $(body)" \
  || fail "/health without a quorum: $code $(body)"
code=$(http 1 /readyz)
[[ $code == 503 ]] && echo "ok: /readyz without a quorum" || fail "/readyz without a quorum: $code $(body)"
code=$(http 1 /livez)
[[ $code == 200 ]] && echo "ok: /livez without a quorum" || fail "/livez without a quorum: $code $(body)"
echo "failures: $failures"
((failures == 0))
