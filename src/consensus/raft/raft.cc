#include "consensus/raft/raft.h"

#include <algorithm>

#include "base/logging.h"

namespace cairn::raft {
namespace {

bool IsLeaderTraffic(MessageType t) {
  return t == MessageType::kApp || t == MessageType::kHeartbeat || t == MessageType::kSnapshot ||
         t == MessageType::kTimeoutNow || t == MessageType::kReadIndexResp;
}

uint64_t BytesOf(const std::vector<Entry>& entries) {
  uint64_t bytes = 0;
  for (const auto& e : entries)
    bytes += e.ByteSize();
  return bytes;
}

}  // namespace

Raft::Raft(const Config& config, Random* random, InitialState initial)
    : cfg_(config), random_(random), log_(initial.snapshot.meta.index, initial.snapshot.meta.term) {
  CAIRN_CHECK(cfg_.id != kNoNode) << "node " << cfg_.id;
  CAIRN_CHECK(cfg_.election_ticks > cfg_.heartbeat_ticks && cfg_.heartbeat_ticks > 0)
      << "node " << cfg_.id;
  CAIRN_CHECK(!cfg_.lease_reads || cfg_.check_quorum) << "node " << cfg_.id;
  CAIRN_CHECK(random_ != nullptr) << "node " << cfg_.id;

  snapshot_ = std::make_shared<const Snapshot>(std::move(initial.snapshot));
  for (auto& e : initial.entries)
    log_.AppendAfter(e.index - 1, {e});
  log_.MarkAllStable();

  term_ = initial.hard_state.term;
  vote_ = initial.hard_state.vote;
  commit_ = std::max(initial.hard_state.commit, snapshot_->meta.index);
  CAIRN_CHECK(commit_ <= log_.LastIndex()) << "node " << cfg_.id;
  applied_ = std::max(initial.applied, snapshot_->meta.index);
  CAIRN_CHECK(applied_ <= commit_) << "node " << cfg_.id;

  // Membership: the snapshot's (or the bootstrap one), then every
  // configuration entry known committed, in order.
  SetConf(snapshot_->Empty() ? initial.conf : snapshot_->meta.conf);
  conf_history_ = {{snapshot_->meta.index, conf_}};
  for (Index i = log_.FirstIndex(); i <= commit_; i++) {
    if (log_.At(i).type == EntryType::kConfChange) ApplyConfEntry(log_.At(i));
  }
  persisted_hs_ = CurrentHardState();
  durable_term_ = term_;
  BecomeFollower(term_, kNoNode);
}

HardState Raft::CurrentHardState() const {
  HardState hs{term_, vote_, commit_};
  if (cfg_.planted_bug == PlantedBug::kForgetVote) hs.vote = kNoNode;
  return hs;
}

// ---------------------------------------------------------------- roles ---

void Raft::ResetTerm(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  votes_.clear();
  ResetElectionTimer();
  heartbeat_elapsed_ = 0;
  AbortTransfer();
  lease_revoked_ = false;
}

bool Raft::InLease() const {
  return cfg_.check_quorum &&
         ticks_ - last_leader_contact_ < static_cast<uint64_t>(cfg_.election_ticks);
}

void Raft::ResetElectionTimer() {
  election_elapsed_ = 0;
  randomized_election_ticks_ =
      cfg_.election_ticks + static_cast<int>(random_->Uniform(cfg_.election_ticks));
}

void Raft::BecomeFollower(Term term, NodeId leader) {
  if (role_ == Role::kLeader) DropPendingReads();
  ResetTerm(term);
  role_ = Role::kFollower;
  leader_ = leader;
  DropForwardedReads();
}

void Raft::DropForwardedReads() {
  // A read forwarded to a leader we no longer follow may never be answered:
  // fail it now so that the caller retries, rather than let it hang.
  for (auto it = forwarded_reads_.begin(); it != forwarded_reads_.end();) {
    if (it->second == leader_) {
      ++it;
      continue;
    }
    dropped_reads_.push_back(it->first);
    it = forwarded_reads_.erase(it);
  }
}

void Raft::BecomePreCandidate() {
  CAIRN_CHECK(role_ != Role::kLeader) << "node " << cfg_.id;
  // Term and vote stay: a pre-vote changes nothing durable, so a node that
  // cannot win does not disrupt the cluster by bumping terms.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
  DropForwardedReads();
}

void Raft::BecomeCandidate() {
  CAIRN_CHECK(role_ != Role::kLeader) << "node " << cfg_.id;
  ResetTerm(term_ + 1);
  vote_ = cfg_.id;
  role_ = Role::kCandidate;
  DropForwardedReads();
}

void Raft::BecomeLeader() {
  CAIRN_CHECK(role_ == Role::kCandidate) << "node " << cfg_.id;
  ResetTerm(term_);
  role_ = Role::kLeader;
  leader_ = cfg_.id;
  for (auto& [id, pr] : prs_) {
    const bool learner = pr.learner;
    pr = Progress(log_.LastIndex() + 1, cfg_.max_inflight_msgs, cfg_.max_inflight_bytes);
    pr.learner = learner;
    pr.recent_active = true;
  }
  prs_.at(cfg_.id).match = log_.stable_index();
  uncommitted_bytes_ = 0;
  reads_.clear();
  reads_waiting_commit_.clear();
  read_round_ = confirmed_read_round_ = 0;
  // Entries of older terms commit only through an entry of our own (§5.4.2),
  // and any configuration entry we inherit may still be uncommitted.
  pending_conf_index_ = log_.LastIndex();
  AppendLeaderEntry(EntryType::kNormal, "");
}

std::vector<Quorum> Raft::ElectionQuorums() const {
  // Membership takes effect at commit, but our log may hold configuration
  // entries whose commit we have not learned (after a restart, our durable
  // commit index can lag the entries we persisted). Any of them may already
  // be in force elsewhere, so a win needs a majority under each.
  std::vector<Quorum> quorums = {quorum_};
  ConfState conf = conf_;
  for (Index i = commit_ + 1; i <= log_.LastIndex(); i++) {
    const Entry& e = log_.At(i);
    if (e.type != EntryType::kConfChange) continue;
    auto cc = DecodeConfChange(e.data);
    if (!cc.ok()) continue;
    auto next = ApplyConfChange(conf, *cc);
    if (!next.ok()) continue;
    conf = *next;
    quorums.emplace_back(conf);
  }
  return quorums;
}

VoteResult Raft::TallyElection() const {
  VoteResult result = VoteResult::kWon;
  for (const Quorum& q : ElectionQuorums()) {
    const VoteResult r = q.Tally(votes_);
    if (r == VoteResult::kLost) return VoteResult::kLost;
    if (r == VoteResult::kPending) result = VoteResult::kPending;
  }
  return result;
}

void Raft::Campaign(CampaignKind kind) {
  if (kind == CampaignKind::kPreVote) {
    BecomePreCandidate();
  } else {
    BecomeCandidate();
  }
  const Term vote_term = kind == CampaignKind::kPreVote ? term_ + 1 : term_;
  votes_[cfg_.id] = true;
  if (TallyElection() == VoteResult::kWon) {
    if (kind == CampaignKind::kPreVote) {
      Campaign(CampaignKind::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  std::vector<NodeId> electorate;
  for (const Quorum& q : ElectionQuorums()) {
    for (NodeId id : q.AllVoters()) {
      if (std::find(electorate.begin(), electorate.end(), id) == electorate.end()) {
        electorate.push_back(id);
      }
    }
  }
  for (NodeId id : electorate) {
    if (id == cfg_.id) continue;
    Message m;
    m.type = kind == CampaignKind::kPreVote ? MessageType::kPreVote : MessageType::kVote;
    m.to = id;
    m.term = vote_term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    m.force = kind == CampaignKind::kTransfer;
    Send(std::move(m));
  }
}

// ----------------------------------------------------------------- tick ---

void Raft::Tick() {
  ticks_++;
  election_elapsed_++;
  if (role_ != Role::kLeader) {
    if (Promotable() && election_elapsed_ >= randomized_election_ticks_) {
      ResetElectionTimer();
      Campaign(cfg_.pre_vote ? CampaignKind::kPreVote : CampaignKind::kElection);
    }
    return;
  }
  heartbeat_elapsed_++;
  last_leader_contact_ = ticks_;
  if (election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      const uint64_t active = quorum_.Committed([&](NodeId id) -> uint64_t {
        auto it = prs_.find(id);
        return id == cfg_.id || (it != prs_.end() && it->second.recent_active) ? 1 : 0;
      });
      if (active == 0) {
        BecomeFollower(term_, kNoNode);
        return;
      }
      for (auto& [id, pr] : prs_)
        pr.recent_active = id == cfg_.id;
    }
    // A transfer that did not finish within an election timeout has failed.
    AbortTransfer();
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

// ----------------------------------------------------------------- step ---

Status Raft::Step(const Message& m) {
  if (m.to != cfg_.id) return Status(Code::kInvalidArgument, "message for another node");
  if (m.from == kNoNode || m.from == cfg_.id) {
    return Status(Code::kInvalidArgument, "message with an invalid sender");
  }
  if (m.type == MessageType::kApp) {
    for (size_t i = 0; i < m.entries.size(); i++) {
      const Entry& e = m.entries[i];
      const Term prev_term = i == 0 ? m.log_term : m.entries[i - 1].term;
      if (e.index != m.index + 1 + i || e.term < prev_term || e.term > m.term) {
        return Status(Code::kInvalidArgument, "malformed append");
      }
    }
  }
  if ((m.type == MessageType::kVote || m.type == MessageType::kPreVote) && m.term >= term_ &&
      !m.force && InLease()) {
    // Leader stickiness: while we hear from a leader (or may have, just
    // before a restart) we refuse to help depose it, whatever term the
    // request or we are at. Leader leases rest on this. A transfer's
    // campaign (force) is invited by the leader itself.
    return Status::Ok();
  }
  if (m.term > term_) {
    if (m.type == MessageType::kPreVote) {
      // A pre-vote at a higher term changes nothing here.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // Granted for the term we would campaign in; not a newer term.
    } else if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnapshot) {
      BecomeFollower(m.term, m.from);
    } else {
      BecomeFollower(m.term, kNoNode);
    }
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat)) {
      // A deposed leader that missed the election: our term makes it step
      // down instead of disrupting us with elections later. It is a
      // rejection: if the sender has meanwhile become leader of our term,
      // it must not read this as an acknowledgement of index 0.
      Message resp;
      resp.type = MessageType::kAppResp;
      resp.to = m.from;
      resp.reject = true;  // of index 0, which no probe can be waiting on
      Send(std::move(resp));
    } else if (m.type == MessageType::kPreVote) {
      Message resp;
      resp.type = MessageType::kPreVoteResp;
      resp.to = m.from;
      resp.reject = true;
      Send(std::move(resp));
    }
    return Status::Ok();
  }

  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    HandleVoteRequest(m);
    return Status::Ok();
  }
  switch (role_) {
    case Role::kLeader:
      StepLeader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      StepCandidate(m);
      break;
    case Role::kFollower:
      StepFollower(m);
      break;
  }
  return Status::Ok();
}

void Raft::HandleVoteRequest(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  Message resp;
  resp.type = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  resp.to = m.from;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    // A pre-vote grant is for the term the candidate would campaign in.
    resp.term = m.term;
    if (!pre) {
      vote_ = m.from;
      ResetElectionTimer();
    }
  } else {
    resp.term = term_;
    resp.reject = true;
  }
  Send(std::move(resp));
}

