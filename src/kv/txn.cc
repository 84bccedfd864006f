#include "kv/txn.h"

#include <vector>

#include "kv/errors.h"
#include "kv/key_value.h"
#include "kv/lease_table.h"
#include "kv/mvcc_key.h"

namespace cairn::kv {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;
using google::protobuf::RepeatedPtrField;

int Sign(int64_t a, int64_t b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool CompareKv(const Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case Compare::VALUE: {
      // An unset union compares against the empty value, as in etcd.
      const std::string& want = c.target_union_case() == Compare::kValue ? c.value() : "";
      const int r = kv.value().compare(want);
      result = r < 0 ? -1 : (r > 0 ? 1 : 0);
      break;
    }
    case Compare::CREATE:
      result = Sign(kv.create_revision(),
                    c.target_union_case() == Compare::kCreateRevision ? c.create_revision() : 0);
      break;
    case Compare::MOD:
      result = Sign(kv.mod_revision(),
                    c.target_union_case() == Compare::kModRevision ? c.mod_revision() : 0);
      break;
    case Compare::VERSION:
      result = Sign(kv.version(), c.target_union_case() == Compare::kVersion ? c.version() : 0);
      break;
    case Compare::LEASE:
      result = Sign(kv.lease(), c.target_union_case() == Compare::kLease ? c.lease() : 0);
      break;
    default:
      break;  // etcd: an unknown target compares as equal
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;  // etcd: an unknown result holds
  }
}

const RepeatedPtrField<RequestOp>& Branch(const TxnRequest& req, bool succeeded) {
  return succeeded ? req.success() : req.failure();
}

// etcd's txnPath: whether each txn (this one, then the nested txns of the
// chosen branch, depth first) took its success branch.
Status ComparePath(RawReader* reader, int64_t revision, const TxnRequest& req,
                   std::vector<bool>* path) {
  bool ok = true;
  for (const Compare& c : req.compare()) {
    Result<bool> r = EvaluateCompare(reader, revision, c);
    if (!r.ok()) return r.status();
    if (!*r) {
      ok = false;
      break;
    }
  }
  path->push_back(ok);
  for (const RequestOp& op : Branch(req, ok)) {
    if (op.request_case() != RequestOp::kRequestTxn) continue;
    if (Status s = ComparePath(reader, revision, op.request_txn(), path); !s.ok()) return s;
  }
  return Status::Ok();
}

// Visits the operations the path chooses, nested txns included.
template <typename F>
Status ForChosenOps(const TxnRequest& req, const std::vector<bool>& path, size_t* pos, F&& f) {
  const bool ok = path[(*pos)++];
  for (const RequestOp& op : Branch(req, ok)) {
    if (op.request_case() == RequestOp::kRequestTxn) {
      if (Status s = ForChosenOps(op.request_txn(), path, pos, f); !s.ok()) return s;
      continue;
    }
    if (Status s = f(op); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ApplyChosen(Writer* w, const TxnRequest& req, const std::vector<bool>& path, size_t* pos,
                   TxnResponse* resp) {
  const bool ok = path[(*pos)++];
  resp->set_succeeded(ok);
  for (const RequestOp& op : Branch(req, ok)) {
    etcdserverpb::ResponseOp* out = resp->add_responses();
    switch (op.request_case()) {
      case RequestOp::kRequestRange: {
        auto r = w->Range(op.request_range());
        if (!r.ok()) return r.status();
        *out->mutable_response_range() = std::move(*r);
        break;
      }
      case RequestOp::kRequestPut: {
        auto r = w->Put(op.request_put());
        if (!r.ok()) return r.status();
        *out->mutable_response_put() = std::move(*r);
        break;
      }
      case RequestOp::kRequestDeleteRange: {
        auto r = w->DeleteRange(op.request_delete_range());
        if (!r.ok()) return r.status();
        *out->mutable_response_delete_range() = std::move(*r);
        break;
      }
      case RequestOp::kRequestTxn: {
        // etcd leaves a nested txn's header without a revision.
        TxnResponse* nested = out->mutable_response_txn();
        nested->mutable_header();
        if (Status s = ApplyChosen(w, op.request_txn(), path, pos, nested); !s.ok()) return s;
        break;
      }
      case RequestOp::REQUEST_NOT_SET:
        break;
    }
  }
  return Status::Ok();
}

bool OpsReadOnly(const RepeatedPtrField<RequestOp>& ops) {
  for (const RequestOp& op : ops) {
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        break;
      case RequestOp::kRequestTxn:
        if (!IsReadOnlyTxn(op.request_txn())) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

bool IsReadOnlyTxn(const TxnRequest& req) {
  return OpsReadOnly(req.success()) && OpsReadOnly(req.failure());
}

Result<bool> EvaluateCompare(RawReader* reader, int64_t revision, const Compare& c) {
  if (c.range_end().empty() && revision == kMaxRevision) {
    Result<std::optional<mvccpb::KeyValue>> kv = GetLatest(reader, c.key());
    if (!kv.ok()) return kv.status();
    if (kv->has_value()) return CompareKv(c, **kv);
    if (c.target() == Compare::VALUE) return false;
    return CompareKv(c, mvccpb::KeyValue());
  }
  bool any = false;
  bool holds = true;
  Status decode;
  Status scan = ScanLive(reader, MakeKeyRange(c.key(), c.range_end()), revision,
                         [&](Slice raw_key, int64_t rev, Slice raw_value) {
                           any = true;
                           mvccpb::KeyValue kv;
                           decode = DecodeKeyValue(raw_key, rev, raw_value,
                                                   c.target() == Compare::VALUE, &kv);
                           if (!decode.ok()) return false;
                           holds = CompareKv(c, kv);
                           return holds;
                         });
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;
  if (any) return holds;
  // No key: a value compare fails (a missing value is not the empty one);
  // the others compare against zeros.
  if (c.target() == Compare::VALUE) return false;
  return CompareKv(c, mvccpb::KeyValue());
}

Result<TxnResponse> ApplyTxn(Writer* w, const TxnRequest& req) {
  RawReader* reader = w->reader();
  const int64_t begin = w->begin_revision();
  std::vector<bool> path;
  if (Status s = ComparePath(reader, kMaxRevision, req, &path); !s.ok()) return s;

  // Every check before any write, so a failing txn writes nothing.
  size_t pos = 0;
  if (!IsReadOnlyTxn(req)) {
    Status s = ForChosenOps(req, path, &pos, [&](const RequestOp& op) -> Status {
      if (op.request_case() != RequestOp::kRequestPut) return Status::Ok();
      const auto& put = op.request_put();
      if (put.ignore_value() || put.ignore_lease()) {
        Result<std::optional<mvccpb::KeyValue>> prev = GetLatest(reader, put.key());
        if (!prev.ok()) return prev.status();
        if (!prev->has_value()) return KvStatus(KvError::kKeyNotFound);
      }
      if (put.lease() != 0) {
        Result<bool> exists = LeaseExists(reader, put.lease());
        if (!exists.ok()) return exists.status();
        if (!*exists) return KvStatus(KvError::kLeaseNotFound);
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  // etcd's FirstRev is -1 until the first compaction.
  const int64_t first = w->compacted_revision() > 0 ? w->compacted_revision() : -1;
  pos = 0;
  Status s = ForChosenOps(req, path, &pos, [&](const RequestOp& op) -> Status {
    if (op.request_case() != RequestOp::kRequestRange) return Status::Ok();
    const int64_t rev = op.request_range().revision();
    if (rev == 0) return Status::Ok();
    if (rev > begin) return KvStatus(KvError::kFutureRev);
    if (rev < first) return KvStatus(KvError::kCompacted);
    return Status::Ok();
  });
  if (!s.ok()) return s;

  TxnResponse resp;
  pos = 0;
  if (Status a = ApplyChosen(w, req, path, &pos, &resp); !a.ok()) return a;
  resp.mutable_header()->set_revision(w->changes() > 0 ? w->write_revision() : begin);
  return resp;
}

}  // namespace cairn::kv
