#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "kv/errors.h"
#include "kv/mvcc_store.h"

namespace cairn::kv::testing {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/cairn-kv-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline cairnpb::RaftRequest PutReq(const std::string& key, const std::string& value,
                                   int64_t lease = 0) {
  cairnpb::RaftRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value(value);
  r.mutable_put()->set_lease(lease);
  return r;
}

inline cairnpb::RaftRequest GrantReq(int64_t id, int64_t ttl = 60) {
  cairnpb::RaftRequest r;
  r.mutable_lease_grant()->set_id(id);
  r.mutable_lease_grant()->set_ttl(ttl);
  return r;
}

inline cairnpb::RaftRequest RevokeReq(int64_t id) {
  cairnpb::RaftRequest r;
  r.mutable_lease_revoke()->set_id(id);
  return r;
}

inline cairnpb::RaftRequest DeleteReq(const std::string& key, const std::string& range_end = "",
                                      bool prev_kv = false) {
  cairnpb::RaftRequest r;
  r.mutable_delete_range()->set_key(key);
  r.mutable_delete_range()->set_range_end(range_end);
  r.mutable_delete_range()->set_prev_kv(prev_kv);
  return r;
}

inline cairnpb::RaftRequest CompactReq(int64_t revision) {
  cairnpb::RaftRequest r;
  r.mutable_compaction()->set_revision(revision);
  return r;
}

inline cairnpb::RaftRequest TxnReq(const etcdserverpb::TxnRequest& txn) {
  cairnpb::RaftRequest r;
  *r.mutable_txn() = txn;
  return r;
}

inline etcdserverpb::RangeRequest RangeReq(const std::string& key, const std::string& end = "") {
  etcdserverpb::RangeRequest r;
  r.set_key(key);
  r.set_range_end(end);
  return r;
}

inline etcdserverpb::RequestOp PutOp(const std::string& key, const std::string& value) {
  etcdserverpb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  return op;
}

inline etcdserverpb::RequestOp DeleteOp(const std::string& key, const std::string& end = "") {
  etcdserverpb::RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

inline etcdserverpb::RequestOp RangeOp(const std::string& key, const std::string& end = "") {
  etcdserverpb::RequestOp op;
  *op.mutable_request_range() = RangeReq(key, end);
  return op;
}

inline etcdserverpb::RequestOp TxnOp(const etcdserverpb::TxnRequest& txn) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_txn() = txn;
  return op;
}

inline etcdserverpb::Compare VersionCmp(const std::string& key,
                                        etcdserverpb::Compare::CompareResult result,
                                        int64_t version) {
  etcdserverpb::Compare c;
  c.set_key(key);
  c.set_target(etcdserverpb::Compare::VERSION);
  c.set_result(result);
  c.set_version(version);
  return c;
}

inline Status ErrorOf(KvError e) {
  return KvStatus(e);
}

// A store in a temp dir plus the bookkeeping of a log: each Apply takes
// the next index, and a revision a random-ish step above the last (revisions
// are opaque: tests must not assume they step by one).
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(MvccOptions options = {}) {
    store_.reset();
    auto s = MvccStore::Open(dir_.Sub("group"), options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    next_index_ = store_->applied_index() + 1;
    next_revision_ = store_->current_revision() + 1;
  }

  // Applies and returns the result; the outer Result must be ok.
  ApplyResult Apply(const cairnpb::RaftRequest& req) {
    last_revision_ = next_revision_;
    auto r = store_->Apply(req, next_index_++, 1, next_revision_);
    // Step revisions by 10 so that nothing can pass by assuming +1.
    next_revision_ += 10;
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return ApplyResult{r.status(), {}};
    return std::move(*r);
  }

  // Applies a request that must succeed; returns the revision it wrote at.
  int64_t MustApply(const cairnpb::RaftRequest& req) {
    ApplyResult r = Apply(req);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return last_revision_;
  }

  etcdserverpb::RangeResponse Get(const etcdserverpb::RangeRequest& req) {
    auto r = store_->Range(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : etcdserverpb::RangeResponse();
  }

  TempDir dir_;
  std::unique_ptr<MvccStore> store_;
  uint64_t next_index_ = 1;
  int64_t next_revision_ = 1;
  int64_t last_revision_ = 0;
};

}  // namespace cairn::kv::testing
