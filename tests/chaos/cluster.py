"""A Cairn cluster under test: its members, their namespaces and disks, and
the membership changes the faults make (learner added, promoted, removed; a
wiped member rejoining as a new one)."""

import os
import sys
import time

import grpc

from netlab import Lab, sh
from nodes import Member

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")


def load_stubs(out_dir):
    """Generates Python stubs for etcd's API from the repository's protos
    (python3-etcd3's own copies predate learners and the lock service)."""
    os.makedirs(out_dir, exist_ok=True)
    protos = ["etcd/etcdserverpb/rpc.proto", "etcd/mvccpb/kv.proto", "etcd/authpb/auth.proto",
              "etcd/v3lockpb/v3lock.proto"]
    sh("protoc", "-I", PROTO_DIR, "--python_out=" + out_dir, "--grpc_out=" + out_dir,
       "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", *protos)
    sys.path.insert(0, out_dir)


def rpc():
    from etcd.etcdserverpb import rpc_pb2, rpc_pb2_grpc
    return rpc_pb2, rpc_pb2_grpc


class Cluster:
    def __init__(self, binary, work, use_netns, planted_bug="none", base_port=0, log=print, fault_shim=None):
        self.binary, self.work = binary, work
        self.fault_shim = fault_shim
        self.planted_bug = planted_bug
        self.python = sys.executable
        self.lab = Lab("%02x" % (os.getpid() % 251)) if use_netns else None
        self.base = base_port
        # Each member's own small filesystem needs root (mount -o loop).
        self.own_disks = os.geteuid() == 0
        self.members = {}  # i -> Member, every member started so far (removed ones dropped)
        self.next_index = 1
        self.log = log

    def addresses(self):
        return {i: m.client_addr() for i, m in self.members.items()}

    def initial_cluster(self, members):
        return ",".join("%s=%s" % (m.name, m.peer_url()) for m in members)

    def start(self, n):
        if self.lab:
            self.lab.create()
        created = []
        for _ in range(n):
            created.append(self.new_member())
        initial = self.initial_cluster(created)
        for m in created:
            m.start(initial, "new")
        self.wait_ready(60)

    def new_member(self):
        i = self.next_index
        self.next_index += 1
        if self.lab:
            self.lab.add_member(i)
        m = Member(self, i)
        m.make_disk()
        self.members[i] = m
        return m

    def channel(self, i):
        return grpc.insecure_channel(self.members[i].client_addr())

    def call(self, i, service, method, request, timeout=2.0):
        rpc_pb2, rpc_pb2_grpc = rpc()
        with self.channel(i) as ch:
            stub = getattr(rpc_pb2_grpc, service + "Stub")(ch)
            return getattr(stub, method)(request, timeout=timeout)

    def any_call(self, service, method, request, timeout=2.0):
        """The first member that answers; raises the last error if none."""
        last = None
        for i in list(self.members):
            if not self.members[i].alive():
                continue
            try:
                return self.call(i, service, method, request, timeout)
            except grpc.RpcError as e:
                last = e
        raise last or RuntimeError("no member running")

    def wait_ready(self, seconds, majority_only=False):
        """Until a linearizable read succeeds on every running member (or on
        a majority of them)."""
        rpc_pb2, _ = rpc()
        deadline = time.time() + seconds
        pending = {i for i, m in self.members.items() if m.alive()}
        allowed = (len(pending) - 1) // 2 if majority_only else 0
        while len(pending) > allowed and time.time() < deadline:
            for i in list(pending):
                try:
                    self.call(i, "KV", "Range", rpc_pb2.RangeRequest(key=b"chaos-ready"), 1.0)
                    pending.discard(i)
                except grpc.RpcError:
                    pass
            time.sleep(0.2)
        if len(pending) > allowed:
            raise RuntimeError("members %s not ready within %ds" % (sorted(pending), seconds))

    def member_list(self):
        rpc_pb2, _ = rpc()
        return self.any_call("Cluster", "MemberList", rpc_pb2.MemberListRequest()).members

    def member_id(self, m):
        for x in self.member_list():
            if x.name == m.name or m.peer_url() in x.peerURLs:
                return x.ID
        return None

    def change(self, method, request, done, exclude=None, seconds=20):
        """A membership change, asked of members other than `exclude` until
        done() says it took effect: a call that timed out may have taken
        effect, and asking again would then be refused."""
        deadline = time.time() + seconds
        last = None
        while time.time() < deadline:
            for i, m in list(self.members.items()):
                if m is exclude or not m.alive():
                    continue
                try:
                    self.call(i, "Cluster", method, request, timeout=5)
                    return
                except grpc.RpcError as e:
                    last = e
                try:
                    if done():
                        return
                except grpc.RpcError:
                    pass
            time.sleep(0.5)
        raise last or RuntimeError("%s: no member to ask" % method)

    def add_learner(self):
        """A new member joins as a learner; returns it once it runs."""
        rpc_pb2, _ = rpc()
        m = self.new_member()
        try:
            self.change("MemberAdd", rpc_pb2.MemberAddRequest(peerURLs=[m.peer_url()], isLearner=True),
                        lambda: self.member_id(m) is not None, exclude=m)
        except Exception:
            m.shutdown()
            m.unmount()
            del self.members[m.i]
            raise
        m.start(self.initial_cluster(self.members.values()), "existing")
        return m

    def promote(self, m, seconds=30):
        """Retries MemberPromote until the learner has caught up."""
        rpc_pb2, _ = rpc()
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if not any(x.ID == self.member_id(m) and x.isLearner for x in self.member_list()):
                    return True
                self.any_call("Cluster", "MemberPromote", rpc_pb2.MemberPromoteRequest(ID=self.member_id(m)),
                              timeout=5)
                return True
            except grpc.RpcError:
                time.sleep(0.5)
        return False

    def remove(self, m):
        rpc_pb2, _ = rpc()
        mid = self.member_id(m)
        if mid is not None:
            self.change("MemberRemove", rpc_pb2.MemberRemoveRequest(ID=mid), lambda: self.member_id(m) is None,
                        exclude=m)
        m.shutdown()
        m.unmount()
        del self.members[m.i]

    def shutdown(self):
        for m in self.members.values():
            m.shutdown()
            m.unmount()
        if self.lab:
            self.lab.destroy()
