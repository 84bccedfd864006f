#!/usr/bin/env bash
# The dashboard of real members: /api/v1/cluster answers with the whole
# cluster, and the page at / (src/cmd/cairn/dashboard/index.html, embedded
# verbatim), opened in headless Chromium while the cluster takes load, shows
# the members and moving numbers. The screenshot lands in
# <repo>/test-output/dashboard/dashboard.png.
# Usage: dashboard_test.sh <cairn binary> <scratch dir> [cairn-bench binary]
# (without cairn-bench, or when it is not built, the load is a loop of
# etcdctl put). Needs Debian's chromium (scripts/deps.sh installs it).
set -uo pipefail
BIN=$(realpath "$1")
WORK=$2
BENCH=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
source "$REPO/scripts/cluster.sh"
rm -rf "$WORK" && mkdir -p "$WORK"
# Ports 18000-20000: below the ephemeral range (32768-60999).
BASE=$((18000 + ($$ % 40) * 50))
export ETCDCTL_API=3
SHOT_DIR="$REPO/test-output/dashboard"
SHOT="$SHOT_DIR/dashboard.png"
LOAD_SECONDS=90  # longer than dashboard_check's 60 s limit; stopped as soon as it is done
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
metrics_url() { echo "http://127.0.0.1:$((BASE + 10 * $1 + 2))$2"; }

LOAD_PID=""
stop_load() {
  [[ -n $LOAD_PID ]] || return 0
  kill -TERM "$LOAD_PID" 2>/dev/null
  wait "$LOAD_PID" 2>/dev/null
  LOAD_PID=""
}

cluster_start "$BIN" "$WORK" "$BASE" 3
trap 'stop_load; cluster_stop; tail -n 5 "$WORK"/n*.log' EXIT
trap 'exit 1' TERM INT  # so that a timeout still runs the EXIT trap
cluster_wait_ready "$CLUSTER_ENDPOINTS" 30 || exit 1

# The page must stay self-contained: no external URL it could load from.
# (The SVG namespace string in the script is a name, not a load.)
if grep -nEi '(src|href|action)=["'\'']?(https?:)?//|@import|url\(["'\'']?(https?:)?//' \
  "$REPO/src/cmd/cairn/dashboard/index.html"; then
  fail "index.html refers to an external URL (above)"
else
  echo "ok: index.html loads nothing from outside"
fi

# The API first: a missing endpoint is clearer here than as an empty page.
# Peers answer the member over gRPC, so give them a few seconds to all show
# as reachable after the election.
api_ok=0
for _ in $(seq 20); do
  code=$(curl -s -o "$WORK/api.json" -D "$WORK/api.headers" -w '%{http_code}' --max-time 10 \
    "$(metrics_url 1 '/api/v1/cluster?history=10')")
  if [[ $code == 200 ]] && /usr/bin/python3 - "$WORK/api.json" 2>"$WORK/api.err" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(m["name"] for m in d["members"])
assert d["served_by"] == "n1", d["served_by"]
assert names == ["n1", "n2", "n3"], names
assert all(m["reachable"] for m in d["members"]), [m["error"] for m in d["members"]]
assert d["verdict"] in ("healthy", "degraded", "unavailable"), d["verdict"]
EOF
  then
    api_ok=1
    break
  fi
  sleep 0.5
done
if ((api_ok)); then
  grep -qi '^content-type: application/json' "$WORK/api.headers" && echo "ok: /api/v1/cluster: 3 members, all reachable" \
    || fail "/api/v1/cluster content type: $(grep -i '^content-type' "$WORK/api.headers")"
else
  fail "/api/v1/cluster on member 1: HTTP $code, $(tail -n 1 "$WORK/api.err" 2>/dev/null) $(head -c 300 "$WORK/api.json")"
fi

# Load for the page to draw, bounded in time and in count. cairn-bench
# spreads its connections over the three members, so each one serves requests.
if [[ -z $BENCH ]]; then
  BENCH=$(dirname "$BIN")/../../../bench/cairn-bench  # build/<tree>/src/cmd/cairn -> build/<tree>/bench
fi
if [[ -x $BENCH ]]; then
  "$BENCH" put --endpoints "$CLUSTER_ENDPOINTS" --conns 3 --clients 6 --rate 200 \
    --duration "$LOAD_SECONDS" --total 30000 --key-size 8 --val-size 64 --key-space-size 1000 \
    --no-progress >"$WORK/load.log" 2>&1 &
  LOAD_PID=$!
  echo "load: cairn-bench put, 200/s for at most ${LOAD_SECONDS}s"
else
  (
    end=$((SECONDS + LOAD_SECONDS))
    for i in $(seq 5000); do
      ((SECONDS < end)) || break
      etcdctl --endpoints "$CLUSTER_ENDPOINTS" --command-timeout=2s put "dash-$((i % 500))" "v$i" >/dev/null 2>&1
    done
  ) &
  LOAD_PID=$!
  echo "load: etcdctl put loop for at most ${LOAD_SECONDS}s (no cairn-bench at $BENCH)"
fi

mkdir -p "$SHOT_DIR"
if /usr/bin/python3 "$HERE/dashboard_check.py" "$(metrics_url 1 /)" "$SHOT" --timeout 60; then
  echo "ok: the dashboard on member 1 shows the cluster (screenshot $SHOT)"
else
  fail "the dashboard on member 1 (screenshot $SHOT)"
fi
stop_load

# Every member serves the same page, with the same API behind it.
code=$(curl -s -o "$WORK/page1.html" -w '%{http_code}' --max-time 10 "$(metrics_url 1 /)")
[[ $code == 200 ]] || fail "member 1 /: HTTP $code"
code=$(curl -s -o "$WORK/page2.html" -D "$WORK/page2.headers" -w '%{http_code}' --max-time 10 "$(metrics_url 2 /)")
if [[ $code == 200 ]] && grep -qi '^content-type: text/html' "$WORK/page2.headers" \
  && grep -q Cairn "$WORK/page2.html"; then
  echo "ok: member 2 serves the dashboard page"
else
  fail "member 2 /: HTTP $code, $(grep -i '^content-type' "$WORK/page2.headers")"
fi
cmp -s "$WORK/page1.html" "$WORK/page2.html" && echo "ok: members 1 and 2 serve the same page" \
  || fail "members 1 and 2 serve different pages"
cmp -s "$WORK/page2.html" "$REPO/src/cmd/cairn/dashboard/index.html" \
  && echo "ok: the page is index.html verbatim" \
  || fail "the page served differs from src/cmd/cairn/dashboard/index.html (binary older than the file?)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$(metrics_url 2 '/api/v1/cluster?history=1')")
[[ $code == 200 ]] && echo "ok: member 2 answers /api/v1/cluster" || fail "member 2 /api/v1/cluster: HTTP $code"

echo "failures: $failures"
((failures == 0))