void Raft::StepLeader(const Message& m) {
  if (m.type == MessageType::kReadIndex) {
    HandleReadRequest(m.context, m.from);
    return;
  }
  auto it = prs_.find(m.from);
  if (it == prs_.end()) return;  // not (or no longer) a member
  Progress& pr = it->second;
  switch (m.type) {
    case MessageType::kAppResp:
      pr.recent_active = true;
      pr.acked_lease_tick = std::max(pr.acked_lease_tick, m.lease_tick);
      HandleAppendResponse(m, pr);
      break;
    case MessageType::kHeartbeatResp:
      pr.recent_active = true;
      pr.acked_lease_tick = std::max(pr.acked_lease_tick, m.lease_tick);
      HandleHeartbeatResponse(m, pr);
      break;
    case MessageType::kSnapshotResp:
      pr.recent_active = true;
      HandleSnapshotResponse(m, pr);
      break;
    default:
      break;  // e.g. vote responses that arrive after we won
  }
}

void Raft::HandleAppendResponse(const Message& m, Progress& pr) {
  if (m.reject) {
    Index hint = m.reject_hint;
    if (m.hint_term > 0) hint = log_.FindConflictByTerm(m.reject_hint, m.hint_term);
    if (pr.MaybeDecrease(m.index, hint)) SendAppend(m.from, false);
    return;
  }
  const bool updated = pr.MaybeUpdate(m.index);
  switch (pr.state) {
    case Progress::State::kProbe:
      pr.BecomeReplicate();
      break;
    case Progress::State::kSnapshot:
      if (pr.match >= pr.snapshot_index) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case Progress::State::kReplicate:
      pr.inflights.FreeUpTo(m.index);
      break;
  }
  if (updated && MaybeCommit()) needs_broadcast_ = true;
  // Committing may have applied a configuration change that removed us or
  // the follower (and its Progress with it).
  if (role_ != Role::kLeader || prs_.count(m.from) == 0) return;
  SendAppendsWhilePossible(m.from);
  if (m.from == transferee_ && prs_.at(m.from).match == log_.LastIndex()) SendTimeoutNow(m.from);
}

