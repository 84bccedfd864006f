"""Lock workload: clients take etcd's lock (the v3lock service, under a
lease), and use the lock key's create revision as a fencing token for a
register that only accepts a write whose token is at least the last one
accepted (a Txn compare). A lease can expire while its holder is paused or
cut off, so two clients may both believe they hold the lock; the fence must
still reject the stale one. Checked: accepted writes carry non-decreasing
tokens, in the store's order and in real time."""

import random

import grpc

from client import OP_TIMEOUT, Client, now

LOCK_NAME = b"chaos-lock"
FENCE = b"fenced/token"
DATA = b"fenced/data"
TOKEN_DIGITS = 20


def token_bytes(token):
    return b"%0*d" % (TOKEN_DIGITS, token)


class LockClient(Client):
    def __init__(self, *args, rng_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.rng = random.Random(rng_seed)

    def step(self, channel):
        from etcd.v3lockpb import v3lock_pb2, v3lock_pb2_grpc
        rpc_pb2, rpc_pb2_grpc = self.stubs()
        lease = rpc_pb2_grpc.LeaseStub(channel).LeaseGrant(rpc_pb2.LeaseGrantRequest(TTL=3), timeout=OP_TIMEOUT)
        locker = v3lock_pb2_grpc.LockStub(channel)
        held = locker.Lock(v3lock_pb2.LockRequest(name=LOCK_NAME, lease=lease.ID), timeout=5)
        kv = rpc_pb2_grpc.KVStub(channel)
        mine = kv.Range(rpc_pb2.RangeRequest(key=held.key), timeout=OP_TIMEOUT)
        if not mine.kvs:
            return  # the lease expired already
        token = mine.kvs[0].create_revision
        self.stop.wait(self.rng.uniform(0, 0.2))  # work while holding the lock
        value = self.next_value()
        op = {"type": "fenced-write", "client": self.cid, "token": token, "value": value, "call": now()}
        cmp = rpc_pb2.Compare(result=rpc_pb2.Compare.LESS, target=rpc_pb2.Compare.VALUE, key=FENCE,
                              value=token_bytes(token + 1))
        writes = [rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=FENCE, value=token_bytes(token))),
                  rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=DATA, value=b"%d %s" % (token, value.encode())))]
        try:
            r = kv.Txn(rpc_pb2.TxnRequest(compare=[cmp], success=writes), timeout=OP_TIMEOUT)
            op.update(ret=now(), outcome="ok" if r.succeeded else "rejected")
        except grpc.RpcError as e:
            op.update(ret=now(), outcome="unknown", error=e.code().name)
            raise
        finally:
            self.history.add(op)
        try:
            locker.Unlock(v3lock_pb2.UnlockRequest(key=held.key), timeout=OP_TIMEOUT)
            rpc_pb2_grpc.LeaseStub(channel).LeaseRevoke(rpc_pb2.LeaseRevokeRequest(ID=lease.ID), timeout=OP_TIMEOUT)
        except grpc.RpcError:
            pass  # the lease runs out by itself


def initialise(cluster):
    from etcd.etcdserverpb import rpc_pb2
    cluster.any_call("KV", "Put", rpc_pb2.PutRequest(key=FENCE, value=token_bytes(0)))


def check_locks(ops, accepted_tokens):
    """accepted_tokens: the fence's values in revision order, from the store."""
    bad = []
    for a, b in zip(accepted_tokens, accepted_tokens[1:]):
        if b < a:
            bad.append("the fence accepted token %d after token %d" % (b, a))
    writes = sorted((o for o in ops if o["type"] == "fenced-write" and o["outcome"] == "ok"), key=lambda o: o["ret"])
    best = 0
    done = sorted(writes, key=lambda o: o["ret"])
    for w in sorted(writes, key=lambda o: o["call"]):
        # tokens acknowledged before this write began
        while done and done[0]["ret"] < w["call"]:
            best = max(best, done.pop(0)["token"])
        if w["token"] < best:
            bad.append("client %d's write with stale token %d was accepted after token %d had been" %
                       (w["client"], w["token"], best))
    stored = set(accepted_tokens)
    for w in writes:
        if w["token"] not in stored:
            bad.append("acknowledged fenced write with token %d is missing from the store's history" % w["token"])
    return bad
