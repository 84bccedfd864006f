#include "api/lessor.h"

#include <algorithm>

namespace cairn::api {

void Lessor::Sync(const std::vector<kv::MvccStore::Lease>& committed, TimePoint now) {
  std::map<int64_t, Entry> next;
  for (const kv::MvccStore::Lease& l : committed) {
    auto it = leases_.find(l.id);
    if (it != leases_.end()) {
      next.emplace(l.id, it->second);
    } else {
      next.emplace(l.id, Entry{l.ttl, now + Seconds(l.ttl), std::nullopt});
    }
  }
  leases_ = std::move(next);
}

void Lessor::Promote(TimePoint now, Duration extend) {
  primary_ = true;
  for (auto& [id, e] : leases_) {
    e.expiry = now + extend + Seconds(e.ttl);
    e.revoke_sent.reset();
  }
}

void Lessor::Demote() {
  primary_ = false;
}

std::optional<int64_t> Lessor::Renew(int64_t id, TimePoint now) {
  if (!primary_) return std::nullopt;
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.expiry <= now) return std::nullopt;
  it->second.expiry = now + Seconds(it->second.ttl);
  return it->second.ttl;
}

std::optional<Lessor::TimeLeft> Lessor::TimeToLive(int64_t id, TimePoint now) const {
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  TimeLeft t;
  t.granted = it->second.ttl;
  if (!primary_) {
    t.remaining = t.granted;  // nothing expires on a follower
  } else {
    // Whole seconds, rounded down as etcd reports them.
    auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.expiry - now);
    t.remaining = std::max<int64_t>(0, left.count());
  }
  return t;
}

std::vector<int64_t> Lessor::Expired(TimePoint now, size_t max, Duration retry) {
  std::vector<int64_t> out;
  if (!primary_) return out;
  for (auto& [id, e] : leases_) {
    if (out.size() >= max) break;
    if (e.expiry > now) continue;
    if (e.revoke_sent && now - *e.revoke_sent < retry) continue;
    e.revoke_sent = now;
    out.push_back(id);
  }
  return out;
}

}  // namespace cairn::api
