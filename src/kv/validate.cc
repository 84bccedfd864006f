#include "kv/validate.h"

#include <map>
#include <set>
#include <string>

#include "kv/errors.h"

namespace cairn::kv {
namespace {

using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using google::protobuf::RepeatedPtrField;

Status CheckRequestOp(const RequestOp& op, int max_txn_ops);

Status CheckTxn(const TxnRequest& req, int max_txn_ops) {
  int opc = req.compare_size();
  opc = std::max(opc, req.success_size());
  opc = std::max(opc, req.failure_size());
  if (opc > max_txn_ops) return KvStatus(KvError::kTooManyOps);
  for (const auto& c : req.compare()) {
    if (c.key().empty()) return KvStatus(KvError::kEmptyKey);
  }
  for (const RequestOp& op : req.success()) {
    if (Status s = CheckRequestOp(op, max_txn_ops - opc); !s.ok()) return s;
  }
  for (const RequestOp& op : req.failure()) {
    if (Status s = CheckRequestOp(op, max_txn_ops - opc); !s.ok()) return s;
  }
  return Status::Ok();
}

Status CheckRequestOp(const RequestOp& op, int max_txn_ops) {
  switch (op.request_case()) {
    case RequestOp::kRequestRange:
      return ValidateRange(op.request_range());
    case RequestOp::kRequestPut:
      return ValidatePut(op.request_put());
    case RequestOp::kRequestDeleteRange:
      return ValidateDeleteRange(op.request_delete_range());
    case RequestOp::kRequestTxn:
      return CheckTxn(op.request_txn(), max_txn_ops);
    case RequestOp::REQUEST_NOT_SET:
      break;
  }
  // etcd's answer to an empty operation.
  return KvStatus(KvError::kKeyNotFound);
}

// Deleted key intervals [begin, end), merged and disjoint, so "does this
// point fall in a deleted range" is one map lookup however many deletes a
// request holds.
class DeletedIntervals {
 public:
  // A single key when range_end is empty. Like etcd, a range_end that does
  // not lie above the key (including "\0", "to the end") adds nothing.
  void AddDelete(const std::string& key, const std::string& range_end) {
    if (range_end.empty()) {
      Insert(key, key + std::string(1, '\0'));
    } else if (key < range_end) {
      Insert(key, range_end);
    }
  }
  void Union(const DeletedIntervals& other) {
    for (const auto& [begin, end] : other.spans_)
      Insert(begin, end);
  }
  bool Contains(const std::string& point) const {
    auto it = spans_.upper_bound(point);
    if (it == spans_.begin()) return false;
    --it;
    return point < it->second;
  }

 private:
  void Insert(std::string begin, std::string end) {
    // Absorb every span that overlaps or touches [begin, end).
    auto it = spans_.upper_bound(begin);
    if (it != spans_.begin()) {
      auto prev = std::prev(it);
      if (prev->second >= begin) {
        begin = prev->first;
        if (prev->second > end) end = prev->second;
        it = spans_.erase(prev);
      }
    }
    while (it != spans_.end() && it->first <= end) {
      if (it->second > end) end = it->second;
      it = spans_.erase(it);
    }
    spans_.emplace(std::move(begin), std::move(end));
  }

