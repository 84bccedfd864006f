#pragma once

// What the in-process cluster tests (replica_test, replica_membership_test,
// grpc_transport_test) ask
// of a set of replicas, whatever connects them. Waits are bounded liveness
// checks (a generous deadline), never timing measurements.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/replica.h"

namespace cairn::cluster::testing {

using namespace std::chrono_literals;

// A directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "cairn-cluster-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The replica of `id`, or nullptr when it is stopped.
using ReplicaOf = std::function<Replica*(raft::NodeId)>;

// A leader that every running replica recognises, waiting up to 20 s.
inline raft::NodeId WaitForLeader(const std::vector<raft::NodeId>& ids, const ReplicaOf& of) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    raft::NodeId leader = raft::kNoNode;
    for (raft::NodeId id : ids) {
      if (of(id) != nullptr && of(id)->info().role == raft::Role::kLeader) leader = id;
    }
    bool agreed = leader != raft::kNoNode;
    for (raft::NodeId id : ids) {
      if (of(id) != nullptr && of(id)->info().leader != leader) agreed = false;
    }
    if (agreed) return leader;
    std::this_thread::sleep_for(5ms);
  }
  return raft::kNoNode;
}

inline Status Barrier(Replica* r) {
  auto p = std::make_shared<std::promise<Status>>();
  std::future<Status> f = p->get_future();
  r->ReadBarrier([p](Status s) { p->set_value(s); });
  if (f.wait_for(30s) != std::future_status::ready) {
    return Status(Code::kDeadlineExceeded, "test: no answer to a read barrier within 30 s");
  }
  return f.get();
}

// The value of `key` in the replica's local state, or "<missing>".
inline std::string Get(Replica* r, const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  auto got = r->store().Range(req);
  if (!got.ok() || got->kvs_size() == 0) return "<missing>";
  return got->kvs(0).value();
}

// Waits until every running replica has applied `index`, then checks that
// their stores are identical.
inline bool Converged(const std::vector<raft::NodeId>& ids, const ReplicaOf& of,
                      raft::Index index) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (raft::NodeId id : ids) {
      if (of(id) != nullptr && of(id)->info().applied < index) all = false;
    }
    if (all) break;
    std::this_thread::sleep_for(5ms);
  }
  std::optional<uint32_t> digest;
  for (raft::NodeId id : ids) {
    if (of(id) == nullptr) continue;
    if (of(id)->info().applied < index) return false;
    auto d = of(id)->store().Digest();
    if (!d.ok() || (digest && *digest != *d)) return false;
    digest = *d;
  }
  return true;
}

// Delivers each message to the replica it is addressed to, if that one runs.
class LocalNetwork : public Transport {
 public:
  void Send(uint64_t, std::vector<raft::Message> messages) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!messages.empty() && held_ == messages.front().from) {
      // The sender's consensus loop waits here until Release.
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return held_ != messages.front().from; });
      blocked_ = false;
    }
    for (raft::Message& m : messages) {
      sent_[{m.from, m.type}]++;
      if (isolated_.count(m.from) || isolated_.count(m.to)) continue;
      auto it = nodes_.find(m.to);
      if (it != nodes_.end()) it->second->Receive({std::move(m)});
    }
  }
  void Attach(raft::NodeId id, Replica* r) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[id] = r;
  }
  void Detach(raft::NodeId id) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.erase(id);
  }
  // Blocks the next Send from `id` (its consensus loop) until Release;
  // true once a Send is blocked (within 10 s).
  bool Hold(raft::NodeId id) {
    std::unique_lock<std::mutex> lock(mu_);
    held_ = id;
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return blocked_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = raft::kNoNode;
    cv_.notify_all();
  }
  // Messages of `type` that `from` has sent so far.
  int Sent(raft::NodeId from, raft::MessageType type) {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_[{from, type}];
  }
  // Drops every message to or from `id` (it keeps running).
  void Isolate(raft::NodeId id, bool isolated) {
    std::lock_guard<std::mutex> lock(mu_);
    if (isolated) {
      isolated_.insert(id);
    } else {
      isolated_.erase(id);
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<raft::NodeId, Replica*> nodes_;
  std::set<raft::NodeId> isolated_;
  raft::NodeId held_ = raft::kNoNode;
  bool blocked_ = false;
  std::map<std::pair<raft::NodeId, raft::MessageType>, int> sent_;
};

// Proposes `request` on `replica` and waits (at most 30 s) for its answer.
inline Result<kv::ApplyResult> ProposeAndWait(Replica* replica,
                                              const cairnpb::RaftRequest& request) {
  // Shared: an answer may come after this gives up waiting.
  auto p = std::make_shared<std::promise<Result<kv::ApplyResult>>>();
  std::future<Result<kv::ApplyResult>> f = p->get_future();
  replica->Propose(request, [p](Result<kv::ApplyResult> r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return Status(Code::kDeadlineExceeded, "test: no answer to a proposal within 30 s");
  }
  return f.get();
}

}  // namespace cairn::cluster::testing
