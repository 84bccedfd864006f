#!/usr/bin/python3
"""Cairn against etcd 3.4 and a no-op server, side by side (`make bench`).

Starts each system in turn (no-op, etcd, Cairn) on loopback from an empty
data directory, drives it with build/release/bench/cairn-bench through the
same workloads, and then writes:

  build/bench/results.json            every number, raw
  build/bench/<system>/<workload>.log cairn-bench's output per workload
  build/bench/<system>/n<i>.log       each server member's output
  docs/BENCHMARKS.md                  the block between the compare markers
  docs/bench/compare.png              throughput and p99 per workload

Any failed step ends the run with a message and a non-zero exit; every
server started is stopped on the way out (SIGTERM, SIGKILL after 10 s).

Python 3 standard library plus Debian's python3-matplotlib; run it with
/usr/bin/python3 (a python3 earlier on PATH may lack matplotlib).
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "build", "release")
BENCH_BIN = os.path.join(RELEASE, "bench", "cairn-bench")
NOOP_BIN = os.path.join(RELEASE, "bench", "cairn-noop-server")
CAIRN_BIN = os.path.join(RELEASE, "src", "cmd", "cairn")
ETCD_BIN = "/usr/bin/etcd"
ETCDCTL_BIN = "/usr/bin/etcdctl"

BEGIN_MARKER = "<!-- compare:begin -->"
END_MARKER = "<!-- compare:end -->"

READY_SECONDS = 30  # a cluster must serve a linearizable read by then
STOP_SECONDS = 10  # SIGTERM, then SIGKILL what is left after this long
FSYNC_SAMPLES = 500
FSYNC_BLOCK = 4096

# Flags every workload shares.
COMMON_FLAGS = ["--key-size", "8", "--val-size", "256", "--key-space-size", "100000"]

# Display names and chart colours; the no-op is grey as it is a ceiling,
# not a competitor.
LABELS = {"etcd": "etcd", "cairn": "Cairn", "noop": "no-op"}
COLORS = {"etcd": "#4c72b0", "cairn": "#dd8452", "noop": "#9e9e9e"}


class BenchError(Exception):
    """A step failed; the message says which and where to look."""


# ---------------------------------------------------------------------------
# What is run


class System:
    """One server set-up. Member i (1..n) serves clients on base + 10*i and
    peers on base + 10*i + 1, as scripts/cluster.sh lays them out. Each
    system has its own port base: a port can stay busy for a moment after
    its process exits. All bases are below the kernel's ephemeral range
    (32768+), where an outgoing connection could take a member's port."""

    def __init__(self, name, base_port, members, binary):
        self.name = name
        self.base_port = base_port
        self.members = members
        self.binary = binary

    def client_port(self, i):
        return self.base_port + 10 * i

    def peer_port(self, i):
        return self.base_port + 10 * i + 1

    def ports(self):
        if self.name == "noop":
            return [self.client_port(1)]
        return [p for i in self.member_ids() for p in (self.client_port(i), self.peer_port(i))]

    def member_ids(self):
        return range(1, self.members + 1)

    def command(self, i, data_dir):
        if self.name == "noop":
            return [self.binary, "--listen", "127.0.0.1:%d" % self.client_port(i)]
        # etcd and Cairn get exactly the same flags.
        client = "http://127.0.0.1:%d" % self.client_port(i)
        peer = "http://127.0.0.1:%d" % self.peer_port(i)
        initial = ",".join("n%d=http://127.0.0.1:%d" % (j, self.peer_port(j)) for j in self.member_ids())
        return [
            self.binary,
            "--name", "n%d" % i,
            "--data-dir", os.path.join(data_dir, "n%d" % i),
            "--listen-client-urls", client,
            "--advertise-client-urls", client,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initial,
            "--heartbeat-interval", "100",
            "--election-timeout", "1000",
        ]


SYSTEMS = {
    "noop": System("noop", 30000, 1, NOOP_BIN),
    "etcd": System("etcd", 31000, 3, ETCD_BIN),
    "cairn": System("cairn", 32000, 3, CAIRN_BIN),
}
SYSTEM_ORDER = ["noop", "etcd", "cairn"]


