#pragma once

#include <string>

#include "base/random.h"
#include "cairn/raft_request.pb.h"

namespace cairn::kv::testing {

// A deterministic stream of requests over a small key space, mixing every
// kind of write, txns (nested, failing) and compactions, including
// requests that fail. Entry i of a seed is always the same request.
class OpGenerator {
 public:
  explicit OpGenerator(uint64_t seed, int keys = 24) : rng_(seed), keys_(keys) {}

  std::string Key() { return "key" + std::to_string(rng_.Uniform(keys_)); }
  std::string Value() {
    return std::string(rng_.Between(0, 40), static_cast<char>('a' + rng_.Uniform(26)));
  }

  cairnpb::RaftRequest Next(int64_t current_revision_hint) {
    cairnpb::RaftRequest r;
    const uint64_t kind = rng_.Uniform(100);
    if (kind < 45) {
      auto* p = r.mutable_put();
      p->set_key(Key());
      p->set_value(Value());
      p->set_lease(rng_.Chance(0.2) ? static_cast<int64_t>(rng_.Between(1, 3)) : 0);
      p->set_prev_kv(rng_.Chance(0.3));
      if (rng_.Chance(0.1)) {
        p->set_ignore_value(true);
        p->clear_value();
      }
      if (rng_.Chance(0.1)) {
        p->set_ignore_lease(true);
        p->set_lease(0);
      }
    } else if (kind < 60) {
      auto* d = r.mutable_delete_range();
      d->set_key(Key());
      if (rng_.Chance(0.4)) d->set_range_end(Key());
      d->set_prev_kv(rng_.Chance(0.5));
    } else if (kind < 91) {
      *r.mutable_txn() = Txn(2);
    } else if (kind < 95) {
      // Leases 1 to 4 come and go (revoking deletes their keys); puts name
      // 1 to 3, and fail while theirs is missing.
      const int64_t id = static_cast<int64_t>(rng_.Between(1, 4));
      if (rng_.Chance(0.6)) {
        r.mutable_lease_grant()->set_id(id);
        r.mutable_lease_grant()->set_ttl(static_cast<int64_t>(rng_.Between(1, 60)));
      } else {
        r.mutable_lease_revoke()->set_id(id);
      }
    } else {
      // Often below the compacted revision or above the current one: errors.
      const int64_t hint = current_revision_hint > 0 ? current_revision_hint : 1;
      r.mutable_compaction()->set_revision(
          static_cast<int64_t>(rng_.Between(0, static_cast<uint64_t>(hint) + 5)));
    }
    return r;
  }

 private:
  etcdserverpb::TxnRequest Txn(int depth) {
    etcdserverpb::TxnRequest t;
    const int compares = static_cast<int>(rng_.Uniform(3));
    for (int i = 0; i < compares; ++i) {
      auto* c = t.add_compare();
      c->set_key(Key());
      if (rng_.Chance(0.2)) c->set_range_end(Key());
      c->set_result(static_cast<etcdserverpb::Compare::CompareResult>(rng_.Uniform(4)));
      c->set_target(static_cast<etcdserverpb::Compare::CompareTarget>(rng_.Uniform(5)));
      switch (c->target()) {
        case etcdserverpb::Compare::VERSION:
          c->set_version(static_cast<int64_t>(rng_.Uniform(4)));
          break;
        case etcdserverpb::Compare::VALUE:
          c->set_value(Value());
          break;
        case etcdserverpb::Compare::LEASE:
          c->set_lease(static_cast<int64_t>(rng_.Uniform(3)));
          break;
        default:
          c->set_mod_revision(static_cast<int64_t>(rng_.Uniform(200)));
          c->set_create_revision(static_cast<int64_t>(rng_.Uniform(200)));
          break;
      }
    }
    for (auto* ops : {t.mutable_success(), t.mutable_failure()}) {
      const int n = static_cast<int>(rng_.Uniform(4));
      for (int i = 0; i < n; ++i) {
        auto* op = ops->Add();
        const uint64_t k = rng_.Uniform(10);
        if (k < 4) {
          op->mutable_request_put()->set_key(Key());
          op->mutable_request_put()->set_value(Value());
          if (rng_.Chance(0.1)) op->mutable_request_put()->set_ignore_lease(true);
        } else if (k < 6) {
          op->mutable_request_delete_range()->set_key(Key());
          if (rng_.Chance(0.3)) op->mutable_request_delete_range()->set_range_end(Key());
        } else if (k < 9 || depth == 0) {
          auto* rr = op->mutable_request_range();
          rr->set_key(Key());
          if (rng_.Chance(0.5)) rr->set_range_end(Key());
          rr->set_limit(static_cast<int64_t>(rng_.Uniform(3)));
          rr->set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(rng_.Uniform(3)));
          rr->set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(rng_.Uniform(5)));
        } else {
          *op->mutable_request_txn() = Txn(depth - 1);
        }
      }
    }
    return t;
  }

  SeededRandom rng_;
  uint64_t keys_;
};

}  // namespace cairn::kv::testing
