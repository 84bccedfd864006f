// The store against a plain in-memory model of etcd's semantics, over
// thousands of random operations (puts with every flag, deletes, txns,
// compactions, ranges with every option, restarts). The model keeps full
// history in a std::map and answers everything by brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>

#include "base/random.h"
#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;
using etcdserverpb::TxnRequest;
using mvccpb::KeyValue;

class Model {
 public:
  int64_t current = 0;
  int64_t compacted = 0;

  Result<RangeResponse> Range(const RangeRequest& req, int64_t head) const {
    if (req.key().empty()) return ErrorOf(KvError::kEmptyKey);
    if (req.revision() > head) return ErrorOf(KvError::kFutureRev);
    const int64_t rev = req.revision() <= 0 ? head : req.revision();
    if (rev < compacted) return ErrorOf(KvError::kCompacted);
    std::vector<KeyValue> kvs = Live(req.key(), req.range_end(), rev);
    RangeResponse resp;
    resp.mutable_header()->set_revision(head);
    resp.set_count(static_cast<int64_t>(kvs.size()));
    if (req.count_only()) return resp;
    const bool filters = req.min_mod_revision() || req.max_mod_revision() ||
                         req.min_create_revision() || req.max_create_revision();
    if (req.sort_order() == RangeRequest::NONE && !filters && req.limit() > 0 &&
        static_cast<int64_t>(kvs.size()) > req.limit() + 1) {
      kvs.resize(static_cast<size_t>(req.limit() + 1));
    }
    std::erase_if(kvs, [&](const KeyValue& kv) {
      return (req.max_mod_revision() && kv.mod_revision() > req.max_mod_revision()) ||
             (req.min_mod_revision() && kv.mod_revision() < req.min_mod_revision()) ||
             (req.max_create_revision() && kv.create_revision() > req.max_create_revision()) ||
             (req.min_create_revision() && kv.create_revision() < req.min_create_revision());
    });
    auto field = [&](const KeyValue& kv) -> std::variant<int64_t, std::string> {
      switch (req.sort_target()) {
        case RangeRequest::VERSION:
          return kv.version();
        case RangeRequest::CREATE:
          return kv.create_revision();
        case RangeRequest::MOD:
          return kv.mod_revision();
        case RangeRequest::VALUE:
          return kv.value();
        default:
          return kv.key();
      }
    };
    auto order = req.sort_order();
    if (req.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
      order = RangeRequest::ASCEND;
    }
    if (order == RangeRequest::ASCEND) {
      std::stable_sort(kvs.begin(), kvs.end(),
                       [&](const KeyValue& a, const KeyValue& b) { return field(a) < field(b); });
    } else if (order == RangeRequest::DESCEND) {
      std::stable_sort(kvs.begin(), kvs.end(),
                       [&](const KeyValue& a, const KeyValue& b) { return field(b) < field(a); });
    }
    if (req.limit() > 0 && static_cast<int64_t>(kvs.size()) > req.limit()) {
      kvs.resize(static_cast<size_t>(req.limit()));
      resp.set_more(true);
    }
    for (KeyValue& kv : kvs) {
      if (req.keys_only()) kv.clear_value();
      *resp.add_kvs() = kv;
    }
    return resp;
  }