class Workload:
    """One cairn-bench run. endpoints is "leader" (the leader's client URL
    only) or "all"."""

    def __init__(self, name, kind, conns, clients=None, endpoints="all", flags=(), unit="ops/s"):
        self.name = name
        self.kind = kind
        self.conns = conns
        self.clients = clients
        self.endpoints = endpoints
        self.flags = list(flags)
        self.unit = unit

    def args(self):
        """cairn-bench's flags for this workload, without endpoints or duration."""
        args = [self.kind, "--conns", str(self.conns)]
        if self.clients is not None:
            args += ["--clients", str(self.clients)]
        return args + self.flags + COMMON_FLAGS


WORKLOADS = [
    Workload("put-1", "put", conns=1, clients=1, endpoints="leader"),
    Workload("put-128", "put", conns=8, clients=128),
    Workload("range-l-128", "range", conns=8, clients=128, flags=["--consistency", "l"]),
    Workload("range-s-128", "range", conns=8, clients=128, flags=["--consistency", "s"]),
    Workload("txn-mixed-128", "txn-mixed", conns=8, clients=128, flags=["--read-ratio", "0.8"]),
    # Its throughput is events delivered per second over all watchers.
    # Eight putters share the 200 puts/s, so that a slow put does not lower the rate.
    Workload("watch-latency", "watch-latency", conns=8, clients=8, flags=["--watchers", "100", "--rate", "200"],
             unit="events/s"),
    Workload("lease-keepalive-128", "lease-keepalive", conns=8, clients=128),
]
# Peak RSS is read right after this one: "peak RSS under the put workload".
RSS_AFTER = "put-128"
# Run right after RSS_AFTER: every key of the key space written once, so
# that the reads of every system find the same keys, not only those its own
# puts happened to reach. Not reported; bounded by --total, not by time.
PRELOAD = Workload("preload", "put", conns=8, clients=128,
                   flags=["--sequential-keys", "--total", "100000"])
PRELOAD_SECONDS = 300


# ---------------------------------------------------------------------------
# Small helpers


def log(msg):
    print("compare: " + msg, flush=True)


def run_text(cmd, timeout=30, env=None):
    """stdout of a short command; BenchError if it fails."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError("%s: %s" % (" ".join(cmd), e))
    if p.returncode != 0:
        raise BenchError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no %s)\n" % path


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    rank = max(1, int(round(q / 100.0 * len(sorted_values) + 0.5)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def etcdctl_env():
    env = dict(os.environ)
    env["ETCDCTL_API"] = "3"
    return env


def server_env():
    # etcd also reads its flags from ETCD_* variables; one left in the
    # caller's environment would make the two systems' set-ups differ.
    return {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}


# ---------------------------------------------------------------------------
# Step 0: everything needed is there, before minutes of benchmarking


def preflight(systems, report_path):
    missing = []
    for path, what in [
        (BENCH_BIN, "the load generator (make build)"),
        (ETCDCTL_BIN, "etcdctl (Debian etcd-client; make deps)"),
    ] + [(SYSTEMS[s].binary, "the %s server" % LABELS[s]) for s in systems]:
        if not os.access(path, os.X_OK):
            missing.append("%s: %s" % (what, path))
    if missing:
        raise BenchError("missing executables:\n  " + "\n  ".join(missing))
    if importlib.util.find_spec("matplotlib") is None:
        raise BenchError(
            "matplotlib is missing for %s: run it with /usr/bin/python3 and "
            "apt-get install python3-matplotlib (make deps does)" % sys.executable
        )
    if not os.path.isfile(report_path):
        raise BenchError("no report file %s" % report_path)


# ---------------------------------------------------------------------------
# Step 1: the machine


def measure_fdatasync(directory):
    """p50 and p99 (ms) of a 4 KiB append plus fdatasync, FSYNC_SAMPLES
    times to one file, on the filesystem the data directories use."""
    path = os.path.join(directory, "fdatasync-probe")
    block = b"\xa5" * FSYNC_BLOCK
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for _ in range(FSYNC_SAMPLES):
            start = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return {"samples": FSYNC_SAMPLES, "block_bytes": FSYNC_BLOCK,
            "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def etcd_version(lines):
    """ "etcd 3.4.23 (go1.19.8)" from `etcd --version`'s lines."""
    fields = dict(l.split(":", 1) for l in lines if ":" in l)
    version = "etcd " + fields.get("etcd Version", "?").strip()
    go = fields.get("Go Version", "").strip()
    return version + (" (%s)" % go if go else "")


