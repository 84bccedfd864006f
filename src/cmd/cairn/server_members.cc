// The server's part in cluster membership: who this member is, the member
// table as MemberList shows it, publishing this member's attributes,
// keeping the transport's peers in step with the table, and the checks and
// proposals behind MemberAdd/Remove/Update/Promote.
#include <algorithm>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include "api/etcd_errors.h"
#include "base/logging.h"
#include "cluster/grpc_transport_members.h"
#include "cmd/cairn/identity.h"
#include "cmd/cairn/member_checks.h"
#include "cmd/cairn/server.h"
#include "kv/members.h"

namespace cairn::cmd {

namespace {

bool SharesUrl(const google::protobuf::RepeatedPtrField<std::string>& a,
               const std::vector<std::string>& b) {
  for (const std::string& u : a) {
    if (std::find(b.begin(), b.end(), u) != b.end()) return true;
  }
  return false;
}

}  // namespace

Status Server::ResolveIdentity(bool has_state, std::map<raft::NodeId, std::string>* peers) {
  // Peers named by --initial-cluster: where to start looking in every case.
  for (const cmd::Member& m : members_) {
    if (m.name == config_.name) continue;
    Result<std::string> hp = HostPort(m.peer_urls.front());
    if (!hp.ok()) return hp.status();
    (*peers)[m.id] = *hp;
  }
  Result<std::optional<Identity>> saved = LoadIdentity(config_.data_dir);
  if (!saved.ok()) return saved.status();
  if (saved->has_value()) {
    member_id_ = (*saved)->member_id;
    cluster_id_ = (*saved)->cluster_id;
    peers->erase(member_id_);
    return Status::Ok();
  }
  // Only a first start reads --initial-cluster for this member (a restart
  // ignores it, as etcd does).
  if (std::none_of(members_.begin(), members_.end(),
                   [&](const cmd::Member& m) { return m.name == config_.name; })) {
    return Status(Code::kInvalidArgument,
                  "--initial-cluster has no member named \"" + config_.name + "\" (--name)");
  }
  Identity id;
  if (!has_state && config_.initial_cluster_state == "existing") {
    if (Status s = JoinExisting(peers); !s.ok()) return s;
  } else {
    // A new cluster (or a data directory from before identities were
    // saved): ids follow from --initial-cluster.
    for (const cmd::Member& m : members_) {
      if (m.name == config_.name) member_id_ = m.id;
    }
    cluster_id_ = ClusterId(members_);
    if (!has_state) {
      for (const cmd::Member& m : members_) {
        cairnpb::RaftRequest req;
        req.mutable_membership()->set_kind(cairnpb::MembershipChange::ADD_VOTER);
        cairnpb::MemberInfo* info = req.mutable_membership()->mutable_member();
        info->set_id(m.id);
        info->set_name(m.name);
        for (const std::string& u : m.peer_urls)
          info->add_peer_urls(u);
        raft::ConfChange cc = kv::ConfChangeOf(req.membership());
        cc.context = req.SerializeAsString();
        bootstrap_.push_back(std::move(cc));
      }
    }
  }
  id.member_id = member_id_;
  id.cluster_id = cluster_id_;
  return SaveIdentity(config_.data_dir, id);
}

Status Server::JoinExisting(std::map<raft::NodeId, std::string>* peers) {
  // Ask the members named in --initial-cluster until one answers (they may
  // be starting too); etcd does the same through its peers' /members.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last_error = "no other member in --initial-cluster";
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& [unused, address] : *peers) {
      Result<cairnpb::MembersResponse> r =
          cluster::FetchMembers(address, std::chrono::milliseconds(2000));
      if (!r.ok()) {
        last_error = r.status().message();
        continue;
      }
      const cairnpb::MemberTable& table = r->table();
      const cairnpb::MemberInfo* self = nullptr;
      for (const cairnpb::MemberInfo& m : table.members()) {
        if (SharesUrl(m.peer_urls(), config_.initial_advertise_peer_urls)) self = &m;
      }
      if (self == nullptr) {
        return Status(Code::kFailedPrecondition,
                      "--initial-cluster-state existing: the cluster (asked at " + address +
                          ") has no member with peer URL " +
                          config_.initial_advertise_peer_urls.front() +
                          "; add it with MemberAdd (etcdctl member add) first");
      }
      member_id_ = self->id();
      cluster_id_ = r->cluster_id();
      peers->clear();
      for (const cairnpb::MemberInfo& m : table.members()) {
        if (m.id() == member_id_ || m.peer_urls().empty()) continue;
        Result<std::string> hp = HostPort(m.peer_urls(0));
        if (hp.ok()) (*peers)[m.id()] = *hp;
      }
      CAIRN_LOG(INFO) << "joining cluster " << std::hex << cluster_id_ << " as member "
                      << member_id_ << std::dec << " (member list from " << address << ")";
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return Status(
      Code::kUnavailable,
      "--initial-cluster-state existing: no member of --initial-cluster answered: " + last_error);
}

void Server::SyncMembers(const kv::MvccStore& store) {
  Result<cairnpb::MemberTable> table = store.Members();
  if (!table.ok() || table->members().empty()) return;  // none applied yet
  std::lock_guard<std::mutex> lock(members_mu_);
  std::set<raft::NodeId> now;
  for (const cairnpb::MemberInfo& m : table->members()) {
    if (m.id() == member_id_ || m.peer_urls().empty()) continue;
    Result<std::string> hp = HostPort(m.peer_urls(0));
    if (!hp.ok()) {
      CAIRN_LOG(WARN) << "member " << std::hex << m.id() << std::dec << ": "
                      << hp.status().message();
      continue;
    }
    transport_->SetPeer(m.id(), *hp);  // no-op when unchanged; reconnects when moved
    now.insert(m.id());
  }
  for (raft::NodeId id : peer_ids_) {
    if (!now.count(id)) transport_->RemovePeer(id);
  }
  peer_ids_ = std::move(now);
  LogMemberChanges(*table);
  const cairnpb::MemberInfo* self = kv::FindMember(*table, member_id_);
  learner_.store(self != nullptr && self->is_learner());
  const auto& removed = table->removed();
  {
    std::lock_guard<std::mutex> removed_lock(removed_ids_mu_);
    removed_ids_.insert(removed.begin(), removed.end());
  }
  if (self == nullptr && std::find(removed.begin(), removed.end(), member_id_) != removed.end()) {
    NoticeRemoval("it applied its own removal");
  }
}

void Server::LogMemberChanges(const cairnpb::MemberTable& table) {
  std::map<raft::NodeId, bool> now;
  std::ostringstream all;
  for (const cairnpb::MemberInfo& m : table.members()) {
    now[m.id()] = m.is_learner();
    all << (all.tellp() > 0 ? ", " : "") << std::hex << m.id() << std::dec
        << (m.name().empty() ? "" : " (" + m.name() + ")") << (m.is_learner() ? " learner" : "");
  }
  if (known_members_.empty()) {
    CAIRN_LOG(INFO) << "members: " << all.str();
  } else if (now != known_members_) {
    for (const auto& [id, learner] : now) {
      auto it = known_members_.find(id);
      if (it == known_members_.end()) {
        CAIRN_LOG(INFO) << "members: " << std::hex << id << std::dec << " added"
                        << (learner ? " as a learner" : "");
      } else if (it->second && !learner) {
        CAIRN_LOG(INFO) << "members: " << std::hex << id << std::dec << " promoted to voter";
      }
    }
    for (const auto& [id, learner] : known_members_) {
      if (!now.count(id))
        CAIRN_LOG(INFO) << "members: " << std::hex << id << std::dec << " removed";
    }
    CAIRN_LOG(INFO) << "members now: " << all.str();
  }
  known_members_ = std::move(now);
}

void Server::NoticeRemoval(const char* how) {
  if (removed_.exchange(true)) return;
  CAIRN_LOG(WARN) << "cairn member " << config_.name << " (id " << std::hex << member_id_
                  << std::dec << ") has been removed from the cluster (" << how << "); stopping";
}

void Server::PublishLoop() {
  const auto& urls = config_.advertise_client_urls;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(publish_mu_);
      if (publish_cv_.wait_for(lock, std::chrono::milliseconds(200),
                               [&] { return publish_stop_; })) {
        return;
      }
    }
    Result<cairnpb::MemberTable> table = replica_->store().Members();
    if (!table.ok()) continue;
    const cairnpb::MemberInfo* self = kv::FindMember(*table, member_id_);
    if (self == nullptr) continue;  // not applied here yet (a joiner catching up)
    if (self->name() == config_.name &&
        std::equal(self->client_urls().begin(), self->client_urls().end(), urls.begin(),
                   urls.end())) {
      return;  // already published (a restart with the same settings)
    }
    cairnpb::RaftRequest req;
    req.mutable_member_attributes()->set_id(member_id_);
    req.mutable_member_attributes()->set_name(config_.name);
    for (const std::string& u : urls)
      req.mutable_member_attributes()->add_client_urls(u);
    auto result = std::make_shared<std::promise<Status>>();
    std::future<Status> f = result->get_future();
    ProposeOrForward(req, [result](Result<kv::ApplyResult> r) {
      result->set_value(r.ok() ? r->status : r.status());
    });
    if (f.wait_for(std::chrono::seconds(10)) == std::future_status::ready && f.get().ok()) {
      CAIRN_LOG(INFO) << "published local member " << config_.name << " to the cluster";
      return;
    }
  }
}

