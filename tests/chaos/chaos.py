#!/usr/bin/python3
"""One chaos run: a real Cairn cluster (each member in its own network
namespace when permitted), register/append/watch/lock workloads, a seeded
schedule of faults, then every history checked. Exit status 0 when the run
is clean (or, with --expect-violation, when a violation was found), 1
otherwise. Replay a run's fault schedule with the same --seed."""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import faults as faultlib  # noqa: E402
from append import KEYS as LIST_KEYS, AppendClient, check_appends  # noqa: E402
from client import History, now  # noqa: E402
from cluster import Cluster, load_stubs  # noqa: E402
from locks import FENCE, LockClient, check_locks, initialise  # noqa: E402
from netlab import netns_available  # noqa: E402
from register import KEYS as REGISTER_KEYS, RegisterClient  # noqa: E402
from report import write as write_report  # noqa: E402
from watches import PREFIX, PREFIX_END, Watcher, WatchWriter, check_watchers, history_of  # noqa: E402


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cairn", required=True, help="the cairn binary")
    p.add_argument("--checker", required=True, help="cairn-check-history")
    p.add_argument("--out", required=True, help="directory for this run's data and report")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--duration", type=float, default=60, help="seconds of faults")
    p.add_argument("--faults", default="all", help="comma-separated kinds, or all (%s)" % ",".join(faultlib.ALL))
    p.add_argument("--workloads", default="register,append,watch,lock")
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--planted-bug", default="none", help="none, local-reads or ack-before-fsync")
    p.add_argument("--expect-violation", action="store_true", help="succeed only if a violation is found")
    p.add_argument("--fault-seconds", default="3,8", help="min,max length of one fault")
    p.add_argument("--fault-shim", help="the harness's preload (libcairn_chaos_faults.so: disk_fault_shim.cc, "
                   "clock_shim.cc), for disk-error, disk-stall and clock")
    p.add_argument("--loopback", action="store_true", help="no network namespaces even if permitted")
    return p.parse_args()