def cairn_commit():
    commit = run_text(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
    # Tracked files only, as `git describe --dirty` counts them.
    dirty = bool(run_text(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip())
    return {"commit": commit, "dirty": dirty}


def machine_and_versions(bench_dir):
    fsync = measure_fdatasync(bench_dir)
    log("fdatasync of 4 KiB: p50 %.3f ms, p99 %.3f ms" % (fsync["p50_ms"], fsync["p99_ms"]))
    etcd_version = [l.strip() for l in run_text([ETCD_BIN, "--version"]).splitlines() if l.strip()]
    return {
        "machine": {
            "nproc": int(run_text(["nproc"]).strip()),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "fdatasync": fsync,
        },
        "versions": {"etcd": etcd_version, "cairn": cairn_commit()},
    }


# ---------------------------------------------------------------------------
# Step 2: one system at a time


class Cluster:
    """The running processes of one system. Use as a context manager: the
    processes are stopped however the block is left."""

    def __init__(self, system, data_dir):
        self.system = system
        self.data_dir = data_dir
        self.procs = {}  # member name -> Popen
        self.logs = {}  # member name -> log path
        self.endpoints = ["127.0.0.1:%d" % system.client_port(i) for i in system.member_ids()]
        self.killed = []  # members that ignored SIGTERM for STOP_SECONDS

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        wait_ports_free(self.system.ports())
        for i in self.system.member_ids():
            name = "n%d" % i
            self.logs[name] = os.path.join(self.data_dir, name + ".log")
            with open(self.logs[name], "ab") as out:
                try:
                    # A session of its own: Ctrl-C reaches only this script,
                    # which then stops the servers in order.
                    self.procs[name] = subprocess.Popen(
                        self.system.command(i, self.data_dir), stdin=subprocess.DEVNULL, stdout=out,
                        stderr=subprocess.STDOUT, env=server_env(), start_new_session=True,
                    )
                except OSError as e:
                    raise BenchError("cannot start %s member %s: %s" % (self.system.name, name, e))

    def check_alive(self, when):
        for name, p in self.procs.items():
            if p.poll() is not None:
                how = "was killed by signal %d" % -p.returncode if p.returncode < 0 else "exited %d" % p.returncode
                raise BenchError("%s member %s %s %s; end of %s:\n%s"
                                 % (self.system.name, name, how, when, self.logs[name], tail(self.logs[name])))

    def wait_ready(self):
        """Until a linearizable get through etcdctl succeeds, which needs a
        leader and a quorum."""
        deadline = time.monotonic() + READY_SECONDS
        cmd = [ETCDCTL_BIN, "--endpoints", ",".join(self.endpoints), "--command-timeout=1s", "get", "probe"]
        last = ""
        while time.monotonic() < deadline:
            self.check_alive("while starting")
            p = subprocess.run(cmd, capture_output=True, text=True, env=etcdctl_env(), timeout=10)
            if p.returncode == 0:
                return
            last = p.stderr.strip()
            time.sleep(0.2)
        raise BenchError("%s not ready within %d s at %s (etcdctl: %s); logs in %s"
                         % (self.system.name, READY_SECONDS, ",".join(self.endpoints), last, self.data_dir))

    def leader(self):
        """The leader's client endpoint, from etcdctl endpoint status: the
        entry whose member_id equals the leader it reports."""
        cmd = [ETCDCTL_BIN, "--endpoints", ",".join(self.endpoints), "--command-timeout=2s",
               "endpoint", "status", "-w", "json"]
        deadline = time.monotonic() + 10
        last = ""
        while time.monotonic() < deadline:
            p = subprocess.run(cmd, capture_output=True, text=True, env=etcdctl_env(), timeout=15)
            # A member that does not answer fails the command, but the others'
            # entries are still printed; any entry naming the leader will do.
            try:
                for entry in json.loads(p.stdout or "[]"):
                    status = entry.get("Status", {})
                    if status.get("leader") and status.get("header", {}).get("member_id") == status["leader"]:
                        return entry["Endpoint"]
                last = "no entry is the leader: " + p.stdout.strip()
            except ValueError:
                last = (p.stdout + p.stderr).strip()
            time.sleep(0.5)
        raise BenchError("%s: could not find the leader (%s)" % (self.system.name, last))

    def peak_rss_kib(self):
        """VmHWM (peak resident set, KiB) of every member."""
        self.check_alive("before reading its peak RSS")
        rss = {}
        for name, p in self.procs.items():
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        rss[name] = int(line.split()[1])
        return rss

    def stop(self):
        """SIGTERM all, wait up to STOP_SECONDS, SIGKILL what is left, and
        reap every process so that none is running when this returns."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for name, p in self.procs.items():
            if p.poll() is None:
                p.kill()
                p.wait()
                self.killed.append(name)
        if self.killed:
            log("warning: %s members %s did not exit within %d s of SIGTERM and were killed"
                % (self.system.name, ",".join(self.killed), STOP_SECONDS))


def port_free(port):
    # SO_REUSEADDR as the servers use it: a socket of an exited process in
    # TIME_WAIT does not stop them, a listening socket does.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_ports_free(ports, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        busy = [p for p in ports if not port_free(p)]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise BenchError("ports %s on 127.0.0.1 are in use (a server left from an earlier run? "
                             "check `pgrep -a etcd; pgrep -a cairn`)" % busy)
        time.sleep(0.5)


def run_workload(cluster, workload, endpoints, duration):
    """One cairn-bench run; its parsed JSON result plus the command line."""
    argv = [BENCH_BIN] + workload.args() + [
        "--endpoints", ",".join(endpoints), "--duration", str(duration),
        "--label", workload.name, "--json", "--no-progress",
    ]
    log_path = os.path.join(cluster.data_dir, workload.name + ".log")
    with open(log_path, "w") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        try:
            # Generous: setting up 100 watchers or 128 leases takes a while,
            # and a request may wait --timeout (10 s) past the end.
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=out, text=True, timeout=duration + 120)
        except subprocess.TimeoutExpired:
            raise BenchError("cairn-bench %s on %s did not finish; see %s"
                             % (workload.name, cluster.system.name, log_path))
        out.write(p.stdout)
    cluster.check_alive("during " + workload.name)
    if p.returncode != 0:
        raise BenchError("cairn-bench %s on %s exited %d (no request succeeded?); end of %s:\n%s"
                         % (workload.name, cluster.system.name, p.returncode, log_path, tail(log_path)))
    result = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                pass
    if result is None or "throughput" not in result:
        raise BenchError("cairn-bench %s on %s printed no JSON result; see %s"
                         % (workload.name, cluster.system.name, log_path))
    result["argv"] = argv[1:]
    result["log"] = os.path.relpath(log_path, ROOT)
    return result


def run_system(system, bench_dir, duration, out):
    """Starts the system from an empty directory, runs every workload, and
    stops it. Fills out as it goes, so a failure keeps what was measured."""
    data_dir = os.path.join(bench_dir, system.name)
    shutil.rmtree(data_dir, ignore_errors=True)
    os.makedirs(data_dir)
    # The system before this one left dirty pages (its log, its database)
    # that the kernel would write back during this one's first workloads,
    # slowing its fsyncs: flush them first, so each system starts on an
    # idle disk.
    started = time.time()
    os.sync()
    log("%s: flushed the page cache to disk (%.1f s)" % (system.name, time.time() - started))
    out.update({"members": system.members, "workloads": {}, "rss_kib": {}})
    log("%s: starting %d member(s) in %s" % (system.name, system.members, os.path.relpath(data_dir, ROOT)))
    with Cluster(system, data_dir) as cluster:
        cluster.start()
        out["pids"] = {name: p.pid for name, p in cluster.procs.items()}
        cluster.wait_ready()
        out["endpoints"] = cluster.endpoints
        out["leader"] = cluster.leader()
        log("%s: ready; leader %s" % (system.name, out["leader"]))
        for w in WORKLOADS:
            endpoints = [out["leader"]] if w.endpoints == "leader" else cluster.endpoints
            r = run_workload(cluster, w, endpoints, duration)
            out["workloads"][w.name] = r
            log("%s %-20s %10.0f %s  p50 %7.2f ms  p99 %7.2f ms  failed %d"
                % (system.name, w.name, r["throughput"], w.unit, r["latency_ms"]["p50"],
                   r["latency_ms"]["p99"], r.get("failed", 0)))
            if w.name == RSS_AFTER:
                out["rss_kib"]["after_" + RSS_AFTER] = cluster.peak_rss_kib()
                r = run_workload(cluster, PRELOAD, cluster.endpoints, PRELOAD_SECONDS)
                out["preload"] = r
                log("%s %-20s %d keys in %.1f s" % (system.name, PRELOAD.name, r["ok"], r["seconds"]))
        out["rss_kib"]["end"] = cluster.peak_rss_kib()
        # Leaving the block stops and reaps every member.
    out["killed_on_stop"] = cluster.killed


# ---------------------------------------------------------------------------
# Step 3: raw results


def save_json(path, results):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Step 4: the report


def get_result(results, system, workload):
    """cairn-bench's result for one system and workload, or None."""
    return results["systems"].get(system, {}).get("workloads", {}).get(workload)


def throughput(r):
    return None if r is None else r["throughput"]


def latency(r, q):
    return None if r is None else r["latency_ms"][q]


def fmt_rate(v):
    return "-" if v is None else "{:,.0f}".format(v)


def fmt_ms(v):
    if v is None:
        return "-"
    return "%.2f" % v if v < 10 else "%.1f" % v


def fmt_ratio(a, b):
    return "-" if a is None or b in (None, 0) else "%.2fx" % (a / b)


def fmt_mib(kib):
    return "-" if kib is None else "%.1f" % (kib / 1024.0)


def main_rows(results):
    """The main table as rows of strings (for markdown and for stdout)."""
    any_failed = any(
        (get_result(results, s, w.name) or {}).get("failed", 0) > 0 for s in SYSTEM_ORDER for w in WORKLOADS
    )
    header = ["workload", "etcd ops/s", "Cairn ops/s", "Cairn/etcd", "no-op ops/s",
              "etcd p50 / p99 ms", "Cairn p50 / p99 ms", "Cairn p99 / etcd p99"]
    if any_failed:
        header.append("failed (etcd / Cairn / no-op)")
    rows = []
    for w in WORKLOADS:
        e, c, n = (get_result(results, s, w.name) for s in ("etcd", "cairn", "noop"))
        name = w.name + (" (events/s)" if w.unit != "ops/s" else "")
        row = [
            name, fmt_rate(throughput(e)), fmt_rate(throughput(c)),
            fmt_ratio(throughput(c), throughput(e)), fmt_rate(throughput(n)),
            "%s / %s" % (fmt_ms(latency(e, "p50")), fmt_ms(latency(e, "p99"))),
            "%s / %s" % (fmt_ms(latency(c, "p50")), fmt_ms(latency(c, "p99"))),
            fmt_ratio(latency(c, "p99"), latency(e, "p99")),
        ]
        if any_failed:
            row.append(" / ".join("-" if r is None else str(r.get("failed", 0)) for r in (e, c, n)))
        rows.append(row)
    return header, rows


def markdown_table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(header, rows):
    """Aligned plain text: the first column left, the numbers right."""
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]

    def line(row):
        return "  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(row, widths)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def rss_of(results, system, when):
    return results["systems"].get(system, {}).get("rss_kib", {}).get(when, {})


def rss_table(results):
    after = "after_" + RSS_AFTER
    rows = []
    for s in SYSTEM_ORDER:
        a, end = rss_of(results, s, after), rss_of(results, s, "end")
        for m in sorted(set(a) | set(end)):
            rows.append([LABELS[s], m, fmt_mib(a.get(m)), fmt_mib(end.get(m))])
        if len(a) > 1:
            rows.append([LABELS[s], "**max**", "**%s**" % fmt_mib(max(a.values())),
                         "**%s**" % fmt_mib(max(end.values()))])
    header = ["system", "member", "peak RSS after %s (MiB)" % RSS_AFTER, "peak RSS, whole run (MiB)"]
    return markdown_table(header, rows, ["---", "---", "---:", "---:"])


def verdict(ok):
    if ok is None:
        return "not evaluated (not measured)"
    return "**met**" if ok else "**not met**"


def targets(results):
    """Rows of (target, baseline, Cairn, verdict)."""
    rows = []

    def tput(s, w):
        return throughput(get_result(results, s, w))

    def lat(s, w, q):
        return latency(get_result(results, s, w), q)

    def ratio_target(label, cairn, base, base_name, unit, want, at_most):
        ok = None
        if cairn is not None and base:
            ok = cairn <= want * base if at_most else cairn >= want * base
        show = fmt_rate if unit == "ops/s" else fmt_ms
        rows.append([label, "%s: %s %s" % (base_name, show(base), unit),
                     "%s %s (%s)" % (show(cairn), unit, fmt_ratio(cairn, base)), verdict(ok)])

    ratio_target("put-128 throughput >= 3x etcd",
                 tput("cairn", "put-128"), tput("etcd", "put-128"), "etcd", "ops/s", 3, at_most=False)
    ratio_target("range-l-128 throughput >= 3x etcd",
                 tput("cairn", "range-l-128"), tput("etcd", "range-l-128"), "etcd", "ops/s", 3, at_most=False)
    ratio_target("put-1 p50 <= 0.7x etcd",
                 lat("cairn", "put-1", "p50"), lat("etcd", "put-1", "p50"), "etcd", "ms", 0.7, at_most=True)

    # p99 no worse than etcd's in every workload.
    misses, compared = [], 0
    for w in WORKLOADS:
        c, e = lat("cairn", w.name, "p99"), lat("etcd", w.name, "p99")
        if c is None or e is None:
            continue
        compared += 1
        if c > e:
            misses.append("%s (%s vs %s ms)" % (w.name, fmt_ms(c), fmt_ms(e)))
    ok = None if compared < len(WORKLOADS) else not misses
    rows.append(["p99 <= etcd's in every workload", "etcd: per workload above",
                 ("misses: " + "; ".join(misses)) if misses else "none of %d workloads misses" % compared, verdict(ok)])

    after = "after_" + RSS_AFTER
    c_rss, e_rss = rss_of(results, "cairn", after), rss_of(results, "etcd", after)
    c_max = max(c_rss.values()) if c_rss else None
    e_max = max(e_rss.values()) if e_rss else None
    rows.append(["peak RSS under put (max member, after %s) <= etcd's" % RSS_AFTER,
                 "etcd: %s MiB" % fmt_mib(e_max), "%s MiB (%s)" % (fmt_mib(c_max), fmt_ratio(c_max, e_max)),
                 verdict(None if c_max is None or e_max is None else c_max <= e_max)])

    ratio_target("put-128 throughput >= 50% of the no-op's",
                 tput("cairn", "put-128"), tput("noop", "put-128"), "no-op", "ops/s", 0.5, at_most=False)
    return rows


def errors_section(results):
    """Workloads with failed requests, with cairn-bench's error summary."""
    lines = []
    for s in SYSTEM_ORDER:
        for w in WORKLOADS:
            r = get_result(results, s, w.name)
            if not r or not r.get("failed"):
                continue
            lines.append("- %s %s: %d of %d requests failed (`%s`)"
                         % (LABELS[s], w.name, r["failed"], r["failed"] + r.get("ok", 0), r["log"]))
            for e in r.get("errors", []):
                msg = " ".join(str(e.get("message", "")).split())[:200].replace("`", "'")
                lines.append("  - %s x%d: `%s`" % (e.get("code", "?"), e.get("count", 0), msg))
    return lines


def make_commands(duration):
    d = ("%g" % duration)
    make = "make bench" if duration == 10 else "make bench DURATION=%s" % d
    return make, "/usr/bin/python3 bench/compare.py --duration %s" % d


def render_block(results, chart_rel):
    m, v = results["machine"], results["versions"]
    make, py = make_commands(results["duration_s"])
    cairn_v = v["cairn"]["commit"] + (" (uncommitted changes in tracked files)" if v["cairn"]["dirty"] else "")
    fs = m["fdatasync"]
    out = [
        BEGIN_MARKER,
        "<!-- Written by bench/compare.py (make bench); edits between these markers are overwritten. -->",
        "",
        "## Cairn against etcd",
        "",
        "```sh",
        "%s    # the same as: %s" % (make, py),
        "```",
        "",
        "- Date: %s" % results["date"],
        "- Machine: %d cores, %s, Linux %s; fdatasync of a 4 KiB append in `build/bench/`: "
        "p50 %.3f ms, p99 %.3f ms (%d samples)"
        % (m["nproc"], m["cpu_model"], m["kernel"], fs["p50_ms"], fs["p99_ms"], fs["samples"]),
        "- Versions: %s, Debian `etcd-server`; Cairn commit %s" % (etcd_version(v["etcd"]), cairn_v),
        "- Set-up: etcd and Cairn each as 3 members on loopback with the same flags (`--heartbeat-interval 100 "
        "--election-timeout 1000`), each from an empty data directory; the no-op server is one process that answers "
        "at once, with no consensus and no disk: a ceiling for the client and the gRPC path. Each workload runs %g s "
        "with `cairn-bench`, 8-byte keys, 256-byte values, 100,000 keys; put-1 goes to the leader only, the others "
        "spread their connections over all members. The workloads run in the order of the table on one cluster; "
        "after put-128 every one of the 100,000 keys is written once more (in order), so the reads of both systems "
        "find every key." % results["duration_s"],
        "",
        markdown_table(*main_rows(results)),
        "",
        "Throughput is requests per second (watch-latency: events delivered per second over 100 watchers, with puts "
        "at 200/s; its latency is from a put's start to each watcher's event). Latencies are per request, in ms.",
        "",
    ]
    errors = errors_section(results)
    out += (["Failed requests (the numbers above include the run):", ""] + errors) if errors else ["No request failed."]
    killed = [LABELS[s] + " " + ",".join(r.get("killed_on_stop", []))
              for s, r in results["systems"].items() if r.get("killed_on_stop")]
    if killed:
        out += ["", "Members that did not exit within %d s of SIGTERM and were killed: %s."
                % (STOP_SECONDS, "; ".join(killed))]
    out += [
        "",
        "### Peak RSS",
        "",
        "`VmHWM` of each server process, right after %s and at the end of the run." % RSS_AFTER,
        "",
        rss_table(results),
        "",
        "### Targets",
        "",
        markdown_table(["target", "baseline", "Cairn", "result"], targets(results), ["---", "---", "---", "---"]),
        "",
        "![Throughput and p99 latency per workload: etcd, Cairn and the no-op server](%s)" % chart_rel,
        "",
        END_MARKER,
    ]
    return "\n".join(out) + "\n"


def replace_block(text, block):
    """text with the marked block replaced by block (which includes the
    markers); without markers, the block goes right after the first
    paragraph (the first run of non-blank lines that is not a heading)."""
    begins, ends = text.count(BEGIN_MARKER), text.count(END_MARKER)
    if begins == 1 and ends == 1:
        start, end = text.index(BEGIN_MARKER), text.index(END_MARKER)
        if start > end:
            raise BenchError("the compare markers are in the wrong order")
        # The block's last line ends with a newline; keep the text after the
        # old end marker's line as it was.
        end += len(END_MARKER)
        if text[end:end + 1] == "\n":
            end += 1
        return text[:start] + block + text[end:]
    if begins or ends:
        raise BenchError("expected one %s and one %s, found %d and %d" % (BEGIN_MARKER, END_MARKER, begins, ends))
    lines = text.split("\n")
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("#")):
        i += 1
    while i < len(lines) and lines[i].strip():
        i += 1
    # i is the blank line after the first paragraph (or the end).
    head = "\n".join(lines[:i]).rstrip("\n")
    rest = "\n".join(lines[i:]).lstrip("\n")
    return head + "\n\n" + block + ("\n" + rest if rest else "")


