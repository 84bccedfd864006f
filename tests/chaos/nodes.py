"""Cairn member processes for the chaos harness: each on its own small ext4
filesystem (a loop device, so a disk can fill up and be wiped), optionally in
its own network namespace, under the harness's preload: disk_fault_shim.cc
(fsyncs that stall, writes and syncs that fail, on demand) and clock_shim.cc
(a wall clock that can be skewed and jumped)."""

import os
import signal
import subprocess
import time

from netlab import CLIENT_PORT, PEER_PORT, PROXY_MARK, PROXY_PORT, sh

DISK_MB = 768  # a sparse image: room for a few 64 MiB WAL segments and snapshots
HERE = os.path.dirname(os.path.abspath(__file__))


class Member:
    def __init__(self, cluster, i):
        self.cluster, self.i = cluster, i
        self.name = "n%d" % i
        self.dir = os.path.join(cluster.work, self.name)
        self.image = os.path.join(cluster.work, "disks", self.name + ".img")
        self.clock_file = os.path.join(cluster.work, self.name + ".clock")
        self.stall_file = os.path.join(cluster.work, self.name + ".stall")
        self.fail_file = os.path.join(cluster.work, self.name + ".fail")
        self.proxy_control = os.path.join(cluster.work, self.name + ".proxy.json")
        self.log_path = os.path.join(cluster.work, self.name + ".log")
        self.proc = None
        self.proxy = None
        self.paused = False
        self.member_id = None  # set once the cluster knows it

    # --- addresses -------------------------------------------------------
    def client_addr(self):
        c = self.cluster
        return "%s:%d" % (c.lab.ip(self.i), CLIENT_PORT) if c.lab else "127.0.0.1:%d" % (c.base + 10 * self.i)

    def peer_url(self):
        c = self.cluster
        if c.lab:
            return "http://%s:%d" % (c.lab.ip(self.i), PEER_PORT)
        return "http://127.0.0.1:%d" % (c.base + 10 * self.i + 1)

    # --- disk ------------------------------------------------------------
    def make_disk(self):
        os.makedirs(os.path.dirname(self.image), exist_ok=True)
        os.makedirs(self.dir, exist_ok=True)
        if not self.cluster.own_disks:
            return  # not root: a plain folder, and no disk-full fault
        self.unmount()
        if os.path.exists(self.image):
            os.remove(self.image)
        sh("truncate", "-s", "%dM" % DISK_MB, self.image)
        sh("mkfs.ext4", "-q", "-F", self.image)
        sh("mount", "-o", "loop", self.image, self.dir)

    def unmount(self):
        if os.path.ismount(self.dir):
            sh("umount", "-l", self.dir, check=False)

    def fill_disk(self):
        """Leaves almost no free space: the filler file is removed to heal."""
        filler = os.path.join(self.dir, "chaos-filler")
        st = os.statvfs(self.dir)
        free = st.f_bavail * st.f_frsize
        sh("fallocate", "-l", str(max(free - 64 * 1024, 4096)), filler, check=False)

    def free_disk(self):
        try:
            os.remove(os.path.join(self.dir, "chaos-filler"))
        except OSError:
            pass

    # --- process ---------------------------------------------------------
    def command(self, initial_cluster, state):
        c = self.cluster
        client = "http://" + self.client_addr()
        cmd = [c.binary, "--name", self.name, "--data-dir", os.path.join(self.dir, "data"),
               "--listen-client-urls", client, "--advertise-client-urls", client,
               "--listen-peer-urls", self.peer_url(), "--initial-advertise-peer-urls", self.peer_url(),
               "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
               "--initial-cluster-token", "chaos", "--heartbeat-interval", "100",
               "--election-timeout", "1000",
               # Snapshots every few seconds under the workloads, so that
               # catching up by snapshot happens in every run; the log kept
               # behind one (etcd's default) lets a member that has just
               # installed one catch up from the log. With 100 kept (and 500
               # between snapshots) a member restarted under load never
               # caught up: each snapshot was stale once installed.
               "--snapshot-count", "2000", "--experimental-snapshot-catchup-entries", "5000"]
        if c.planted_bug != "none":
            cmd += ["--unsafe-planted-bug", c.planted_bug]
        # `env` rather than Popen's env: the preloads must reach cairn only,
        # not `ip` (exec keeps the pid, so signals still reach cairn).
        cmd = ["env"] + self.environment() + cmd
        if c.lab:
            cmd = ["ip", "netns", "exec", c.lab.ns(self.i)] + cmd
        return cmd

    def environment(self):
        env = {}
        preload = []
        if self.cluster.fault_shim:
            preload.append(self.cluster.fault_shim)
            env["CAIRN_CHAOS_STALL_FILE"] = self.stall_file
            env["CAIRN_CHAOS_FAIL_FILE"] = self.fail_file
            env["CAIRN_CHAOS_CLOCK_FILE"] = self.clock_file
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return ["%s=%s" % kv for kv in sorted(env.items())]

    def set_clock(self, seconds):
        """The member's wall clock runs `seconds` ahead (behind if negative)
        of the machine's (clock_shim.cc)."""
        with open(self.clock_file + ".tmp", "w") as f:
            f.write("%d\n" % seconds)
        os.replace(self.clock_file + ".tmp", self.clock_file)

    def start(self, initial_cluster, state="new"):
        assert self.proc is None
        self.start_proxy()
        log = open(self.log_path, "a")
        log.write("=== chaos: start %s (%s) at %.3f\n" % (self.name, state, time.time()))
        log.flush()
        self.proc = subprocess.Popen(self.command(initial_cluster, state), stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        self.paused = False

    def start_proxy(self):
        c = self.cluster
        if not c.lab or (self.proxy and self.proxy.poll() is None):
            return
        self.set_proxy({"delay_ms": 0, "jitter_ms": 0, "reset_per_s": 0.0})
        self.proxy = subprocess.Popen(
            ["ip", "netns", "exec", c.lab.ns(self.i), c.python, os.path.join(HERE, "proxy.py"),
             str(PROXY_PORT), str(PROXY_MARK), self.proxy_control],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path + ".proxy", "a"))

    def set_proxy(self, settings):
        import json
        with open(self.proxy_control + ".tmp", "w") as f:
            json.dump(settings, f)
        os.replace(self.proxy_control + ".tmp", self.proxy_control)

    def stall_disk(self, on):
        """While on, the member's fsync and fdatasync wait (disk_fault_shim.cc)."""
        if on:
            open(self.stall_file, "w").close()
        elif os.path.exists(self.stall_file):
            os.remove(self.stall_file)

    def fail_disk(self, kind):
        """Half of the member's "sync" or "write" calls on files fail with
        EIO (disk_fault_shim.cc); None heals."""
        if kind:
            with open(self.fail_file, "w") as f:
                f.write(kind)
        elif os.path.exists(self.fail_file):
            os.remove(self.fail_file)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def pause(self):
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.signal(signal.SIGCONT)
        self.paused = False

    def kill(self):
        if self.proc is None:
            return
        self.resume()
        self.signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self, timeout=10):
        """Graceful: SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.proc is None:
            return
        self.resume()
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def exit_status(self):
        """None while running; the exit code (negative: signal) once dead."""
        return None if self.proc is None else self.proc.poll()

    def shutdown(self):
        self.kill()
        if self.proxy is not None:
            self.proxy.kill()
            self.proxy.wait()
            self.proxy = None
