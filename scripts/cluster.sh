#!/usr/bin/env bash
# Shared by `make run` and the integration tests: start, probe and stop a
# local cairn cluster on loopback. Source it; it defines functions only.

# cluster_start BIN DATA_DIR BASE_PORT N: member i (1..N) serves clients on
# BASE_PORT + 10*i, peers on BASE_PORT + 10*i + 1 and metrics and health
# (HTTP) on BASE_PORT + 10*i + 2, keeps its data in
# DATA_DIR/n<i> and logs to DATA_DIR/n<i>.log. Sets CLUSTER_PIDS and
# CLUSTER_ENDPOINTS.
cluster_start() {
  local bin=$1 data=$2 base=$3 n=$4 i initial=""
  mkdir -p "$data"
  for ((i = 1; i <= n; i++)); do
    initial+="${initial:+,}n$i=http://127.0.0.1:$((base + 10 * i + 1))"
  done
  CLUSTER_PIDS=()
  CLUSTER_ENDPOINTS=""
  for ((i = 1; i <= n; i++)); do
    cluster_start_member "$bin" "$data" "$base" "$i" "$initial"
    CLUSTER_ENDPOINTS+="${CLUSTER_ENDPOINTS:+,}127.0.0.1:$((base + 10 * i))"
  done
  CLUSTER_INITIAL=$initial
}

# cluster_start_member BIN DATA_DIR BASE_PORT I INITIAL_CLUSTER
# (extra flags for every member: $CLUSTER_FLAGS; extra environment: $CLUSTER_ENV)
cluster_start_member() {
  local bin=$1 data=$2 base=$3 i=$4 initial=$5
  local client="http://127.0.0.1:$((base + 10 * i))" peer="http://127.0.0.1:$((base + 10 * i + 1))"
  env ${CLUSTER_ENV:-} "$bin" --name "n$i" --data-dir "$data/n$i" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-metrics-urls "http://127.0.0.1:$((base + 10 * i + 2))" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$initial" ${CLUSTER_FLAGS:-} >>"$data/n$i.log" 2>&1 &
  CLUSTER_PIDS[$i]=$!
}

# cluster_wait_ready ENDPOINTS SECONDS: until a linearizable read succeeds
# (which needs an elected leader and a quorum).
cluster_wait_ready() {
  local endpoints=$1 seconds=$2 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout=1s \
      get cairn-ready-probe >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "cluster: no leader within ${seconds}s at $endpoints" >&2
  return 1
}

# cluster_stop: SIGTERM every member, SIGKILL what is left after 10 s.
cluster_stop() {
  local pid
  for pid in "${CLUSTER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for pid in "${CLUSTER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for pid in "${CLUSTER_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  echo "cluster: members had to be killed (no clean exit within 10 s)" >&2
  return 1
}