def write_report(path, block):
    with open(path) as f:
        text = f.read()
    new = replace_block(text, block)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Step 5: the chart


def draw_chart(results, path):
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    systems = [s for s in ("etcd", "cairn", "noop") if s in results["systems"]]
    names = [w.name for w in WORKLOADS]
    fig, axes = plt.subplots(1, 2, figsize=(14, 6), dpi=100)
    panels = [
        (axes[0], "Throughput (ops/s; watch-latency: events/s)", lambda r: r["throughput"], "{:,.0f}"),
        (axes[1], "p99 latency (ms)", lambda r: r["latency_ms"]["p99"], "{:.3g}"),
    ]
    width = 0.8 / max(1, len(systems))
    for ax, title, value, label_fmt in panels:
        for k, s in enumerate(systems):
            xs, ys = [], []
            for j, w in enumerate(names):
                r = get_result(results, s, w)
                if r and value(r) > 0:
                    xs.append(j + (k - (len(systems) - 1) / 2.0) * width)
                    ys.append(value(r))
            bars = ax.bar(xs, ys, width, label=LABELS[s], color=COLORS[s])
            ax.bar_label(bars, labels=[label_fmt.format(y) for y in ys], fontsize=6, rotation=90, padding=2)
        # Log scale: the workloads differ by orders of magnitude, and equal
        # ratios then look equal.
        ax.set_yscale("log")
        ax.set_title(title + ", log scale")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right")
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.margins(y=0.15)
        ax.legend()
    m = results["machine"]
    fig.suptitle("Cairn %s vs %s, %g s per workload, %s, %d cores"
                 % (results["versions"]["cairn"]["commit"], etcd_version(results["versions"]["etcd"]),
                    results["duration_s"], results["date"], m["nproc"]))
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description="Cairn vs etcd 3.4 vs a no-op server (make bench).")
    p.add_argument("--duration", type=float, default=10, help="seconds per workload (default 10)")
    p.add_argument("--systems", default=",".join(SYSTEM_ORDER),
                   help="comma-separated subset of noop,etcd,cairn, to debug this script; "
                        "the report marks what was not run as not evaluated")
    p.add_argument("--report", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"), help="markdown file to update")
    p.add_argument("--chart", default=os.path.join(ROOT, "docs", "bench", "compare.png"), help="chart to write")
    args = p.parse_args()
    if args.duration <= 0:
        p.error("--duration must be positive")
    requested = [s for s in args.systems.split(",") if s]
    unknown = set(requested) - set(SYSTEM_ORDER)
    if not requested or unknown:
        p.error("--systems takes noop, etcd and/or cairn, not %s" % ",".join(sorted(unknown)))
    args.systems = [s for s in SYSTEM_ORDER if s in requested]  # always in this order
    return args


def raise_interrupt(signum, _frame):
    # SIGTERM or SIGHUP to this script unwinds like Ctrl-C, through the
    # finally blocks that stop the servers.
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, raise_interrupt)
    signal.signal(signal.SIGHUP, raise_interrupt)
    bench_dir = os.path.join(ROOT, "build", "bench")
    results_path = os.path.join(bench_dir, "results.json")
    results = None
    try:
        preflight(args.systems, args.report)
        os.makedirs(bench_dir, exist_ok=True)
        results = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": args.duration,
            "command": make_commands(args.duration),
            "systems": {},
        }
        results.update(machine_and_versions(bench_dir))
        for s in args.systems:
            results["systems"][s] = {}
            run_system(SYSTEMS[s], bench_dir, args.duration, results["systems"][s])
            save_json(results_path, results)  # what is done survives a later failure
        chart_rel = os.path.relpath(args.chart, os.path.dirname(os.path.abspath(args.report)))
        draw_chart(results, args.chart)
        write_report(args.report, render_block(results, chart_rel))
    except BenchError as e:
        print("compare: FAILED: %s" % e, file=sys.stderr)
        if results is not None:
            results["error"] = str(e)
            save_json(results_path, results)
            print("compare: partial results in %s" % os.path.relpath(results_path, ROOT), file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print("compare: interrupted (%s); servers stopped" % (e or "Ctrl-C"), file=sys.stderr)
        if results is not None:
            results["error"] = "interrupted"
            save_json(results_path, results)
        return 130
    print()
    print(text_table(*main_rows(results)))
    print()
    for target, base, cairn, result in targets(results):
        print("%-60s %s" % (target, result.replace("*", "")))
    print()
    log("wrote %s, %s and the block in %s"
        % (os.path.relpath(results_path, ROOT), os.path.relpath(args.chart, ROOT), os.path.relpath(args.report, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