void Raft::HandleHeartbeatResponse(const Message& m, Progress& pr) {
  pr.acked_read_round = std::max(pr.acked_read_round, m.read_round);
  pr.probe_sent = false;
  if (pr.state == Progress::State::kSnapshot) {
    // Resend the chunk in flight in case it was lost.
    SendSnapshotChunk(m.from);
  } else if (pr.match < log_.LastIndex()) {
    // Appends in flight may have been lost. Free a slot and send anyway: a
    // follower missing entries rejects, and the rejection restarts probing.
    if (pr.inflights.Full()) pr.inflights.FreeFirstOne();
    SendAppend(m.from, true);
  }
  ConfirmReadRounds();
}

void Raft::HandleSnapshotResponse(const Message& m, Progress& pr) {
  if (pr.state != Progress::State::kSnapshot || m.index != pr.snapshot_index) return;
  if (m.reject) {
    pr.BecomeProbe();
    return;
  }
  pr.snapshot_acked = m.snapshot_offset;
  SendSnapshotChunk(m.from);
}

void Raft::StepCandidate(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // Someone won this term.
      BecomeFollower(m.term, m.from);
      StepFollower(m);
      return;
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp: {
      const bool mine = (m.type == MessageType::kPreVoteResp) == (role_ == Role::kPreCandidate);
      if (!mine) return;
      votes_[m.from] = !m.reject;
      const VoteResult result = TallyElection();
      if (result == VoteResult::kWon) {
        if (role_ == Role::kPreCandidate) {
          Campaign(CampaignKind::kElection);
        } else {
          BecomeLeader();
        }
      } else if (result == VoteResult::kLost) {
        BecomeFollower(term_, kNoNode);
      }
      return;
    }
    case MessageType::kTimeoutNow:
    case MessageType::kReadIndex:
    case MessageType::kReadIndexResp:
      StepFollower(m);
      return;
    default:
      return;
  }
}

void Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      ResetElectionTimer();
      leader_ = m.from;
      last_leader_contact_ = ticks_;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      ResetElectionTimer();
      leader_ = m.from;
      last_leader_contact_ = ticks_;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      ResetElectionTimer();
      leader_ = m.from;
      last_leader_contact_ = ticks_;
      HandleSnapshotChunk(m);
      break;
    case MessageType::kTimeoutNow:
      if (Promotable()) Campaign(CampaignKind::kTransfer);
      break;
    case MessageType::kReadIndexResp: {
      auto it = forwarded_reads_.find(m.context);
      if (it == forwarded_reads_.end()) break;  // a duplicate, or already dropped
      forwarded_reads_.erase(it);
      if (m.reject) {
        dropped_reads_.push_back(m.context);
      } else {
        read_states_.push_back({m.context, m.index});
      }
      break;
    }
    case MessageType::kReadIndex: {
      // Not the leader (any more): tell the asker to retry.
      Message resp;
      resp.type = MessageType::kReadIndexResp;
      resp.to = m.from;
      resp.context = m.context;
      resp.reject = true;
      Send(std::move(resp));
      break;
    }
    default:
      break;
  }
}

void Raft::HandleAppend(const Message& m) {
  Message resp;
  resp.type = MessageType::kAppResp;
  resp.to = m.from;
  resp.lease_tick = m.lease_tick;
  if (m.index < commit_) {
    // Everything up to our commit index is settled; start from there.
    resp.index = commit_;
    Send(std::move(resp));
    return;
  }
  bool matches = log_.Matches(m.index, m.log_term);
  if (cfg_.planted_bug == PlantedBug::kAcceptAppendWithoutMatch) {
    matches = m.index <= log_.LastIndex();
  }
  if (!matches) {
    resp.index = m.index;
    resp.reject = true;
    resp.reject_hint = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
    resp.hint_term = log_.TermAt(resp.reject_hint).value_or(0);
    Send(std::move(resp));
    return;
  }
  const Index last_new = log_.AppendAfter(m.index, m.entries);
  const Index new_commit = std::min(m.commit, last_new);
  if (new_commit > commit_) AdvanceCommit(new_commit);
  resp.index = last_new;
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const Message& m) {
  // The leader never sends a commit index beyond what we match.
  const Index new_commit = std::min(m.commit, log_.LastIndex());
  if (new_commit > commit_) AdvanceCommit(new_commit);
  Message resp;
  resp.type = MessageType::kHeartbeatResp;
  resp.to = m.from;
  resp.lease_tick = m.lease_tick;
  resp.read_round = m.read_round;
  Send(std::move(resp));
}

void Raft::HandleSnapshotChunk(const Message& m) {
  const SnapshotMeta& meta = m.snapshot_meta;
  auto reply_offset = [&](uint64_t offset, bool reject) {
    Message resp;
    resp.type = MessageType::kSnapshotResp;
    resp.to = m.from;
    resp.index = meta.index;
    resp.snapshot_offset = offset;
    resp.reject = reject;
    Send(std::move(resp));
  };
  if (meta.index <= commit_) {
    incoming_data_.clear();
    incoming_meta_ = {};
    Message resp;
    resp.type = MessageType::kAppResp;
    resp.to = m.from;
    resp.index = commit_;
    Send(std::move(resp));
    return;
  }
  if (!(incoming_meta_ == meta) || m.snapshot_offset == 0) {
    incoming_meta_ = meta;
    incoming_data_.clear();
  }
  if (m.snapshot_offset != incoming_data_.size()) {
    reply_offset(incoming_data_.size(), false);
    return;
  }
  incoming_data_ += m.snapshot_chunk;
  if (!m.snapshot_done) {
    reply_offset(incoming_data_.size(), false);
    return;
  }
  Snapshot snap{meta, std::move(incoming_data_)};
  incoming_data_.clear();
  incoming_meta_ = {};
  RestoreSnapshot(snap);
  Message resp;
  resp.type = MessageType::kAppResp;
  resp.to = m.from;
  // Entries after the snapshot index were not checked against the leader.
  resp.index = meta.index;
  Send(std::move(resp));
}