  // Applies one entry at revision w; the response or the request's error.
  Result<ApplyResponse> Apply(const cairnpb::RaftRequest& req, int64_t w) {
    switch (req.request_case()) {
      case cairnpb::RaftRequest::kPut: {
        const auto& p = req.put();
        if (p.key().empty()) return ErrorOf(KvError::kEmptyKey);
        if (p.ignore_value() && !p.value().empty()) return ErrorOf(KvError::kValueProvided);
        if (p.ignore_lease() && p.lease() != 0) return ErrorOf(KvError::kLeaseProvided);
        if (p.lease() != 0 && !leases.contains(p.lease())) {
          return ErrorOf(KvError::kLeaseNotFound);
        }
        if ((p.ignore_value() || p.ignore_lease()) && !At(p.key(), current)) {
          return ErrorOf(KvError::kKeyNotFound);
        }
        auto resp = DoPut(p, w);
        current = w;
        return ApplyResponse(resp);
      }
      case cairnpb::RaftRequest::kDeleteRange: {
        const auto& d = req.delete_range();
        if (d.key().empty()) return ErrorOf(KvError::kEmptyKey);
        int changes = 0;
        auto resp = DoDelete(d, w, &changes);
        if (changes) current = w;
        return ApplyResponse(resp);
      }
      case cairnpb::RaftRequest::kTxn:
        return DoTxn(req.txn(), w);
      case cairnpb::RaftRequest::kCompaction: {
        const int64_t r = req.compaction().revision();
        if (r <= compacted) return ErrorOf(KvError::kCompacted);
        if (r > current) return ErrorOf(KvError::kFutureRev);
        compacted = r;
        etcdserverpb::CompactionResponse resp;
        resp.mutable_header()->set_revision(current);
        return ApplyResponse(resp);
      }
      case cairnpb::RaftRequest::kLeaseGrant: {
        const auto& g = req.lease_grant();
        if (leases.contains(g.id())) return ErrorOf(KvError::kLeaseExists);
        leases[g.id()] = g.ttl();
        etcdserverpb::LeaseGrantResponse resp;
        resp.mutable_header()->set_revision(current);
        resp.set_id(g.id());
        resp.set_ttl(g.ttl());
        return ApplyResponse(resp);
      }
      case cairnpb::RaftRequest::kLeaseRevoke: {
        const int64_t id = req.lease_revoke().id();
        if (!leases.erase(id)) return ErrorOf(KvError::kLeaseNotFound);
        bool deleted = false;
        for (const KeyValue& kv : Live("\0", std::string(1, '\0'), INT64_MAX)) {
          if (kv.lease() != id) continue;
          history_[kv.key()].push_back({w, false, KeyValue()});
          deleted = true;
        }
        if (deleted) current = w;
        etcdserverpb::LeaseRevokeResponse resp;
        resp.mutable_header()->set_revision(current);
        return ApplyResponse(resp);
      }
      default:
        return ApplyResponse();
    }
  }

  std::map<int64_t, int64_t> leases;  // id -> granted TTL

 private:
  struct Version {
    int64_t rev;
    bool live;
    KeyValue kv;
  };

  static bool InRange(const std::string& k, const std::string& key, const std::string& end) {
    if (end.empty()) return k == key;
    if (end == std::string(1, '\0')) return k >= key;
    return k >= key && k < end;
  }