  std::map<std::string, std::string> spans_;  // begin -> end
};

struct Writes {
  std::set<std::string> puts;
  DeletedIntervals dels;
};

// etcd's checkIntervals: a put may not land on a key put elsewhere in the
// same branch (the two branches of a nested txn may share keys, since only
// one runs) nor inside a range deleted at its level or above.
Status CheckIntervals(const RepeatedPtrField<RequestOp>& ops, Writes* out) {
  Writes w;
  for (const RequestOp& op : ops) {
    if (op.request_case() != RequestOp::kRequestDeleteRange) continue;
    w.dels.AddDelete(op.request_delete_range().key(), op.request_delete_range().range_end());
  }
  for (const RequestOp& op : ops) {
    if (op.request_case() != RequestOp::kRequestTxn) continue;
    Writes then_w, else_w;
    if (Status s = CheckIntervals(op.request_txn().success(), &then_w); !s.ok()) return s;
    if (Status s = CheckIntervals(op.request_txn().failure(), &else_w); !s.ok()) return s;
    for (const std::string& k : then_w.puts) {
      if (w.puts.count(k) || w.dels.Contains(k)) return KvStatus(KvError::kDuplicateKey);
      w.puts.insert(k);
    }
    for (const std::string& k : else_w.puts) {
      if (w.puts.count(k) && !then_w.puts.count(k)) return KvStatus(KvError::kDuplicateKey);
      if (w.dels.Contains(k)) return KvStatus(KvError::kDuplicateKey);
      w.puts.insert(k);
    }
    w.dels.Union(then_w.dels);
    w.dels.Union(else_w.dels);
  }
  for (const RequestOp& op : ops) {
    if (op.request_case() != RequestOp::kRequestPut) continue;
    const std::string& k = op.request_put().key();
    if (w.puts.count(k) || w.dels.Contains(k)) return KvStatus(KvError::kDuplicateKey);
    w.puts.insert(k);
  }
  *out = std::move(w);
  return Status::Ok();
}

}  // namespace

Status ValidateRange(const etcdserverpb::RangeRequest& req) {
  if (req.key().empty()) return KvStatus(KvError::kEmptyKey);
  // etcd would panic on an unknown target (it finds no sorter); refuse it.
  if (!etcdserverpb::RangeRequest::SortTarget_IsValid(req.sort_target())) {
    return KvStatus(KvError::kBadSortTarget);
  }
  return Status::Ok();
}

Status ValidatePut(const etcdserverpb::PutRequest& req) {
  if (req.key().empty()) return KvStatus(KvError::kEmptyKey);
  if (req.ignore_value() && !req.value().empty()) return KvStatus(KvError::kValueProvided);
  if (req.ignore_lease() && req.lease() != 0) return KvStatus(KvError::kLeaseProvided);
  return Status::Ok();
}

Status ValidateDeleteRange(const etcdserverpb::DeleteRangeRequest& req) {
  if (req.key().empty()) return KvStatus(KvError::kEmptyKey);
  return Status::Ok();
}

Status ValidateTxn(const TxnRequest& req, int max_txn_ops) {
  if (Status s = CheckTxn(req, max_txn_ops); !s.ok()) return s;
  Writes unused;
  if (Status s = CheckIntervals(req.success(), &unused); !s.ok()) return s;
  return CheckIntervals(req.failure(), &unused);
}

Status ValidateRaftRequest(const cairnpb::RaftRequest& req, int max_txn_ops) {
  switch (req.request_case()) {
    case cairnpb::RaftRequest::kPut:
      return ValidatePut(req.put());
    case cairnpb::RaftRequest::kDeleteRange:
      return ValidateDeleteRange(req.delete_range());
    case cairnpb::RaftRequest::kTxn:
      return ValidateTxn(req.txn(), max_txn_ops);
    case cairnpb::RaftRequest::kLeaseGrant:
      // The proposer picked the ID and raised the TTL to the minimum.
      if (req.lease_grant().id() == 0) {
        return Status(Code::kInvalidArgument, "cairn: lease grant without an ID");
      }
      if (req.lease_grant().ttl() > kMaxLeaseTtl) return KvStatus(KvError::kLeaseTtlTooLarge);
      break;
    case cairnpb::RaftRequest::kLeaseKeepAlive:
    case cairnpb::RaftRequest::kLeaseTimeToLive:
      return Status(Code::kInvalidArgument,
                    "cairn: lease queries are answered by the leader, "
                    "never written to the log");
    case cairnpb::RaftRequest::kLeaseRevoke:
    case cairnpb::RaftRequest::kCompaction:
    case cairnpb::RaftRequest::kAlarm:
    case cairnpb::RaftRequest::kMembership:
    case cairnpb::RaftRequest::kMemberAttributes:
    case cairnpb::RaftRequest::kMemberPeerUpdate:
    case cairnpb::RaftRequest::REQUEST_NOT_SET:
      break;
  }
  return Status::Ok();
}

}  // namespace cairn::kv