bool Raft::RestoreSnapshot(const Snapshot& snap) {
  if (snap.meta.index <= commit_) return false;
  if (log_.Matches(snap.meta.index, snap.meta.term)) {
    // We already hold the snapshot's entries: committing them is enough.
    AdvanceCommit(snap.meta.index);
    return false;
  }
  log_.Restore(snap.meta.index, snap.meta.term);
  commit_ = snap.meta.index;
  applied_ = snap.meta.index;
  snapshot_ = std::make_shared<const Snapshot>(snap);
  pending_install_ = snap;
  SetConf(snap.meta.conf);
  conf_history_ = {{snap.meta.index, conf_}};
  return true;
}

// ---------------------------------------------------------- replication ---

void Raft::Send(Message m) {
  m.from = cfg_.id;
  if (m.term == 0) m.term = term_;
  CAIRN_CHECK(m.to != cfg_.id && m.to != kNoNode) << "node " << cfg_.id;
  // Leader traffic carries only entries the leader already holds; it may go
  // before the leader's own write is durable (Raft thesis §10.2.1). Anything
  // else may vouch for our durable state and waits for it.
  if (role_ == Role::kLeader && IsLeaderTraffic(m.type) && durable_term_ == term_) {
    msgs_.push_back(std::move(m));
  } else {
    msgs_after_persist_.push_back(std::move(m));
  }
}

bool Raft::SendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = prs_.at(to);
  if (pr.Paused()) return false;
  const Index prev = pr.next - 1;
  const auto prev_term = log_.TermAt(prev);
  if (!prev_term.has_value()) {
    // The follower needs entries we compacted: send the snapshot instead.
    CAIRN_CHECK(!snapshot_->Empty()) << "node " << cfg_.id;
    pr.BecomeSnapshot(snapshot_);
    SendSnapshotChunk(to);
    return false;
  }
  Message m;
  m.type = MessageType::kApp;
  m.to = to;
  m.index = prev;
  m.log_term = *prev_term;
  m.entries = log_.Slice(pr.next, log_.LastIndex() + 1, cfg_.max_msg_bytes);
  if (m.entries.empty() && !send_if_empty && pr.state == Progress::State::kReplicate) return false;
  m.commit = commit_;
  m.lease_tick = ticks_;
  const Index last = m.entries.empty() ? prev : m.entries.back().index;
  if (!m.entries.empty() || pr.state == Progress::State::kProbe) {
    pr.SentEntries(last, BytesOf(m.entries));
  }
  Send(std::move(m));
  return true;
}

void Raft::SendAppendsWhilePossible(NodeId to) {
  // A probe gets one message; a replicating follower as many as the window
  // allows.
  while (prs_.at(to).next <= log_.LastIndex() && SendAppend(to, false)) {
    if (prs_.at(to).state != Progress::State::kReplicate) break;
  }
}

void Raft::SendSnapshotChunk(NodeId to) {
  Progress& pr = prs_.at(to);
  // The transfer keeps the snapshot it started with: restarting it whenever
  // a newer one is taken would never finish under steady writes.
  if (!pr.snapshot) pr.BecomeSnapshot(snapshot_);
  const Snapshot& snap = *pr.snapshot;
  const uint64_t offset = std::min<uint64_t>(pr.snapshot_acked, snap.data.size());
  Message m;
  m.type = MessageType::kSnapshot;
  m.to = to;
  m.snapshot_meta = snap.meta;
  m.snapshot_offset = offset;
  m.snapshot_chunk = snap.data.substr(offset, cfg_.max_snapshot_chunk_bytes);
  m.snapshot_done = offset + m.snapshot_chunk.size() == snap.data.size();
  Send(std::move(m));
}

void Raft::BroadcastAppend() {
  for (auto& [id, pr] : prs_) {
    if (id == cfg_.id) continue;
    if (!SendAppend(id, true)) continue;
    SendAppendsWhilePossible(id);
  }
}

void Raft::BroadcastHeartbeat() {
  for (auto& [id, pr] : prs_) {
    if (id == cfg_.id) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = id;
    m.commit = std::min(pr.match, commit_);
    m.lease_tick = ticks_;
    m.read_round = read_round_;
    Send(std::move(m));
  }
}