def main():
    args = parse()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    log_file = open(os.path.join(args.out, "harness.log"), "a")
    t_start = time.time()

    def log(msg):
        line = "[%7.1f] %s" % (time.time() - t_start, msg)
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    use_netns = not args.loopback and netns_available()
    kinds = faultlib.ALL if args.faults == "all" else args.faults.split(",")
    for k in kinds:
        if k not in faultlib.ALL:
            sys.exit("unknown fault kind %s (known: %s)" % (k, ", ".join(faultlib.ALL)))
    skipped = []
    if not use_netns:
        skipped = [k for k in kinds if k in faultlib.NETWORK]
        kinds = [k for k in kinds if k not in faultlib.NETWORK]
        log("%s: skipping the network faults %s" % (
            "--loopback" if args.loopback else "no permission for network namespaces", ", ".join(skipped)))
    for k in ("disk-error", "disk-stall", "clock"):
        if not args.fault_shim and k in kinds:
            skipped.append(k)
            kinds.remove(k)
            log("no --fault-shim: skipping %s" % k)
    if os.geteuid() != 0 and "disk-full" in kinds:
        skipped.append("disk-full")
        kinds.remove("disk-full")
        log("not root (no loop-mounted disk per member): skipping disk-full")
    log("seed %d (replay: --seed %d), %s, faults: %s" % (seed, seed, "netns" if use_netns else "loopback",
                                                           ", ".join(kinds)))
    load_stubs(os.path.join(args.out, "stubs"))
    cluster = Cluster(os.path.abspath(args.cairn), os.path.abspath(args.out), use_netns, args.planted_bug,
                      base_port=40000 + (os.getpid() % 100) * 100, log=log,
                      fault_shim=os.path.abspath(args.fault_shim) if args.fault_shim else None)
    verdicts, histories, fault_log, crashes = {}, {}, [], []
    try:
        cluster.start(args.members)
        log("cluster up: %s" % cluster.addresses())
        workloads = args.workloads.split(",")
        stop = threading.Event()
        hist = {w: History() for w in workloads}
        clients, watchers, watch_stop = [], [], threading.Event()
        ident = 0
        for w in workloads:
            n = {"register": 5, "append": 3, "watch": 1, "lock": 2}[w]
            for _ in range(n):
                ident += 1
                kw = dict(rng_seed=rng.randrange(1 << 30)) if w in ("register", "append", "lock") else {}
                cls = {"register": RegisterClient, "append": AppendClient, "watch": WatchWriter,
                       "lock": LockClient}[w]
                clients.append(cls(ident, cluster, hist[w], stop, {"lock": 0.1}.get(w, 0.05), **kw))
        if "lock" in workloads:
            initialise(cluster)
        if "watch" in workloads:
            # Watchers stop after the writers, once they have caught up.
            watchers = [Watcher(i, cluster, watch_stop) for i in range(2)]
        t0_ns, t0 = now(), time.time()
        for c in clients + watchers:
            c.start()

        plan = faultlib.schedule(rng, kinds, args.duration,
                                 tuple(float(x) for x in args.fault_seconds.split(",")))
        for offset, kind, length in plan:
            faultlib.wait_until(t0 + offset)
            fault = faultlib.Fault(kind, cluster, rng, log)
            entry = {"kind": kind, "start": time.time() - t0}
            try:
                fault.begin()
            except Exception as e:  # a fault that cannot be applied is reported, not fatal
                entry["error"] = "%s: %s" % (type(e).__name__, e)
            entry["detail"] = fault.detail
            log("fault %s: %s%s" % (kind, fault.detail, ("  ERROR " + entry["error"]) if "error" in entry else ""))
            faultlib.wait_until(time.time() + length)
            try:
                crashes += fault.heal()
            except Exception as e:
                entry["error"] = entry.get("error", "") + " heal: %s: %s" % (type(e).__name__, e)
            entry["end"] = time.time() - t0
            fault_log.append(entry)
            crashes += [c for c in faultlib.restart_dead(cluster, log) if c]

        log("healing: every fault off, waiting for the cluster")
        crashes += faultlib.restart_dead(cluster, log)
        try:
            # Under the workloads a majority must serve again; once they
            # stop, every member must catch up (a member restarted under
            # constant load may apply no faster than the leader commits).
            cluster.wait_ready(90, majority_only=True)
            crashes += faultlib.restart_dead(cluster, log)
            time.sleep(3)  # the workloads run on a healthy cluster for a moment
            stop.set()
            for c in clients:
                c.join(10)
            cluster.wait_ready(90)
        except RuntimeError as e:
            # A finding in itself; the histories are still reported, but
            # their final reads need a healthy cluster, so no verdict on them.
            verdicts["recovery"] = verdict(["after healing: %s" % e])
            log("RECOVERY FAILED: %s" % e)
            dump_stacks(cluster, args.out, log)
        stop.set()
        for c in clients:
            c.join(10)
        histories = {w: hist[w].snapshot() for w in workloads}
        if "recovery" in verdicts:
            raise Unrecovered()

        # Final reads on the healed cluster: every acknowledged write must be there.
        if "register" in workloads:
            final_reads(cluster, hist["register"])
        histories = {w: hist[w].snapshot() for w in workloads}
        harness_errors = [e for c in clients for e in c.harness_errors]
        if harness_errors:
            verdicts["harness"] = {"verdict": "error", "violations": harness_errors[:20]}
        if "register" in histories:
            verdicts["register"] = check_register(args.checker, args.out, histories["register"], log)
        if "append" in histories:
            final = final_lists(cluster)
            verdicts["append"] = verdict(check_appends(histories["append"], final))
        if "watch" in histories:
            reference = history_of(cluster, PREFIX, PREFIX_END)
            deadline = time.time() + 20
            while time.time() < deadline and any(len(w.events) < len(reference) for w in watchers):
                time.sleep(0.2)
            watch_stop.set()
            for w in watchers:
                w.join(10)
            verdicts["watch"] = verdict(check_watchers(watchers, reference))
            verdicts["watch"]["events"] = len(reference)
            verdicts["watch"]["reconnects"] = sum(w.reconnects for w in watchers)
        if "lock" in histories:
            tokens = [int(v) for _, _, v, _ in history_of(cluster, FENCE, FENCE + b"\0") if v]
            verdicts["lock"] = verdict(check_locks(histories["lock"], tokens))
    except Unrecovered:
        pass
    finally:
        watch_stop.set() if "watch_stop" in locals() else None
        cluster.shutdown()
    unexpected = [c for c in crashes]
    run = {"seed": seed, "duration": args.duration, "network": "netns" if use_netns else "loopback",
           "skipped_faults": skipped, "planted_bug": args.planted_bug, "faults_enabled": kinds}
    summary, text = write_report(args.out, run, histories, fault_log, verdicts, unexpected, t0_ns)
    print(text, end="")
    violated = summary["violations"] > 0 or any(v["verdict"] != "ok" for v in verdicts.values())
    if args.expect_violation:
        # A planted bug may also show as a member that aborts on an invariant.
        found = violated or bool(unexpected)
        print("expected a violation: %s" % ("found" if found else "NOT FOUND"))
        return 0 if found else 1
    if violated or unexpected:
        print("FAILED: replay with --seed %d (data in %s)" % (seed, args.out))
        return 1
    return 0


