"""Register workload: get, put and compare-and-set (a Txn) over a few keys.
Every operation's invocation, completion and outcome is recorded in the
shape cairn-check-history reads; a write that fails or times out has an
unknown outcome (it may have taken effect), a get that fails constrains
nothing and is dropped by the checker."""

import random

import grpc

from client import OP_TIMEOUT, Client, now

KEYS = ["reg/%d" % i for i in range(8)]


class RegisterClient(Client):
    def __init__(self, *args, rng_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.rng = random.Random(rng_seed)
        self.seen = {}  # key -> a value this client last read or wrote

    def step(self, channel):
        rpc_pb2, rpc_pb2_grpc = self.stubs()
        kv = rpc_pb2_grpc.KVStub(channel)
        key = self.rng.choice(KEYS)
        roll = self.rng.random()
        op = {"client": self.cid, "key": key, "call": now(), "node": self.address}
        try:
            if roll < 0.4:
                op["kind"] = "get"
                r = kv.Range(rpc_pb2.RangeRequest(key=key.encode()), timeout=OP_TIMEOUT)
                op["found"] = len(r.kvs) > 0
                op["output"] = r.kvs[0].value.decode() if r.kvs else ""
                if r.kvs:
                    self.seen[key] = op["output"]
            elif roll < 0.7 or key not in self.seen:
                op["kind"], op["value"] = "put", self.next_value()
                kv.Put(rpc_pb2.PutRequest(key=key.encode(), value=op["value"].encode()), timeout=OP_TIMEOUT)
                self.seen[key] = op["value"]
            else:
                op["kind"], op["value"], op["expected"] = "cas", self.next_value(), self.seen[key]
                cmp = rpc_pb2.Compare(result=rpc_pb2.Compare.EQUAL, target=rpc_pb2.Compare.VALUE,
                                      key=key.encode(), value=op["expected"].encode())
                put = rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key.encode(),
                                                                        value=op["value"].encode()))
                r = kv.Txn(rpc_pb2.TxnRequest(compare=[cmp], success=[put]), timeout=OP_TIMEOUT)
                op["cas_ok"] = r.succeeded
                if r.succeeded:
                    self.seen[key] = op["value"]
            op["ret"], op["known"] = now(), True
            self.history.add(op)
        except grpc.RpcError as e:
            op["ret"], op["known"], op["error"] = now(), False, e.code().name
            self.history.add(op)
            raise