void Raft::SendTimeoutNow(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

bool Raft::MaybeCommit() {
  prs_.at(cfg_.id).match = log_.stable_index();
  const Index quorum_index = quorum_.Committed([&](NodeId id) -> uint64_t {
    auto it = prs_.find(id);
    return it == prs_.end() ? 0 : it->second.match;
  });
  if (quorum_index <= commit_) return false;
  // Raft §5.4.2: counting replicas proves only entries of the current term
  // committed; older ones commit along with them.
  if (log_.TermAt(quorum_index) != term_ && cfg_.planted_bug != PlantedBug::kCommitPreviousTerm) {
    return false;
  }
  AdvanceCommit(quorum_index);
  return true;
}

void Raft::AdvanceCommit(Index index) {
  CAIRN_CHECK(index > commit_ && index <= log_.LastIndex()) << "node " << cfg_.id;
  const Index old_commit = commit_;
  const bool had_own_term_commit = CommittedInCurrentTerm();
  commit_ = index;
  for (Index i = std::max(old_commit + 1, log_.FirstIndex()); i <= index; i++) {
    const Entry& e = log_.At(i);
    if (role_ == Role::kLeader && e.term == term_) {
      uncommitted_bytes_ -= std::min(uncommitted_bytes_, e.ByteSize());
    }
    if (e.type == EntryType::kConfChange) ApplyConfEntry(e);
  }
  // Auto-leave belongs to the configuration, not to the leader that entered
  // it: a leader that inherited a joint configuration leaves it itself.
  if (role_ == Role::kLeader && conf_.Joint() && conf_.auto_leave &&
      pending_conf_index_ <= commit_) {
    AppendLeaderEntry(EntryType::kConfChange, EncodeConfChange({}));
  }
  if (role_ == Role::kLeader && !had_own_term_commit && CommittedInCurrentTerm()) {
    auto waiting = std::move(reads_waiting_commit_);
    reads_waiting_commit_.clear();
    for (const auto& r : waiting)
      HandleReadRequest(r.context, r.from);
  }
}

bool Raft::CommittedInCurrentTerm() const {
  return log_.TermAt(commit_) == term_;
}

void Raft::AppendLeaderEntry(EntryType type, std::string data) {
  Entry e;
  e.term = term_;
  e.index = log_.LastIndex() + 1;
  e.type = type;
  e.data = std::move(data);
  uncommitted_bytes_ += e.ByteSize();
  if (type == EntryType::kConfChange) pending_conf_index_ = e.index;
  log_.Append(std::move(e));
  needs_broadcast_ = true;
}

// ----------------------------------------------------------- membership ---

void Raft::ApplyConfEntry(const Entry& entry) {
  auto cc = DecodeConfChange(entry.data);
  if (!cc.ok()) return;  // every node skips the same malformed entry
  auto next = ApplyConfChange(conf_, *cc);
  if (!next.ok()) return;  // refused the same way on every node
  SetConf(*next);
  conf_history_.emplace_back(entry.index, conf_);
  if (role_ != Role::kLeader) return;
  if (!quorum_.IsVoter(cfg_.id)) {
    // Removed (or demoted) once the change committed: hand over by stepping
    // down; the remaining voters elect a leader among themselves.
    BecomeFollower(term_, kNoNode);
    return;
  }
  if (transferee_ != kNoNode && !quorum_.IsVoter(transferee_)) AbortTransfer();
  if (conf_.Joint() && conf_.auto_leave)
    AppendLeaderEntry(EntryType::kConfChange, EncodeConfChange({}));
  // A smaller quorum may already have what a larger one lacked.
  if (MaybeCommit()) needs_broadcast_ = true;
}

void Raft::SetConf(const ConfState& conf) {
  conf_ = conf;
  quorum_ = Quorum(conf_);
  std::vector<NodeId> members = quorum_.AllVoters();
  for (NodeId id : conf_.learners)
    members.push_back(id);
  for (auto it = prs_.begin(); it != prs_.end();) {
    const bool keep = std::find(members.begin(), members.end(), it->first) != members.end() ||
                      it->first == cfg_.id;
    it = keep ? std::next(it) : prs_.erase(it);
  }
  for (NodeId id : members) {
    auto it = prs_.find(id);
    if (it == prs_.end()) {
      it = prs_.emplace(id, Progress(log_.LastIndex() + 1, cfg_.max_inflight_msgs,
                                     cfg_.max_inflight_bytes))
               .first;
      it->second.recent_active = true;
    }
    it->second.learner = !quorum_.IsVoter(id);
  }
  if (prs_.find(cfg_.id) == prs_.end()) {
    prs_.emplace(cfg_.id,
                 Progress(log_.LastIndex() + 1, cfg_.max_inflight_msgs, cfg_.max_inflight_bytes));
  }
}

ConfState Raft::ConfAt(Index index) const {
  ConfState conf = conf_history_.front().second;
  for (const auto& [i, c] : conf_history_) {
    if (i > index) break;
    conf = c;
  }
  return conf;
}

// ------------------------------------------------------------ proposals ---

Result<ProposalId> Raft::Propose(std::string data) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return Status(Code::kUnavailable, "no leader");
    return Status(Code::kFailedPrecondition, "not leader; leader is " + std::to_string(leader_));
  }
  if (transferee_ != kNoNode) {
    return Status(Code::kUnavailable, "leadership transfer in progress");
  }
  if (uncommitted_bytes_ > 0 && uncommitted_bytes_ + data.size() > cfg_.max_uncommitted_bytes) {
    return Status(Code::kResourceExhausted, "too many uncommitted bytes; retry later");
  }
  AppendLeaderEntry(EntryType::kNormal, std::move(data));
  return ProposalId{term_, log_.LastIndex()};
}