  std::optional<KeyValue> At(const std::string& k, int64_t rev) const {
    auto it = history_.find(k);
    if (it == history_.end()) return std::nullopt;
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      if (v->rev <= rev) return v->live ? std::optional<KeyValue>(v->kv) : std::nullopt;
    }
    return std::nullopt;
  }

  std::vector<KeyValue> Live(const std::string& key, const std::string& end, int64_t rev) const {
    std::vector<KeyValue> out;
    for (const auto& [k, versions] : history_) {
      if (!InRange(k, key, end)) continue;
      if (auto kv = At(k, rev)) out.push_back(*kv);
    }
    return out;
  }

  etcdserverpb::PutResponse DoPut(const etcdserverpb::PutRequest& p, int64_t w) {
    std::optional<KeyValue> prev = At(p.key(), INT64_MAX);
    KeyValue kv;
    kv.set_key(p.key());
    kv.set_value(p.ignore_value() ? prev->value() : p.value());
    kv.set_lease(p.ignore_lease() ? prev->lease() : p.lease());
    kv.set_create_revision(prev ? prev->create_revision() : w);
    kv.set_mod_revision(w);
    kv.set_version(prev ? prev->version() + 1 : 1);
    history_[p.key()].push_back({w, true, kv});
    etcdserverpb::PutResponse resp;
    resp.mutable_header()->set_revision(w);
    if (p.prev_kv() && prev) *resp.mutable_prev_kv() = *prev;
    return resp;
  }

  etcdserverpb::DeleteRangeResponse DoDelete(const etcdserverpb::DeleteRangeRequest& d, int64_t w,
                                             int* changes) {
    etcdserverpb::DeleteRangeResponse resp;
    for (KeyValue& kv : Live(d.key(), d.range_end(), INT64_MAX)) {
      history_[kv.key()].push_back({w, false, KeyValue()});
      ++*changes;
      if (d.prev_kv()) *resp.add_prev_kvs() = kv;
      resp.set_deleted(resp.deleted() + 1);
    }
    resp.mutable_header()->set_revision(*changes ? w : current);
    return resp;
  }

  bool CompareHolds(const Compare& c) const {
    std::vector<KeyValue> kvs = Live(c.key(), c.range_end(), INT64_MAX);
    if (kvs.empty()) {
      if (c.target() == Compare::VALUE) return false;
      kvs.emplace_back();
    }
    for (const KeyValue& kv : kvs) {
      int r = 0;
      switch (c.target()) {
        case Compare::VERSION:
          r = (kv.version() > c.version()) - (kv.version() < c.version());
          break;
        case Compare::MOD:
          r = (kv.mod_revision() > c.mod_revision()) - (kv.mod_revision() < c.mod_revision());
          break;
        case Compare::VALUE:
          r = kv.value().compare(c.value());
          r = (r > 0) - (r < 0);
          break;
        default:
          break;
      }
      const bool ok = c.result() == Compare::EQUAL     ? r == 0
                      : c.result() == Compare::GREATER ? r > 0
                      : c.result() == Compare::LESS    ? r < 0
                                                       : r != 0;
      if (!ok) return false;
    }
    return true;
  }

  // Flat txns of puts, deletes and ranges with distinct write keys (the
  // generator's promise), so no validation errors but ignore_* ones.
  Result<ApplyResponse> DoTxn(const TxnRequest& t, int64_t w) {
    bool ok = true;
    for (const Compare& c : t.compare())
      ok = ok && CompareHolds(c);
    const auto& ops = ok ? t.success() : t.failure();
    for (const auto& op : ops) {
      if (op.has_request_put() && op.request_put().lease() != 0 &&
          !leases.contains(op.request_put().lease())) {
        return ErrorOf(KvError::kLeaseNotFound);
      }
    }
    for (const auto& op : ops) {
      if (op.has_request_range() && op.request_range().revision() > current) {
        return ErrorOf(KvError::kFutureRev);
      }
    }
    etcdserverpb::TxnResponse resp;
    resp.set_succeeded(ok);
    int changes = 0;
    for (const auto& op : ops) {
      auto* out = resp.add_responses();
      if (op.has_request_put()) {
        *out->mutable_response_put() = DoPut(op.request_put(), w);
        ++changes;
      } else if (op.has_request_delete_range()) {
        *out->mutable_response_delete_range() = DoDelete(op.request_delete_range(), w, &changes);
      } else {
        auto r = Range(op.request_range(), changes ? w : current);
        if (!r.ok()) return r.status();
        *out->mutable_response_range() = *r;
      }
    }
    resp.mutable_header()->set_revision(changes ? w : current);
    if (changes) current = w;
    return ApplyResponse(resp);
  }

  std::map<std::string, std::vector<Version>> history_;
};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng(seed) {}
  SeededRandom rng;
  std::string Key() { return "k" + std::to_string(rng.Uniform(30)); }
  std::string End(const std::string& key) {
    const uint64_t r = rng.Uniform(10);
    if (r < 5) return "";
    if (r < 6) return std::string(1, '\0');
    if (r < 7) return key.substr(0, 2) + "\x7f";  // prefix-like
    return Key();
  }

  RangeRequest Range(int64_t current, int64_t compacted) {
    RangeRequest r;
    r.set_key(rng.Chance(0.02) ? "" : Key());
    r.set_range_end(End(r.key()));
    if (rng.Chance(0.3)) r.set_limit(static_cast<int64_t>(rng.Uniform(5)));
    if (rng.Chance(0.4)) {
      // Around the compacted and current revisions, errors included.
      r.set_revision(static_cast<int64_t>(
          rng.Between(static_cast<uint64_t>(std::max<int64_t>(compacted - 3, 0)),
                      static_cast<uint64_t>(current + 2))));
    }
    r.set_sort_order(static_cast<RangeRequest::SortOrder>(rng.Uniform(3)));
    r.set_sort_target(static_cast<RangeRequest::SortTarget>(rng.Uniform(5)));
    r.set_count_only(rng.Chance(0.1));
    r.set_keys_only(rng.Chance(0.1));
    if (rng.Chance(0.15)) r.set_min_mod_revision(static_cast<int64_t>(rng.Uniform(current + 1)));
    if (rng.Chance(0.15)) r.set_max_mod_revision(static_cast<int64_t>(rng.Uniform(current + 1)));
    if (rng.Chance(0.15)) r.set_min_create_revision(static_cast<int64_t>(rng.Uniform(current + 1)));
    if (rng.Chance(0.15)) r.set_max_create_revision(static_cast<int64_t>(rng.Uniform(current + 1)));
    return r;
  }

  etcdserverpb::PutRequest Put() {
    etcdserverpb::PutRequest p;
    p.set_key(rng.Chance(0.01) ? "" : Key());
    p.set_value(std::string(rng.Uniform(8), static_cast<char>('a' + rng.Uniform(3))));
    p.set_lease(rng.Chance(0.3) ? static_cast<int64_t>(rng.Between(1, 3)) : 0);
    p.set_prev_kv(rng.Chance(0.5));
    if (rng.Chance(0.1)) p.set_ignore_value(true);  // with a value sometimes: an error
    if (rng.Chance(0.1)) p.set_ignore_lease(true);
    if (p.ignore_value() && rng.Chance(0.8)) p.clear_value();
    if (p.ignore_lease() && rng.Chance(0.8)) p.set_lease(0);
    return p;
  }

  cairnpb::RaftRequest Write(int64_t current) {
    cairnpb::RaftRequest r;
    const uint64_t k = rng.Uniform(100);
    if (k < 55) {
      *r.mutable_put() = Put();
    } else if (k < 70) {
      r.mutable_delete_range()->set_key(rng.Chance(0.01) ? "" : Key());
      r.mutable_delete_range()->set_range_end(End(r.delete_range().key()));
      r.mutable_delete_range()->set_prev_kv(rng.Chance(0.5));
    } else if (k < 91) {
      TxnRequest* t = r.mutable_txn();
      for (int i = static_cast<int>(rng.Uniform(3)); i > 0; --i) {
        Compare* c = t->add_compare();
        c->set_key(Key());
        if (rng.Chance(0.2)) c->set_range_end(End(c->key()));
        c->set_result(static_cast<Compare::CompareResult>(rng.Uniform(4)));
        switch (rng.Uniform(3)) {
          case 0:
            c->set_target(Compare::VERSION);
            c->set_version(static_cast<int64_t>(rng.Uniform(4)));
            break;
          case 1:
            c->set_target(Compare::MOD);
            c->set_mod_revision(static_cast<int64_t>(rng.Uniform(current + 2)));
            break;
          default:
            c->set_target(Compare::VALUE);
            c->set_value(std::string(rng.Uniform(4), 'a'));
        }
      }
      for (auto* ops : {t->mutable_success(), t->mutable_failure()}) {
        // Distinct single keys for writes: a valid txn by construction.
        std::vector<std::string> keys;
        for (int i = 0; i < 30; ++i)
          keys.push_back("k" + std::to_string(i));
        for (int i = static_cast<int>(rng.Uniform(4)); i > 0; --i) {
          const std::string key = keys[rng.Uniform(keys.size())];
          std::erase(keys, key);
          auto* op = ops->Add();
          switch (rng.Uniform(3)) {
            case 0:
              *op->mutable_request_put() = Put();
              op->mutable_request_put()->set_key(key);
              op->mutable_request_put()->set_ignore_lease(false);
              op->mutable_request_put()->set_ignore_value(false);
              break;
            case 1:
              op->mutable_request_delete_range()->set_key(key);
              op->mutable_request_delete_range()->set_prev_kv(rng.Chance(0.5));
              break;
            default:
              *op->mutable_request_range() = Range(current, 0);
              op->mutable_request_range()->set_key(key);
              op->mutable_request_range()->set_revision(0);
              if (rng.Chance(0.1)) op->mutable_request_range()->set_revision(current + 1);
          }
        }
      }
    } else if (k < 97) {
      // Leases 1 to 4: puts name 1 to 3, so some puts find theirs missing.
      const int64_t id = static_cast<int64_t>(rng.Between(1, 4));
      if (rng.Chance(0.5)) {
        r.mutable_lease_grant()->set_id(id);
        r.mutable_lease_grant()->set_ttl(static_cast<int64_t>(rng.Between(1, 100)));
      } else {
        r.mutable_lease_revoke()->set_id(id);
      }
    } else {
      r.mutable_compaction()->set_revision(static_cast<int64_t>(rng.Uniform(current + 3)));
    }
    return r;
  }
};