Status Server::CheckMembership(const cairnpb::RaftRequest& request,
                               const cluster::MembershipView& view) const {
  return CheckMembershipChange(request.membership(), view, view.table);
}

void Server::ChangeMembers(const cairnpb::RaftRequest& request, std::function<void(Status)> done) {
  if (learner_.load()) {
    done(api::EtcdStatus(api::EtcdError::kNotSupportedForLearner));
    return;
  }
  cluster::Replica* replica = replica_.get();  // see ProposeOrForward
  ProposeOrForward(request, [replica, done = std::move(done)](Result<kv::ApplyResult> r) {
    if (!r.ok()) {
      done(api::FromConsensus(r.status()));
      return;
    }
    if (!r->status.ok()) {
      done(r->status);
      return;
    }
    // Applied on the leader; wait until this member has applied it too, so
    // the member list in the answer shows it.
    replica->ReadBarrier([done](Status) { done(Status::Ok()); });
  });
}

uint64_t Server::NewMemberId(const std::vector<std::string>& peer_urls) {
  // etcd mixes the peer URLs, the cluster and the time: re-adding a removed
  // member's URLs gives a new id.
  Result<cairnpb::MemberTable> table = replica_->store().Members();
  for (uint64_t attempt = 0;; ++attempt) {
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    uint64_t id =
        MemberId(peer_urls, config_.initial_cluster_token + "/" + std::to_string(cluster_id_) +
                                "/" + std::to_string(now) + "/" + std::to_string(attempt));
    if (!table.ok()) return id;
    const auto& removed = table->removed();
    if (kv::FindMember(*table, id) == nullptr &&
        std::find(removed.begin(), removed.end(), id) == removed.end()) {
      return id;
    }
  }
}

std::vector<api::NodeInfo::Member> Server::members() const {
  std::vector<NodeInfo::Member> out;
  Result<cairnpb::MemberTable> table = replica_->store().Members();
  if (table.ok() && !table->members().empty()) {
    for (const cairnpb::MemberInfo& m : table->members()) {
      NodeInfo::Member o;
      o.id = m.id();
      o.name = m.name();
      o.peer_urls.assign(m.peer_urls().begin(), m.peer_urls().end());
      o.client_urls.assign(m.client_urls().begin(), m.client_urls().end());
      o.is_learner = m.is_learner();
      out.push_back(std::move(o));
    }
    return out;
  }
  // Nothing applied yet (or a data directory from before the member
  // table): the initial cluster as configured.
  for (const cmd::Member& m : members_) {
    NodeInfo::Member o;
    o.id = m.id;
    o.name = m.name;
    o.peer_urls = m.peer_urls;
    if (m.id == member_id_) o.client_urls = config_.advertise_client_urls;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace cairn::cmd
