// The Replica's part in membership changes: bootstrapping a new cluster's
// membership into the log, and proposing changes one at a time on the
// leader after the server's checks (etcd's strict reconfiguration checks).
#include <future>

#include "base/logging.h"
#include "cluster/replica.h"
#include "kv/members.h"

namespace cairn::cluster {

void Replica::BootstrapLog(raft::InitialState* init) {
  // Term 1, committed from the start: every initial member writes the same
  // entries, and a member added later receives them from the leader, so the
  // membership is rebuilt from the log alone wherever it is replayed.
  std::vector<raft::Entry> entries;
  for (const raft::ConfChange& cc : options_.bootstrap) {
    raft::Entry e;
    e.term = 1;
    e.index = entries.size() + 1;
    e.type = raft::EntryType::kConfChange;
    e.data = raft::EncodeConfChange(cc);
    entries.push_back(std::move(e));
  }
  raft::HardState hs{1, raft::kNoNode, entries.size()};
  storage::GroupWrite write;
  write.group = options_.group;
  write.entries = entries;
  write.hard_state = hs;
  std::promise<Status> written;
  wal_->Submit({std::move(write)}, [&written](Status s) { written.set_value(s); });
  Status s = written.get_future().get();
  CAIRN_CHECK(s.ok()) << "group " << options_.group
                      << ": cannot write the initial membership: " << s.message();
  init->hard_state = hs;
  init->entries = std::move(entries);
  init->conf = raft::ConfState{};
}

MembershipView Replica::View() const {
  MembershipView view;
  view.leader = raft_->leader();
  const auto now = std::chrono::steady_clock::now();
  const auto recent = 2 * options_.tick * options_.election_ticks;
  for (const auto& [id, pr] : raft_->progress()) {
    PeerStatus st;
    st.match = pr.match;
    st.learner = pr.learner;
    auto heard = last_heard_.find(id);
    st.active = id == options_.id || (heard != last_heard_.end() && now - heard->second < recent);
    view.peers[id] = st;
  }
  return view;
}

void Replica::ProposeMembership(NewProposal proposal) {
  auto fail = [&](Result<kv::ApplyResult> r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --pending_count_;
    }
    proposal.done(std::move(r));
  };
  cairnpb::RaftRequest request;
  if (!request.ParseFromString(proposal.data) || !request.has_membership()) {
    fail(Status(Code::kInvalidArgument, "cairn: not a membership change"));
    return;
  }
  if (raft_->role() == raft::Role::kLeader) {
    raft::Index applied;
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied = applied_;
    }
    // The checks read the member table: it must already hold every change
    // the core has committed. Otherwise wait for the apply thread.
    if (applied < raft_->conf_index()) {
      conf_waiting_.push_back(std::move(proposal));
      return;
    }
    if (options_.check_membership) {
      MembershipView view = View();
      Result<cairnpb::MemberTable> table = store_->Members();
      Status s = table.ok() ? Status::Ok() : table.status();
      if (s.ok()) {
        view.table = std::move(*table);
        s = options_.check_membership(request, view);
      }
      if (!s.ok()) {
        // The request's own failure, answered as an applied refusal would
        // be: not to be confused with "not leader" by whoever forwards.
        kv::ApplyResult refused;
        refused.status = std::move(s);
        fail(std::move(refused));
        return;
      }
    }
  }
  raft::ConfChange cc = kv::ConfChangeOf(request.membership());
  cc.context = proposal.data;
  Result<raft::ProposalId> id = raft_->ProposeConfChange(cc);
  if (!id.ok()) {
    // One change at a time (the core refuses a second until the first
    // commits): wait for the turn rather than fail.
    if (raft_->role() == raft::Role::kLeader && id.status().code() == Code::kFailedPrecondition) {
      conf_waiting_.push_back(std::move(proposal));
      return;
    }
    fail(id.status());
    return;
  }
  CAIRN_LOG(INFO) << "group " << options_.group << ": proposed membership change "
                  << cairnpb::MembershipChange::Kind_Name(request.membership().kind())
                  << " of member " << std::hex << request.membership().member().id() << std::dec
                  << " at index " << id->index;
  std::lock_guard<std::mutex> lock(mu_);
  pending_[id->index] = Pending{id->term, std::move(proposal.done), proposal.deadline};
}

void Replica::RetryMembership() {
  std::deque<NewProposal> waiting;
  waiting.swap(conf_waiting_);
  const auto now = std::chrono::steady_clock::now();
  for (NewProposal& p : waiting) {
    if (now >= p.deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --pending_count_;
      }
      p.done(Status(Code::kUnavailable, "etcdserver: request timed out"));
      continue;
    }
    ProposeMembership(std::move(p));
  }
}

}  // namespace cairn::cluster
