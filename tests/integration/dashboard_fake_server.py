#!/usr/bin/env python3
"""A stand-in for a Cairn member's metrics listener, for working on the dashboard.

It serves src/cmd/cairn/dashboard/index.html at / (read again on every request,
so an edit shows on the next reload) and made-up JSON in the shape of the
real `GET /api/v1/cluster?history=N` (the member's telemetry API, issue 7)
with numbers that move every second. Python 3 standard library only.

    python3 tests/integration/dashboard_fake_server.py              # port 8099
    python3 tests/integration/dashboard_fake_server.py --port 0     # a free port, printed
    python3 tests/integration/dashboard_fake_server.py --mode steady --alarm NOSPACE

then open http://127.0.0.1:8099/ or run
    python3 tests/integration/dashboard_check.py http://127.0.0.1:8099/ /tmp/dashboard.png

--mode picks what the cluster looks like:
  live     (default) 3 members under load; the leader moves every 40 s, and
           every 90 s the third member is down for 20 s (it comes back with a
           fresh uptime and a gap in its history), with the findings a real
           member would report
  steady   3 healthy members under load, one leader, no outage, no slow disk
  zero     3 reachable members and no traffic: every sample is zero
           (dashboard_check.py must fail against this)
  empty    no members at all, verdict "unavailable"
           (dashboard_check.py must fail against this)
  error    /api/v1/cluster answers 500 (the page must keep its last data and
           say that the fetch fails)

--phase S starts the live scenario S seconds in (--phase 75: the third member
is down from the start). While it runs, GET /_fake/mode?set=MODE switches the
mode (e.g. to "error", to see the page keep its last data).

The first line on stdout is "listening on http://127.0.0.1:PORT/", so a script
can start it with --port 0 and read the port.
"""

import argparse
import http.server
import json
import math
import os
import sys
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(HERE, "..", "..", "src", "cmd", "cairn", "dashboard", "index.html")

MEMBERS = [  # name, id, client port
    ("n1", "8e9e05c52164694d", 2379),
    ("n2", "91bc3c398fb3c146", 2389),
    ("n3", "fd422379fda50e48", 2399),
]
EPOCH_S = 40          # a leader change every EPOCH_S seconds (live mode)
OUTAGE_PERIOD_S = 90  # the third member is down OUTAGE_S of every OUTAGE_PERIOD_S
OUTAGE_S = 20
START = int(time.time())  # moved back by --phase
MODES = ["live", "steady", "zero", "empty", "error"]
QUOTA = 2 * 1024 ** 3


def noise(*key):
    """A repeatable pseudo-random number in [0, 1) for key: the same second
    gives the same sample on every request, as a real history would."""
    return (zlib.crc32(repr(key).encode()) % 10007) / 10007.0


