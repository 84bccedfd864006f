"""Network namespaces for the chaos harness.

Every member runs in its own namespace with one veth into a bridge namespace;
the harness reaches members from the root namespace through one more veth.
Faults act on real traffic: iptables in a member's namespace (INPUT only),
and a TCP proxy in each member's namespace that all peer connections pass
through (iptables REDIRECT on OUTPUT), which can delay, jitter and reset
them. Nothing outside the namespaces created here is ever touched.
"""

import os
import subprocess

PEER_PORT = 2380
CLIENT_PORT = 2379
PROXY_PORT = 2390
# The proxy marks its own outgoing connections so that REDIRECT skips them.
PROXY_MARK = 0x7C
HOST_OCTET = 100


def sh(*args, check=True):
    """Runs a command; raises with its stderr when check and it fails."""
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r


def netns_available():
    """True when this process may create network namespaces (root, and the
    kernel allows it); the harness falls back to loopback otherwise."""
    if os.geteuid() != 0:
        return False
    name = "czprobe%d" % os.getpid()
    if sh("ip", "netns", "add", name, check=False).returncode != 0:
        return False
    ok = sh("ip", "netns", "exec", name, "iptables", "-L", "INPUT", "-n", check=False).returncode == 0
    sh("ip", "netns", "del", name, check=False)
    return ok


class Lab:
    """The namespaces of one run. Member i (1..) gets 10.213.<subnet>.i."""

    def __init__(self, tag):
        self.tag = tag  # 2-3 characters, keeps interface names under 15
        self.subnet = 20 + (int(tag, 16) % 200)
        self.bridge_ns = "cz%sbr" % tag
        self.members = set()
        self.created = False

    def ns(self, i):
        return "cz%sn%d" % (self.tag, i)

    def ip(self, i):
        return "10.213.%d.%d" % (self.subnet, i)

    def host_ip(self):
        return self.ip(HOST_OCTET)

    def in_ns(self, i, *args, check=True):
        return sh("ip", "netns", "exec", self.ns(i), *args, check=check)

    def create(self):
        self.destroy()  # a previous run with the same tag that died
        b = self.bridge_ns
        sh("ip", "netns", "add", b)
        sh("ip", "netns", "exec", b, "ip", "link", "add", "br0", "type", "bridge")
        sh("ip", "netns", "exec", b, "ip", "link", "set", "br0", "up")
        # The harness's side: root namespace <-> bridge.
        host_if, host_peer = "cz%sh" % self.tag, "v%sh" % self.tag
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", host_peer, "netns", b)
        sh("ip", "addr", "add", self.host_ip() + "/24", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", b, "ip", "link", "set", host_peer, "master", "br0", "up")
        self.created = True

    def add_member(self, i):
        if i in self.members:
            return
        n, b = self.ns(i), self.bridge_ns
        peer = "v%s%d" % (self.tag, i)
        sh("ip", "netns", "add", n)
        sh("ip", "netns", "exec", n, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", "eth0", "netns", n, "type", "veth", "peer", "name", peer, "netns", b)
        sh("ip", "netns", "exec", n, "ip", "addr", "add", self.ip(i) + "/24", "dev", "eth0")
        sh("ip", "netns", "exec", n, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", b, "ip", "link", "set", peer, "master", "br0", "up")
        # Fault rules live in one chain per member, flushed to heal.
        self.in_ns(i, "iptables", "-N", "CHAOS")
        self.in_ns(i, "iptables", "-A", "INPUT", "-j", "CHAOS")
        # Every peer connection this member opens goes through its proxy.
        self.in_ns(i, "iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d",
                   "10.213.%d.0/24" % self.subnet, "--dport", str(PEER_PORT), "-m", "mark",
                   "!", "--mark", str(PROXY_MARK), "-j", "REDIRECT", "--to-ports", str(PROXY_PORT))
        self.members.add(i)

    def drop_from(self, i, sources, probability=None):
        """Member i drops packets arriving from `sources` (member numbers)."""
        for s in sources:
            args = ["iptables", "-A", "CHAOS", "-s", self.ip(s)]
            if probability is not None:
                args += ["-m", "statistic", "--mode", "random", "--probability", "%.3f" % probability]
            self.in_ns(i, *(args + ["-j", "DROP"]))

    def heal(self, i):
        self.in_ns(i, "iptables", "-F", "CHAOS", check=False)

    def destroy(self):
        listed = sh("ip", "netns", "list", check=False).stdout.split()
        prefix = "cz%s" % self.tag
        for name in listed:
            if name.startswith(prefix):
                sh("ip", "netns", "del", name, check=False)
        sh("ip", "link", "del", "cz%sh" % self.tag, check=False)
        self.members.clear()
        self.created = False
