"""Watch workload: writers put under a prefix; watchers stream the prefix
from revision 1 and, whenever a stream breaks, resume on another member
from the revision after the last one they saw. Afterwards every watcher's
events must equal the store's history of the prefix, each revision exactly
once and in order."""

import queue
import threading
import time

import grpc

from client import OP_TIMEOUT, Client, now

PREFIX = b"watch/"
PREFIX_END = b"watch0"


class WatchWriter(Client):
    def step(self, channel):
        rpc_pb2, rpc_pb2_grpc = self.stubs()
        key = PREFIX + b"%d" % (self.seq % 16)
        value = self.next_value()
        op = {"type": "put", "client": self.cid, "call": now()}
        try:
            rpc_pb2_grpc.KVStub(channel).Put(rpc_pb2.PutRequest(key=key, value=value.encode()), timeout=OP_TIMEOUT)
            op.update(ret=now(), outcome="ok")
        except grpc.RpcError as e:
            op.update(ret=now(), outcome="unknown", error=e.code().name)
            raise
        finally:
            self.history.add(op)


def stream_events(address, key, range_end, start_revision, stop, on_event, idle_limit=None):
    """Streams [key, range_end) from `start_revision` until stop is set, the stream
    breaks (raises grpc.RpcError or returns), or no event came for
    idle_limit seconds. Calls on_event(revision, key, value, type)."""
    from etcd.etcdserverpb import rpc_pb2, rpc_pb2_grpc
    requests = queue.Queue()
    requests.put(rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(
        key=key, range_end=range_end, start_revision=start_revision, progress_notify=True)))

    def request_iter():
        while True:
            r = requests.get()
            if r is None:
                return
            yield r

    with grpc.insecure_channel(address) as ch:
        responses = rpc_pb2_grpc.WatchStub(ch).Watch(request_iter())
        stopper = threading.Thread(target=lambda: (stop.wait(), responses.cancel()), daemon=True)
        stopper.start()
        last = time.monotonic()
        try:
            for resp in responses:
                if resp.canceled or resp.compact_revision:
                    return "canceled: %s (compact revision %d)" % (resp.cancel_reason, resp.compact_revision)
                for ev in resp.events:
                    on_event(ev.kv.mod_revision, ev.kv.key.decode(), ev.kv.value.decode(), ev.type)
                    last = time.monotonic()
                if idle_limit and time.monotonic() - last > idle_limit:
                    return "idle"
                if stop.is_set():
                    return "stopped"
        except grpc.RpcError:
            if stop.is_set():
                return "stopped"  # our own cancel
            raise
        finally:
            requests.put(None)
            responses.cancel()
    return "ended"


class Watcher(threading.Thread):
    def __init__(self, ident, cluster, stop):
        super().__init__(daemon=True, name="watcher-%d" % ident)
        self.cid, self.cluster, self.stop = ident, cluster, stop
        self.events = []  # (revision, key, value, type)
        self.reconnects = 0
        self.problems = []
        self.lock = threading.Lock()

    def last_revision(self):
        with self.lock:
            return self.events[-1][0] if self.events else 0

    def on_event(self, revision, key, value, kind):
        with self.lock:
            self.events.append((revision, key, value, kind))

    def run(self):
        target = self.cid
        while not self.stop.is_set():
            addrs = self.cluster.addresses()
            if not addrs:
                time.sleep(0.2)
                continue
            address = addrs[sorted(addrs)[target % len(addrs)]]
            try:
                why = stream_events(address, PREFIX, PREFIX_END, self.last_revision() + 1, self.stop, self.on_event)
                if why.startswith("canceled"):
                    self.problems.append(why)
            except grpc.RpcError:
                pass
            if not self.stop.is_set():
                self.reconnects += 1
                target += 1
                self.stop.wait(0.2)


def history_of(cluster, key, range_end, quiet=2.0, seconds=30):
    """Every event on [key, range_end) from revision 1, read on a healthy
    cluster: streams until no event has come for `quiet` seconds."""
    deadline = time.time() + seconds
    for address in list(cluster.addresses().values()) * 3:
        events, stop, last = [], threading.Event(), [time.monotonic()]

        def collect(revision, k, value, kind):
            events.append((revision, k, value, kind))
            last[0] = time.monotonic()

        def watchdog():
            while not stop.is_set():
                if time.monotonic() - last[0] > quiet or time.time() > deadline:
                    stop.set()
                time.sleep(0.05)

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            if stream_events(address, key, range_end, 1, stop, collect) == "stopped":
                return events
        except grpc.RpcError:
            pass
        stop.set()
        if time.time() > deadline:
            break
    raise RuntimeError("could not read the history of %r" % key)


def check_watchers(watchers, reference):
    """reference: the store's events for the prefix from revision 1, read
    after healing. Returns violation strings."""
    bad = []
    for w in watchers:
        got = list(w.events)
        if got != reference[:len(got)]:
            n = next(i for i, (a, b) in enumerate(zip(got + [None], reference + [None])) if a != b)
            bad.append("watcher %d diverges at event %d: saw %s, the store has %s" %
                       (w.cid, n, got[n] if n < len(got) else "nothing", reference[n] if n < len(reference) else "nothing"))
        elif len(got) < len(reference):
            bad.append("watcher %d stopped at revision %d of %d after healing (%d of %d events)" %
                       (w.cid, got[-1][0] if got else 0, reference[-1][0], len(got), len(reference)))
        bad += ["watcher %d: %s" % (w.cid, p) for p in w.problems]
    return bad