class Cluster:
    def __init__(self, mode, alarms):
        self.mode = mode
        self.alarms = alarms

    def down(self, i, t):
        """Whether member i is unreachable at second t."""
        if self.mode != "live" or i != 2:
            return False
        return (t - START) % OUTAGE_PERIOD_S >= OUTAGE_PERIOD_S - OUTAGE_S

    def up_since(self, i, t):
        """The second member i's process last started: the third member in
        live mode restarts at the end of each outage."""
        period = (t - START) // OUTAGE_PERIOD_S
        if self.mode != "live" or i != 2 or period == 0:
            return START - 3600
        return START + period * OUTAGE_PERIOD_S

    def epoch(self, t):
        return (t - START) // EPOCH_S if self.mode == "live" else 0

    def leader_of_epoch(self, e):
        """Members take turns, skipping one that is down when the epoch starts."""
        t0 = START + e * EPOCH_S
        i = e % len(MEMBERS)
        while self.down(i, t0):
            i = (i + 1) % len(MEMBERS)
        return i

    def term(self, t):
        return 10 + self.epoch(t)

    def leader(self, t):
        return self.leader_of_epoch(self.epoch(t))

    def sample(self, i, t):
        if self.mode == "zero":
            return dict(t=t * 1000, rps=0.0, p50=0.0, p99=0.0, fsync_p99=0.0, apply_lag=0,
                        commit=12, applied=12, term=10, leader=(i == 0))
        lead = self.leader(t) == i
        since_change = (t - START) % EPOCH_S if self.mode == "live" else 999
        # Traffic dips for a few seconds after an election, latency jumps.
        settle = min(1.0, since_change / 4.0)
        wave = 0.5 + 0.5 * math.sin(t / 17.0 + i)
        rps = (600 + 500 * wave + 150 * noise("rps", i, t)) * (0.2 + 0.8 * settle)
        if lead:
            rps *= 1.6  # the leader also handles the followers' forwarded writes
        p50 = 0.0008 + 0.0006 * wave + 0.0003 * noise("p50", i, t)
        p99 = p50 * (3 + 2 * noise("p99", i, t)) + (0.04 * (1 - settle))
        fsync = 0.0015 + 0.002 * noise("fsync", i, t)
        if self.mode == "live" and noise("spike", i, t) > 0.97:
            fsync *= 8  # an occasional slow disk moment
        lag = 0 if lead or noise("lag", i, t) < 0.8 else int(1 + 60 * noise("lagv", i, t))
        commit = 1000 + (t - START + 3600) * 900
        return dict(t=t * 1000, rps=round(rps, 1), p50=round(p50, 6), p99=round(p99, 6),
                    fsync_p99=round(fsync, 6), apply_lag=lag, commit=commit, applied=commit - lag,
                    term=self.term(t), leader=lead)

    def member(self, i, now, history):
        name, mid, port = MEMBERS[i]
        base = dict(id=mid, name=name, client_urls=["http://127.0.0.1:%d" % port], learner=False)
        if self.down(i, now):
            return dict(base, reachable=False,
                        error="rpc error: code = Unavailable desc = connection refused",
                        role="", term=0, leader="", commit_index=0, applied_index=0,
                        db_size_bytes=0, quota_bytes=0, disk_free_bytes=0, disk_total_bytes=0,
                        fsync_p99_seconds=0, request_p99_seconds=0, version="",
                        uptime_seconds=0, leader_changes_seen=0, history=[])
        up = self.up_since(i, now)
        # The history of a restarted member begins when it came back: a gap.
        first = max(now - history + 1, up)
        hist = [self.sample(i, t) for t in range(first, now + 1)]
        last = hist[-1] if hist else self.sample(i, now)
        window = hist[-60:] or [last]
        db = 48 * 1024 ** 2 + (now - START) * 20_000 + i * 1_000_000
        if "NOSPACE" in self.alarms:
            db = QUOTA + 4096
        return dict(base, reachable=True, error="",
                    role="leader" if last["leader"] else "follower", term=last["term"],
                    leader=MEMBERS[self.leader(now)][1] if self.mode != "zero" else MEMBERS[0][1],
                    commit_index=last["commit"], applied_index=last["applied"],
                    db_size_bytes=db, quota_bytes=QUOTA,
                    disk_free_bytes=41_000_000_000 - (now - START) * 20_000 - i * 3_000_000_000,
                    disk_total_bytes=100_000_000_000,
                    fsync_p99_seconds=max(s["fsync_p99"] for s in window),
                    request_p99_seconds=max(s["p99"] for s in window),
                    version="3.4.0-cairn.0.1", uptime_seconds=now - up,
                    leader_changes_seen=1 + self.epoch(now), history=hist)

    def findings(self, members):
        out = []
        for m in members:
            if not m["reachable"]:
                out.append(dict(severity="critical", member=m["name"],
                                what="%s is unreachable" % m["name"],
                                cause="connection refused at %s" % m["client_urls"][0],
                                remedy="check that the process runs and that its client port is reachable"))
        for m in members:
            if m["reachable"] and m["fsync_p99_seconds"] > 0.010:
                out.append(dict(severity="warning", member=m["name"],
                                what="%s's disk is slow: WAL fsync p99 %.0f ms" % (m["name"], m["fsync_p99_seconds"] * 1000),
                                cause="fsync above 10 ms makes every write wait and can cost leader elections",
                                remedy="put the data directory on a faster disk (SSD) not shared with other busy processes"))
        if "CORRUPT" in self.alarms:
            out.insert(0, dict(severity="critical", member="n2",
                               what="n2's data differs from the other members'",
                               cause="the periodic corruption check found a different hash at the same revision",
                               remedy="replace n2: remove it, wipe its data directory and add it back"))
        if "NOSPACE" in self.alarms:
            out.insert(0, dict(severity="critical", member="",
                               what="the cluster is out of space and refuses writes",
                               cause="a member's database passed --quota-backend-bytes",
                               remedy="compact and defragment, then disarm the alarm (etcdctl alarm disarm)"))
        return out

    def snapshot(self, history):
        now = int(time.time())
        if self.mode == "empty":
            return dict(now_ms=int(time.time() * 1000), served_by="n1", verdict="unavailable",
                        findings=[dict(severity="critical", member="", what="no member answered",
                                       cause="every member timed out", remedy="start the members")],
                        alarms=[], members=[], leader_changes=[])
        members = [self.member(i, now, history) for i in range(len(MEMBERS))]
        findings = self.findings(members)
        reachable = sum(m["reachable"] for m in members)
        if reachable * 2 <= len(members):
            verdict = "unavailable"
        elif findings or self.alarms:
            verdict = "degraded"
        else:
            verdict = "healthy"
        changes = []
        first = self.epoch(now) - 8 if self.mode == "live" else 0
        for e in range(first, self.epoch(now) + 1):
            i = self.leader_of_epoch(e)
            changes.append(dict(t=(START + e * EPOCH_S) * 1000 + 350, term=10 + e,
                                leader=MEMBERS[i][1], leader_name=MEMBERS[i][0]))
        return dict(now_ms=int(time.time() * 1000), served_by="n1", verdict=verdict,
                    findings=findings, alarms=list(self.alarms), members=members,
                    leader_changes=changes)


