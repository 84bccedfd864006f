"""What every workload client shares: a member to talk to (moving on to the
next when one fails), the history it records, and a pace."""

import threading
import time

import grpc

OP_TIMEOUT = 1.5  # seconds; a write that runs out is recorded as unknown


def now():
    return time.monotonic_ns()


class History:
    """Thread-safe list of operation records (dicts)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = []

    def add(self, op):
        with self.lock:
            self.ops.append(op)

    def snapshot(self):
        with self.lock:
            return list(self.ops)


class Client(threading.Thread):
    """One thread, one member at a time. Subclasses implement step()."""

    def __init__(self, ident, cluster, history, stop, pace):
        super().__init__(daemon=True, name="client-%d" % ident)
        self.cid = ident
        self.cluster = cluster
        self.history = history
        self.stop = stop
        self.pace = pace  # seconds between operations
        self.target = ident
        self.channel = None
        self.address = None
        self.seq = 0
        self.harness_errors = []

    def stubs(self):
        from etcd.etcdserverpb import rpc_pb2, rpc_pb2_grpc
        return rpc_pb2, rpc_pb2_grpc

    def connect(self):
        addrs = self.cluster.addresses()
        keys = sorted(addrs)
        if not keys:
            return None
        pick = keys[self.target % len(keys)]
        if self.address != addrs[pick]:
            if self.channel is not None:
                self.channel.close()
            self.address = addrs[pick]
            self.channel = grpc.insecure_channel(self.address)
        return self.channel

    def move_on(self):
        """After a failure: the next member, on a fresh connection."""
        self.target += 1
        if self.channel is not None:
            self.channel.close()
        self.channel, self.address = None, None

    def next_value(self):
        self.seq += 1
        return "c%d-%d" % (self.cid, self.seq)

    def run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                ch = self.connect()
                if ch is None:
                    time.sleep(0.1)
                    continue
                self.step(ch)
            except grpc.RpcError:
                self.move_on()
            except Exception as e:  # a harness bug: keep going, but report it
                self.harness_errors.append("%s: %r" % (self.name, e))
                self.move_on()
            rest = self.pace - (time.monotonic() - start)
            if rest > 0:
                self.stop.wait(rest)
        if self.channel is not None:
            self.channel.close()

    def step(self, channel):
        raise NotImplementedError
