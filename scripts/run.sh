#!/usr/bin/env bash
# `make run`: a local 3-member cluster on loopback until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
BIN=build/release/src/cmd/cairn
DATA=${DATA:-data}
BASE=${BASE:-2369}  # members serve clients on 2379, 2389, 2399; peers one above

trap 'trap - INT TERM; echo; echo "stopping..."; cluster_stop; exit 0' INT TERM
cluster_start "$BIN" "$DATA" "$BASE" 3
if ! cluster_wait_ready "$CLUSTER_ENDPOINTS" 30; then
  tail -5 "$DATA"/n*.log
  cluster_stop
  exit 1
fi
cat <<MSG

cairn: 3 members on loopback, data under ./$DATA (logs: $DATA/n1.log ...)

  Dashboard (any member shows the whole cluster): http://127.0.0.1:$((BASE + 12))/

  member  client endpoint    peer endpoint      metrics and health (HTTP)
  n1      127.0.0.1:$((BASE + 10))    127.0.0.1:$((BASE + 11))    http://127.0.0.1:$((BASE + 12))/metrics
  n2      127.0.0.1:$((BASE + 20))    127.0.0.1:$((BASE + 21))    http://127.0.0.1:$((BASE + 22))/metrics
  n3      127.0.0.1:$((BASE + 30))    127.0.0.1:$((BASE + 31))    http://127.0.0.1:$((BASE + 32))/metrics

Any etcd v3 client works. With Debian's etcdctl:

  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=$CLUSTER_ENDPOINTS
  etcdctl put greeting hello
  etcdctl get greeting
  etcdctl get --prefix ""
  etcdctl txn -i
  etcdctl lease grant 30; etcdctl lock jobs -- echo holding

With Cairn's own CLI (build/release/src/cmd/cairnctl, docs/CAIRNCTL.md):

  CTL="build/release/src/cmd/cairnctl --endpoints $CLUSTER_ENDPOINTS"
  \$CTL cluster status        # every member's role, term, commit and applied index
  \$CTL put greeting hello && \$CTL get greeting -w json
  \$CTL member list -w table
  \$CTL doctor                # checks every member: exit 0 healthy, 1 degraded, 2 unavailable

With python3-etcd3:

  /usr/bin/python3 -c "import etcd3; c = etcd3.client(port=$((BASE + 20))); c.put('a', '1'); print(c.get('a'))"

Health and metrics, as etcd serves them (docs/OPERATIONS.md):

  curl -s http://127.0.0.1:$((BASE + 12))/health     # {"health":"true","reason":""}
  curl -s http://127.0.0.1:$((BASE + 12))/readyz?verbose
  curl -s http://127.0.0.1:$((BASE + 12))/metrics | grep -E '^etcd_server_(has|is)_leader'

Kill a member (kill -9 <pid>) and the others carry on (watch the dashboard
and run the doctor); restart it with the same flags (see ps) and it catches up.
Ctrl-C stops all three.
MSG
wait