class Handler(http.server.BaseHTTPRequestHandler):
    cluster = None

    def send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/":
            with open(PAGE, "rb") as f:
                self.send(200, "text/html; charset=utf-8", f.read())
        elif url.path == "/_fake/mode":
            mode = urllib.parse.parse_qs(url.query).get("set", [""])[0]
            if mode not in MODES:
                self.send(400, "text/plain", ("modes: %s\n" % " ".join(MODES)).encode())
                return
            self.cluster.mode = mode
            self.send(200, "text/plain", ("mode %s\n" % mode).encode())
        elif url.path == "/api/v1/cluster":
            if self.cluster.mode == "error":
                self.send(500, "text/plain", b"internal error (fake)\n")
                return
            q = urllib.parse.parse_qs(url.query)
            history = max(0, min(300, int(q.get("history", ["120"])[0])))
            body = json.dumps(self.cluster.snapshot(history)).encode()
            self.send(200, "application/json", body)
        else:
            self.send(404, "text/plain", b"not found\n")

    def log_message(self, fmt, *args):
        pass  # one line per second per open page is noise


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--mode", default="live", choices=MODES)
    p.add_argument("--phase", type=int, default=0, help="seconds into the live scenario to start at")
    p.add_argument("--alarm", action="append", default=[], choices=["NOSPACE", "CORRUPT"],
                   help="raise this alarm (repeatable)")
    a = p.parse_args()
    global START
    START -= a.phase
    Handler.cluster = Cluster(a.mode, a.alarm)
    server = http.server.ThreadingHTTPServer((a.host, a.port), Handler)
    print("listening on http://%s:%d/" % (a.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
