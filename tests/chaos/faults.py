"""The faults, each an object with begin() and heal(). The schedule picks
them from a seeded random generator, so a run replays from its seed (the
faults replay exactly; the operations the clients happen to make do not)."""

import time

NETWORK = ["partition-one", "partition-leader", "partition-halves", "partition-bridge", "partition-oneway",
           "loss", "delay", "reset"]
PROCESS = ["kill", "kill-majority", "kill-all", "pause", "restart"]
CLOCK = ["clock"]
DISK = ["disk-error", "disk-stall", "disk-full"]
MEMBERSHIP = ["membership", "wipe-rejoin"]
ALL = NETWORK + PROCESS + CLOCK + DISK + MEMBERSHIP


class Fault:
    def __init__(self, kind, cluster, rng, log):
        self.kind, self.cluster, self.rng, self.log = kind, cluster, rng, log
        self.detail = ""
        self.may_crash = []

    # --- helpers ---------------------------------------------------------
    def running(self):
        return [m for m in self.cluster.members.values() if m.alive()]

    def leader(self):
        from etcd.etcdserverpb import rpc_pb2
        for m in self.running():
            try:
                s = self.cluster.call(m.i, "Maintenance", "Status", rpc_pb2.StatusRequest(), 1.0)
                if s.leader and s.leader == s.header.member_id:
                    return m
            except Exception:
                pass
        return None

    def isolate(self, groups):
        """Members in different groups cannot reach each other."""
        lab = self.cluster.lab
        for g in groups:
            for m in g:
                others = [x.i for h in groups if h is not g for x in h]
                lab.drop_from(m.i, others)
        self.detail = " | ".join(",".join(m.name for m in g) for g in groups)

    # --- the faults ------------------------------------------------------
    def begin(self):
        c, rng = self.cluster, self.rng
        members = sorted(c.members.values(), key=lambda m: m.i)
        k = self.kind
        if k == "partition-one":
            one = rng.choice(members)
            self.isolate([[one], [m for m in members if m is not one]])
        elif k == "partition-leader":
            one = self.leader() or rng.choice(members)
            self.isolate([[one], [m for m in members if m is not one]])
        elif k == "partition-halves":
            shuffled = members[:]
            rng.shuffle(shuffled)
            cut = len(shuffled) // 2
            self.isolate([shuffled[:cut], shuffled[cut:]])
        elif k == "partition-bridge":
            # two sides that both reach one member in the middle
            shuffled = members[:]
            rng.shuffle(shuffled)
            middle, rest = shuffled[0], shuffled[1:]
            left, right = rest[:len(rest) // 2], rest[len(rest) // 2:]
            for a in left:
                c.lab.drop_from(a.i, [b.i for b in right])
            for b in right:
                c.lab.drop_from(b.i, [a.i for a in left])
            self.detail = "%s <- %s -> %s" % (",".join(m.name for m in left), middle.name,
                                              ",".join(m.name for m in right))
        elif k == "partition-oneway":
            a, b = rng.sample(members, 2)
            c.lab.drop_from(a.i, [b.i])
            self.detail = "%s hears nothing from %s" % (a.name, b.name)
        elif k == "loss":
            p = rng.choice([0.1, 0.2, 0.3])
            for m in members:
                c.lab.drop_from(m.i, [x.i for x in members if x is not m], probability=p)
            self.detail = "%d%% of peer packets" % (p * 100)
        elif k in ("delay", "reset"):
            d = {"delay_ms": rng.choice([20, 50, 100]), "jitter_ms": rng.choice([20, 100, 300]),
                 "reset_per_s": 0.3 if k == "reset" else 0.0}
            for m in members:
                m.set_proxy(d)
            self.detail = "delay %d ms + up to %d ms, resets %.1f/s per connection" % (
                d["delay_ms"], d["jitter_ms"], d["reset_per_s"])
        elif k == "kill":
            self.kill([rng.choice(members)])
        elif k == "kill-majority":
            self.kill(rng.sample(members, len(members) // 2 + 1))
        elif k == "kill-all":
            self.kill(members)  # the whole cluster crashes, as in a power cut
        elif k == "pause":
            m = self.leader() or rng.choice(members)
            m.pause()
            self.detail = "SIGSTOP %s" % m.name
        elif k == "restart":
            m = rng.choice(members)
            m.stop()
            m.start(c.initial_cluster(members), "existing")
            self.detail = "graceful restart of %s" % m.name
        elif k == "clock":
            m = rng.choice(members)
            seconds = rng.choice([30, -30, 300, -120, 86400])
            m.set_clock(seconds)
            self.detail = "%s's wall clock %+d s" % (m.name, seconds)
        elif k == "disk-error":
            m = rng.choice(members)
            kind = rng.choice(["sync", "write"])
            m.fail_disk(kind)
            self.may_crash = [m]  # stopping on a failed write or sync is correct
            self.detail = "%s: half of its %s calls on files fail with EIO" % (m.name, kind)
        elif k == "disk-stall":
            m = self.leader() or rng.choice(members)
            m.stall_disk(True)
            self.detail = "%s's fsync and fdatasync stall" % m.name
        elif k == "disk-full":
            m = rng.choice(members)
            m.fill_disk()
            self.may_crash = [m]
            self.detail = "%s's disk is full" % m.name
        elif k == "membership":
            self.change_membership()
        elif k == "wipe-rejoin":
            self.wipe_rejoin()
        else:
            raise ValueError("unknown fault " + k)

    def kill(self, victims):
        for m in victims:
            m.kill()
        self.detail = "kill -9 " + ",".join(m.name for m in victims)

    def change_membership(self):
        """With a network fault under way: a learner is added, caught up and
        promoted, then some other member is removed."""
        c = self.cluster
        c.wait_ready(30)
        members = list(c.members.values())
        if c.lab:
            for m in members:
                m.set_proxy({"delay_ms": 10, "jitter_ms": 50, "reset_per_s": 0.0})
        learner = c.add_learner()
        promoted = c.promote(learner)
        victim = self.rng.choice(members)
        if promoted:
            c.remove(victim)
        self.detail = "added %s as a learner, %s; removed %s" % (
            learner.name, "promoted" if promoted else "NOT promoted within 30 s", victim.name if promoted else "nobody")
        if not promoted:
            self.log("fault: learner %s did not catch up" % learner.name)

    def wipe_rejoin(self):
        """A member loses its disk: it is removed, and comes back empty as a
        new member (learner, then voter)."""
        c = self.cluster
        c.wait_ready(30)
        victim = self.rng.choice(list(c.members.values()))
        c.remove(victim)
        fresh = c.add_learner()
        promoted = c.promote(fresh)
        self.detail = "%s wiped and removed; rejoined as %s (%s)" % (
            victim.name, fresh.name, "promoted" if promoted else "NOT promoted within 30 s")

    def heal(self):
        c = self.cluster
        members = list(c.members.values())
        if c.lab:
            for m in members:
                c.lab.heal(m.i)
                m.set_proxy({"delay_ms": 0, "jitter_ms": 0, "reset_per_s": 0.0})
        for m in members:
            m.set_clock(0)
            m.stall_disk(False)
            m.fail_disk(None)
            m.free_disk()
            if m.alive():
                m.resume()
        return restart_dead(c, self.log, expected=self.may_crash)


def restart_dead(cluster, log, expected=()):
    """Restarts members that are down; reports the ones that died on their
    own (a crash is a finding unless the fault was meant to cause it)."""
    crashes = []
    members = list(cluster.members.values())
    for m in members:
        if m.alive():
            continue
        status = m.exit_status()
        if m.proc is not None:
            m.proc = None
            if m not in expected:
                crashes.append({"member": m.name, "status": status})
                log("CRASH: %s exited by itself with status %s (log %s)" % (m.name, status, m.log_path))
            else:
                log("fault: %s stopped with status %s, as it may under this fault" % (m.name, status))
        m.start(cluster.initial_cluster(members), "existing")
    return crashes


def schedule(rng, kinds, duration, fault_seconds=(3, 8), quiet_seconds=(1, 3)):
    """(offset, kind, length) tuples covering `duration`, every kind once
    before any repeats (shuffled rounds), and every kind at least once."""
    out, t, round_ = [], 1.0, []
    # Past `duration` only to finish the first round: every kind runs once.
    while t < duration or len(out) < len(kinds):
        if not round_:
            round_ = list(kinds)
            rng.shuffle(round_)
        kind = round_.pop()
        length = rng.uniform(*fault_seconds)
        out.append((t, kind, length))
        t += length + rng.uniform(*quiet_seconds)
    return out


def wait_until(deadline):
    while time.time() < deadline:
        time.sleep(min(0.1, max(0.0, deadline - time.time())))
