"""Append workload: Txn-based list appends and multi-key reads.

A list is a key whose value is space-separated elements. An append reads the
keys it extends, then commits one Txn guarded by their mod revisions; a
guard that fails is a definite non-effect. Reads are one Txn over several
keys, so they see one point of the total order. check_appends() then
verifies strict serializability for this shape of history."""

import bisect
import random

import grpc

from client import OP_TIMEOUT, Client, now

KEYS = ["list/%d" % i for i in range(4)]


class AppendClient(Client):
    def __init__(self, *args, rng_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.rng = random.Random(rng_seed)

    def step(self, channel):
        rpc_pb2, rpc_pb2_grpc = self.stubs()
        kv = rpc_pb2_grpc.KVStub(channel)
        keys = sorted(self.rng.sample(KEYS, self.rng.choice([1, 2, 2, 3])))
        ranges = [rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=k.encode())) for k in keys]
        if self.rng.random() < 0.5:
            op = {"type": "read", "client": self.cid, "keys": keys, "call": now()}
            try:
                r = kv.Txn(rpc_pb2.TxnRequest(success=ranges), timeout=OP_TIMEOUT)
            except grpc.RpcError as e:
                op.update(ret=now(), outcome="unknown", error=e.code().name)
                self.history.add(op)
                raise
            op["ret"], op["outcome"] = now(), "ok"
            op["values"] = {k: (resp.response_range.kvs[0].value.decode().split() if resp.response_range.kvs
                                else []) for k, resp in zip(keys, r.responses)}
            self.history.add(op)
            return
        element = "%d.%d" % (self.cid, self.seq + 1)
        self.seq += 1
        op = {"type": "append", "client": self.cid, "keys": keys, "element": element, "call": now()}
        sent = False  # until the guarded Txn goes out, a failure is a definite non-effect
        try:
            r = kv.Txn(rpc_pb2.TxnRequest(success=ranges), timeout=OP_TIMEOUT)
            compares, puts = [], []
            for k, resp in zip(keys, r.responses):
                found = resp.response_range.kvs
                old = found[0].value.decode() if found else ""
                compares.append(rpc_pb2.Compare(result=rpc_pb2.Compare.EQUAL, target=rpc_pb2.Compare.MOD,
                                                key=k.encode(), mod_revision=found[0].mod_revision if found else 0))
                value = (old + " " + element).strip()
                puts.append(rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=k.encode(), value=value.encode())))
            op["call"], sent = now(), True  # the append itself starts with the guarded Txn
            w = kv.Txn(rpc_pb2.TxnRequest(compare=compares, success=puts), timeout=OP_TIMEOUT)
        except grpc.RpcError as e:
            op.update(ret=now(), outcome="unknown" if sent else "fail", error=e.code().name)
            self.history.add(op)
            raise
        op["ret"], op["outcome"] = now(), "ok" if w.succeeded else "fail"
        self.history.add(op)


def check_appends(ops, final):
    """ops: every recorded op; final: {key: [elements]} read after healing.
    Returns a list of violation strings (empty when the history is fine)."""
    bad = []
    reads = [o for o in ops if o["type"] == "read" and o["outcome"] == "ok"]
    appends = [o for o in ops if o["type"] == "append"]
    by_element = {a["element"]: a for a in appends}

    # The final lists define each key's order; every read must be a prefix.
    position = {k: {e: n for n, e in enumerate(v)} for k, v in final.items()}
    for k, v in final.items():
        if len(set(v)) != len(v):
            bad.append("%s: duplicated element in the final list %s" % (k, v))
    for r in reads:
        for k, v in r["values"].items():
            whole = final.get(k, [])
            if v != whole[:len(v)]:
                n = next(i for i, (a, b) in enumerate(zip(v, whole + [None] * len(v))) if a != b)
                bad.append("read by client %d of %s saw %d elements, which part from the final list (%d) at "
                           "position %d: %s, not %s (no total order)" %
                           (r["client"], k, len(v), len(whole), n, v[n], whole[n] if n < len(whole) else "its end"))
    for a in appends:
        for k in a["keys"]:
            present = a["element"] in position.get(k, {})
            if a["outcome"] == "ok" and not present:
                bad.append("lost acknowledged append %s to %s" % (a["element"], k))
            if a["outcome"] == "fail" and present:
                bad.append("append %s to %s reported failed but is present" % (a["element"], k))
            if present and any(a["element"] not in position.get(k2, {}) for k2 in a["keys"]):
                bad.append("append %s is only partly applied over %s" % (a["element"], a["keys"]))
    for e in {e for v in final.values() for e in v}:
        if e not in by_element:
            bad.append("element %s was never appended" % e)

    # Atomicity as reads see it: an append's element is in all of the keys
    # it wrote that the read covered, or in none.
    for r in reads:
        seen = {}
        for k, v in r["values"].items():
            for e in v:
                seen.setdefault(e, set()).add(k)
        for e, ks in seen.items():
            a = by_element.get(e)
            if a and set(a["keys"]) & set(r["values"]) != ks:
                bad.append("read by client %d saw append %s in %s but not in all of %s" %
                           (r["client"], e, sorted(ks), sorted(set(a["keys"]) & set(r["values"]))))

    # Real time: anything that completed before an operation began is
    # visible to it (reads see earlier acknowledged appends and at least as
    # much as earlier reads; appends land after earlier appends).
    for k in final:
        done = []  # (ret, length that must be visible afterwards)
        for a in appends:
            if a["outcome"] == "ok" and k in a["keys"] and a["element"] in position[k]:
                done.append((a["ret"], position[k][a["element"]] + 1))
        for r in reads:
            if k in r["values"]:
                done.append((r["ret"], len(r["values"][k])))
        done.sort()
        rets = [d[0] for d in done]
        best, running = [], 0
        for _, need in done:
            running = max(running, need)
            best.append(running)

        def must_see(call):
            n = bisect.bisect_left(rets, call)
            return best[n - 1] if n else 0

        for r in reads:
            if k in r["values"] and len(r["values"][k]) < must_see(r["call"]):
                bad.append("stale read by client %d of %s: %d elements, but %d were visible before it began" %
                           (r["client"], k, len(r["values"][k]), must_see(r["call"])))
        for a in appends:
            if a["outcome"] == "ok" and k in a["keys"] and a["element"] in position[k]:
                if position[k][a["element"]] + 1 <= must_see(a["call"]):
                    bad.append("append %s to %s landed before operations that completed before it began" %
                               (a["element"], k))
    return bad