def dump_stacks(cluster, out, log):
    """Every thread's stack of every running member, for a cluster that did
    not come back (a deadlock or a stuck loop shows here)."""
    for m in cluster.members.values():
        if not m.alive():
            continue
        path = os.path.join(out, m.name + ".stacks.txt")
        with open(path, "w") as f:
            subprocess.run(["gdb", "-p", str(m.proc.pid), "-batch", "-ex", "thread apply all bt"],
                           stdout=f, stderr=subprocess.STDOUT, timeout=120)
        log("stacks of %s in %s" % (m.name, path))


class Unrecovered(Exception):
    """The cluster did not come back after healing: report, skip the checks."""


def verdict(violations):
    return {"verdict": "violation" if violations else "ok", "violations": violations}


def final_reads(cluster, history):
    from etcd.etcdserverpb import rpc_pb2
    for key in REGISTER_KEYS:
        op = {"client": 0, "kind": "get", "key": key, "call": now()}
        r = cluster.any_call("KV", "Range", rpc_pb2.RangeRequest(key=key.encode()), timeout=5)
        op.update(ret=now(), known=True, found=bool(r.kvs), output=r.kvs[0].value.decode() if r.kvs else "")
        history.add(op)


def final_lists(cluster):
    from etcd.etcdserverpb import rpc_pb2
    ranges = [rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=k.encode())) for k in LIST_KEYS]
    r = cluster.any_call("KV", "Txn", rpc_pb2.TxnRequest(success=ranges), timeout=5)
    return {k: (x.response_range.kvs[0].value.decode().split() if x.response_range.kvs else [])
            for k, x in zip(LIST_KEYS, r.responses)}


def check_register(checker, out, ops, log):
    path = os.path.join(out, "register-history.jsonl")
    with open(path, "w") as f:
        for op in ops:
            f.write(json.dumps({k: v for k, v in op.items() if k not in ("node", "error")}) + "\n")
    r = subprocess.run([checker, "--time-budget-seconds", "120", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    log("checker: exit %d: %s" % (r.returncode, r.stdout.strip()[:2000]))
    v = {0: "ok", 1: "violation", 2: "unknown"}.get(r.returncode, "error")
    return {"verdict": v, "violations": [r.stdout.strip()] if v == "violation" else [],
            "checker": r.stdout.strip()[:4000]}


if __name__ == "__main__":
    sys.exit(main())