Result<ProposalId> Raft::ProposeConfChange(const ConfChange& cc) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return Status(Code::kUnavailable, "no leader");
    return Status(Code::kFailedPrecondition, "not leader; leader is " + std::to_string(leader_));
  }
  if (transferee_ != kNoNode) return Status(Code::kUnavailable, "leadership transfer in progress");
  if (pending_conf_index_ > commit_) {
    return Status(Code::kFailedPrecondition, "a configuration change is already in progress");
  }
  auto next = ApplyConfChange(conf_, cc);
  if (!next.ok()) return next.status();
  AppendLeaderEntry(EntryType::kConfChange, EncodeConfChange(cc));
  return ProposalId{term_, log_.LastIndex()};
}

Status Raft::TransferLeadership(NodeId target) {
  if (role_ != Role::kLeader) return Status(Code::kFailedPrecondition, "not leader");
  if (target == cfg_.id) return Status::Ok();
  if (!quorum_.IsVoter(target)) {
    return Status(Code::kInvalidArgument, "transfer target is not a voter");
  }
  if (transferee_ == target) return Status::Ok();
  AbortTransfer();
  transferee_ = target;
  election_elapsed_ = 0;
  // The target will campaign with `force`, which overrides the followers'
  // lease protection; our lease no longer proves anything this term.
  lease_revoked_ = true;
  if (prs_.at(target).match == log_.LastIndex()) {
    SendTimeoutNow(target);
  } else {
    SendAppend(target, false);
  }
  return Status::Ok();
}

void Raft::AbortTransfer() {
  transferee_ = kNoNode;
}

// ---------------------------------------------------------------- reads ---

Status Raft::ReadIndex(uint64_t context) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return Status(Code::kUnavailable, "no leader");
    Message m;
    m.type = MessageType::kReadIndex;
    m.to = leader_;
    m.context = context;
    Send(std::move(m));
    forwarded_reads_[context] = leader_;
    return Status::Ok();
  }
  HandleReadRequest(context, cfg_.id);
  return Status::Ok();
}

void Raft::HandleReadRequest(uint64_t context, NodeId from) {
  PendingRead read{context, from, commit_, 0};
  if (cfg_.planted_bug == PlantedBug::kReadIndexNoHeartbeat) {
    AnswerRead(read);
    return;
  }
  if (!CommittedInCurrentTerm()) {
    // Until an entry of our term commits we do not know the commit index
    // that every earlier leader's acknowledged writes reached.
    reads_waiting_commit_.push_back(read);
    return;
  }
  if (quorum_.SingleVoter() && quorum_.IsVoter(cfg_.id)) {
    AnswerRead(read);
    return;
  }
  if (LeaseValid()) {
    AnswerRead(read);
    return;
  }
  reads_.push_back(read);
  MaybeStartReadRound();
}

