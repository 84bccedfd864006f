#include "api/lease_keeper.h"

#include "base/logging.h"

namespace cairn::api {

namespace {
Status NotLeader() {
  return Status(Code::kFailedPrecondition, "not leader");
}
}  // namespace

LeaseKeeper::LeaseKeeper(LeaseKeeperOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

LeaseKeeper::~LeaseKeeper() {
  Stop();
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::RefreshLocked(Lessor::TimePoint now) {
  const uint64_t generation = options_.store->lease_generation();
  if (generation != synced_generation_) {
    Result<std::vector<kv::MvccStore::Lease>> leases = options_.store->Leases();
    if (leases.ok()) {
      lessor_.Sync(*leases, now);
      synced_generation_ = generation;
    } else {
      CAIRN_LOG(ERROR) << "leases: cannot read the lease table: " << leases.status().ToString();
    }
  }
  const bool leader = options_.is_leader();
  if (leader && !lessor_.primary()) {
    lessor_.Promote(now, options_.extend);
    CAIRN_LOG(INFO) << "leases: leading now; " << lessor_.size()
                    << " lease(s) get their full TTL again";
  } else if (!leader && lessor_.primary()) {
    lessor_.Demote();
  }
}

Result<etcdserverpb::LeaseKeepAliveResponse> LeaseKeeper::KeepAlive(
    const etcdserverpb::LeaseKeepAliveRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  RefreshLocked(now);
  if (!lessor_.primary()) return NotLeader();
  etcdserverpb::LeaseKeepAliveResponse resp;
  resp.set_id(request.id());
  resp.set_ttl(lessor_.Renew(request.id(), now).value_or(0));
  return resp;
}

Result<etcdserverpb::LeaseTimeToLiveResponse> LeaseKeeper::TimeToLive(
    const etcdserverpb::LeaseTimeToLiveRequest& request) {
  etcdserverpb::LeaseTimeToLiveResponse resp;
  resp.set_id(request.id());
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    RefreshLocked(now);
    if (!lessor_.primary()) return NotLeader();
    std::optional<Lessor::TimeLeft> left = lessor_.TimeToLive(request.id(), now);
    if (!left) {
      resp.set_ttl(-1);
      return resp;
    }
    resp.set_ttl(left->remaining);
    resp.set_grantedttl(left->granted);
  }
  if (request.keys()) {
    Result<std::vector<std::string>> keys = options_.store->LeaseKeys(request.id());
    if (!keys.ok()) return keys.status();
    for (std::string& k : *keys)
      resp.add_keys(std::move(k));
  }
  return resp;
}

size_t LeaseKeeper::active_leases() {
  std::lock_guard<std::mutex> lock(mu_);
  return lessor_.size();
}

void LeaseKeeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.tick);
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    RefreshLocked(now);
    std::vector<int64_t> expired =
        lessor_.Expired(now, options_.max_revokes_per_tick, options_.retry);
    if (expired.empty()) continue;
    expired_total_.fetch_add(expired.size(), std::memory_order_relaxed);
    lock.unlock();
    for (int64_t id : expired) {
      CAIRN_LOG(INFO) << "leases: lease " << std::hex << id << std::dec
                      << " expired; revoking it and deleting its keys";
      options_.revoke(id);
    }
    lock.lock();
  }
}

}  // namespace cairn::api