void RunModel(uint64_t seed, int ops) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with this seed to reproduce)");
  TempDir dir;
  auto opened = MvccStore::Open(dir.path());
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<MvccStore> store = std::move(*opened);
  Model model;
  Gen gen(seed);
  uint64_t index = 0;
  int64_t rev = 0;
  for (int i = 0; i < ops; ++i) {
    SCOPED_TRACE("op " + std::to_string(i));
    const uint64_t what = gen.rng.Uniform(100);
    if (what < 40) {
      RangeRequest req = gen.Range(model.current, model.compacted);
      auto want = model.Range(req, model.current);
      auto got = store->Range(req);
      ASSERT_EQ(got.status(), want.status()) << req.ShortDebugString();
      if (want.ok()) {
        ASSERT_EQ(got->SerializeAsString(), want->SerializeAsString())
            << req.ShortDebugString() << "\nstore: " << got->ShortDebugString()
            << "\nmodel: " << want->ShortDebugString();
      }
    } else if (what < 41) {
      store.reset();
      auto again = MvccStore::Open(dir.path());
      ASSERT_TRUE(again.ok());
      store = std::move(*again);
    } else {
      cairnpb::RaftRequest req = gen.Write(model.current);
      rev += static_cast<int64_t>(gen.rng.Between(1, 3));
      auto got = store->Apply(req, ++index, 1, rev);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      auto want = model.Apply(req, rev);
      ASSERT_EQ(got->status, want.status()) << req.ShortDebugString();
      if (want.ok()) {
        std::visit(
            [&](const auto& w) {
              using T = std::decay_t<decltype(w)>;
              ASSERT_TRUE(std::holds_alternative<T>(got->response));
              if constexpr (!std::is_same_v<T, std::monostate>) {
                ASSERT_EQ(std::get<T>(got->response).SerializeAsString(), w.SerializeAsString())
                    << req.ShortDebugString()
                    << "\nstore: " << std::get<T>(got->response).ShortDebugString()
                    << "\nmodel: " << w.ShortDebugString();
              }
            },
            *want);
      }
      ASSERT_EQ(store->current_revision(), model.current);
      ASSERT_EQ(store->compacted_revision(), model.compacted);
    }
  }
}

TEST(MvccModel, RandomOperationsMatchTheModel) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    RunModel(seed, 3000);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace cairn::kv::testing