void Raft::AnswerRead(const PendingRead& read) {
  if (read.from == cfg_.id) {
    read_states_.push_back({read.context, read.index});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResp;
  m.to = read.from;
  m.context = read.context;
  m.index = read.index;
  Send(std::move(m));
}

void Raft::MaybeStartReadRound() {
  // One round in flight at a time: every read that arrives meanwhile shares
  // the next round, so a burst of reads costs one heartbeat each way.
  if (read_round_ != confirmed_read_round_) {
    // The round's heartbeats leave with the next Ready, after this read
    // arrived: their acknowledgements confirm it too.
    if (read_round_unsent_) {
      for (auto& r : reads_) {
        if (r.round == 0) r.round = read_round_;
      }
    }
    return;
  }
  bool unassigned = false;
  for (auto& r : reads_) {
    if (r.round == 0) {
      r.round = read_round_ + 1;
      unassigned = true;
    }
  }
  if (!unassigned) return;
  read_round_++;
  read_round_unsent_ = true;
  BroadcastHeartbeat();
}

void Raft::ConfirmReadRounds() {
  if (read_round_ == confirmed_read_round_) return;
  const uint64_t confirmed = quorum_.Committed([&](NodeId id) -> uint64_t {
    if (id == cfg_.id) return read_round_;
    auto it = prs_.find(id);
    return it == prs_.end() ? 0 : it->second.acked_read_round;
  });
  if (confirmed <= confirmed_read_round_) return;
  confirmed_read_round_ = std::min(confirmed, read_round_);
  while (!reads_.empty() && reads_.front().round != 0 &&
         reads_.front().round <= confirmed_read_round_) {
    AnswerRead(reads_.front());
    reads_.pop_front();
  }
  MaybeStartReadRound();
}

void Raft::DropPendingReads() {
  auto drop = [&](const PendingRead& r) {
    if (r.from == cfg_.id) {
      dropped_reads_.push_back(r.context);
      return;
    }
    Message m;
    m.type = MessageType::kReadIndexResp;
    m.to = r.from;
    m.context = r.context;
    m.reject = true;
    Send(std::move(m));
  };
  for (const auto& r : reads_)
    drop(r);
  for (const auto& r : reads_waiting_commit_)
    drop(r);
  reads_.clear();
  reads_waiting_commit_.clear();
}

bool Raft::LeaseValid() const {
  if (role_ != Role::kLeader || !cfg_.lease_reads || lease_revoked_) return false;
  if (!CommittedInCurrentTerm()) return false;
  // The tick at which a quorum last confirmed us; followers refuse to vote
  // for anyone else for election_ticks of their own time after that.
  const uint64_t lease_start = quorum_.Committed([&](NodeId id) -> uint64_t {
    if (id == cfg_.id) return ticks_;
    auto it = prs_.find(id);
    return it == prs_.end() ? 0 : it->second.acked_lease_tick;
  });
  if (lease_start == 0) return false;
  const int window = cfg_.election_ticks - cfg_.lease_drift_ticks;
  return window > 0 && ticks_ < lease_start + static_cast<uint64_t>(window);
}

// ---------------------------------------------------------------- ready ---

bool Raft::HasReady() const {
  return needs_broadcast_ || !msgs_.empty() || !msgs_after_persist_.empty() ||
         !read_states_.empty() || !dropped_reads_.empty() || pending_install_.has_value() ||
         !(CurrentHardState() == persisted_hs_) || log_.stable_index() < log_.LastIndex() ||
         commit_ > applied_;
}

Ready Raft::GetReady() {
  CAIRN_CHECK(!ready_outstanding_) << "node " << cfg_.id;
  if (needs_broadcast_ && role_ == Role::kLeader) BroadcastAppend();
  needs_broadcast_ = false;
  Ready rd;
  const HardState hs = CurrentHardState();
  if (!(hs == persisted_hs_)) rd.hard_state = hs;
  rd.entries = log_.Unstable();
  if (pending_install_) rd.snapshot = *pending_install_;
  for (Index i = std::max(applied_ + 1, log_.FirstIndex()); i <= commit_; i++) {
    rd.committed_entries.push_back(log_.At(i));
  }
  rd.messages = std::move(msgs_);
  rd.persisted_messages = std::move(msgs_after_persist_);
  rd.read_states = std::move(read_states_);
  rd.dropped_reads = std::move(dropped_reads_);
  msgs_.clear();
  msgs_after_persist_.clear();
  read_round_unsent_ = false;
  read_states_.clear();
  dropped_reads_.clear();

  ready_outstanding_ = true;
  ready_last_entry_.reset();
  if (!rd.entries.empty()) ready_last_entry_ = rd.entries.back();
  ready_last_committed_ = rd.committed_entries.empty() ? 0 : rd.committed_entries.back().index;
  ready_snapshot_index_ = rd.snapshot ? rd.snapshot->meta.index : 0;
  ready_term_ = hs.term;
  if (rd.hard_state) persisted_hs_ = *rd.hard_state;
  return rd;
}

void Raft::Advance() {
  CAIRN_CHECK(ready_outstanding_) << "node " << cfg_.id;
  ready_outstanding_ = false;
  if (ready_last_entry_) log_.StableTo(ready_last_entry_->index, ready_last_entry_->term);
  applied_ = std::max(applied_, ready_last_committed_);
  if (pending_install_ && pending_install_->meta.index == ready_snapshot_index_) {
    pending_install_.reset();
  }
  durable_term_ = ready_term_;
  if (role_ == Role::kLeader && MaybeCommit()) needs_broadcast_ = true;
}

// ------------------------------------------------------------ snapshots ---

Status Raft::CreateSnapshot(Index index, std::string data) {
  if (index > applied_) {
    return Status(Code::kInvalidArgument, "snapshot index beyond the applied index");
  }
  if (index <= snapshot_->meta.index) {
    return Status(Code::kAlreadyExists, "a snapshot at or after this index exists");
  }
  Snapshot snap;
  snap.meta.index = index;
  snap.meta.term = *log_.TermAt(index);
  snap.meta.conf = ConfAt(index);
  snap.data = std::move(data);
  snapshot_ = std::make_shared<const Snapshot>(std::move(snap));
  // Keep a tail of entries before the snapshot, so that a follower slightly
  // behind (or one finishing an older snapshot) catches up from the log.
  if (index > cfg_.compaction_keep_entries) log_.CompactTo(index - cfg_.compaction_keep_entries);
  // Keep the membership in force at the snapshot and every later change.
  std::vector<std::pair<Index, ConfState>> kept = {{index, snapshot_->meta.conf}};
  for (const auto& entry : conf_history_) {
    if (entry.first > index) kept.push_back(entry);
  }
  conf_history_ = std::move(kept);
  return Status::Ok();
}

std::string Raft::Describe() const {
  std::string s = "node " + std::to_string(cfg_.id) + " " + RoleName(role_) + " term " +
                  std::to_string(term_) + " leader " + std::to_string(leader_) + " commit " +
                  std::to_string(commit_) + " applied " + std::to_string(applied_) + " last " +
                  std::to_string(log_.LastIndex()) + " " + ConfStateToString(conf_);
  return s;
}

}  // namespace cairn::raft
