#include "cluster/replica.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/logging.h"
#include "kv/members.h"

namespace cairn::cluster {

namespace {

// etcd answers a request it could not finish in time with this.
Status RequestTimedOut() {
  return Status(Code::kUnavailable, "etcdserver: request timed out");
}

Status LeaderChanged() {
  return Status(Code::kUnavailable, "etcdserver: leader changed");
}

}  // namespace

Result<std::unique_ptr<Replica>> Replica::Open(ReplicaOptions options, storage::Wal* wal,
                                               Transport* transport) {
  std::unique_ptr<Replica> r(new Replica(std::move(options), wal, transport));
  if (Status s = r->Start(); !s.ok()) return s;
  return r;
}

Replica::Replica(ReplicaOptions options, storage::Wal* wal, Transport* transport)
    : options_(std::move(options)),
      paths_(options_.state_dir),
      request_timeout_(options_.request_timeout.count() > 0
                           ? std::chrono::steady_clock::duration(options_.request_timeout)
                           : std::chrono::seconds(5) + 2 * options_.tick * options_.election_ticks),
      wal_(wal),
      transport_(transport),
      random_(options_.seed),
      slow_writes_(options_.slow_request,
                   [group = options_.group](const std::string& line) {
                     CAIRN_LOG(WARN) << "group " << group << ": " << line;
                   }),
      slow_reads_(options_.slow_request, [group = options_.group](const std::string& line) {
        CAIRN_LOG(WARN) << "group " << group << ": " << line;
      }) {}

Status Replica::Start() {
  kv::MvccOptions store_options;
  // The planted ack-before-fsync bug (see Wal::acks_before_sync), part 2:
  // the state machine is as volatile as the log (RocksDB without its log),
  // so that a member killed with acknowledged writes in memory loses them
  // from both and restarts cleanly, instead of holding applied entries its
  // log lacks (a commit index past its last entry, which the core refuses).
  store_options.engine.unsafe_no_log = wal_->acks_before_sync();
  store_options.commit_seconds = options_.backend_commit_seconds;
  Result<std::unique_ptr<kv::MvccStore>> store =
      kv::MvccStore::Open(options_.state_dir, store_options);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);

  raft::InitialState init;
  init.conf.voters = options_.initial_voters;
  if (std::optional<storage::Wal::GroupState> g = wal_->Group(options_.group)) {
    if (g->snapshot.index > store_->applied_index()) {
      // The WAL recorded a snapshot from the leader that the store never
      // took in: it must still be waiting as the pending archive.
      std::string pending = paths_.Pending(g->snapshot.index);
      if (!std::filesystem::exists(pending) && std::filesystem::exists(paths_.legacy_pending)) {
        pending = paths_.legacy_pending;
      }
      if (!std::filesystem::exists(pending)) {
        return Status(Code::kDataLoss,
                      "group " + std::to_string(options_.group) + ": the log starts after a " +
                          "snapshot at index " + std::to_string(g->snapshot.index) +
                          " but the state machine is at " +
                          std::to_string(store_->applied_index()) + " and " + pending +
                          " is missing; remove this member's data directory and re-add it");
      }
      if (Status s = RestorePending(*store_, pending, g->snapshot.index, paths_); !s.ok()) {
        return s;
      }
      CAIRN_LOG(WARN) << "group " << options_.group << ": finished installing the snapshot at "
                      << g->snapshot.index << " that a restart interrupted";
    }
    init.hard_state = g->hard_state;
    init.snapshot.meta = g->snapshot;
    last_snapshot_ = g->snapshot.index;
    if (g->snapshot.index > 0) {
      // Followers that need a snapshot get the state as it is now (at or
      // after the snapshot point; they skip entries it already holds).
      Result<std::string> data = PackStore(*store_, paths_);
      if (!data.ok()) return data.status();
      init.snapshot.data = std::move(*data);
    }
    if (g->last_index >= g->first_index) {
      Result<std::vector<raft::Entry>> entries =
          wal_->Entries(options_.group, g->first_index, g->last_index + 1);
      if (!entries.ok()) return entries.status();
      init.entries = std::move(*entries);
    }
  } else if (!options_.bootstrap.empty()) {
    BootstrapLog(&init);
  }
  init.applied = store_->applied_index();
  applied_ = init.applied;
  // The commit index is written lazily (HandleReady), so the state machine
  // may have applied past the one on disk; what it applied was committed.
  init.hard_state.commit = std::max(init.hard_state.commit, init.applied);
  if (wal_->acks_before_sync()) {
    // Part 3: the commit index on disk may count entries that the other
    // members never wrote; a leader elected without them would hear it from
    // this member and could not answer (the core expects every committed
    // entry on every later leader). Start from what the store holds (only
    // checkpoints make it durable, after the WAL: MaybeSnapshot) and the
    // membership changes the log holds as committed; the leader tells the
    // rest again.
    raft::Index commit = init.applied;
    for (const raft::Entry& e : init.entries) {
      if (e.type == raft::EntryType::kConfChange && e.index <= init.hard_state.commit) {
        commit = std::max(commit, e.index);
      }
    }
    init.hard_state.commit = commit;
  }
  written_hs_ = init.hard_state;

  raft::Config config;
  config.id = options_.id;
  config.election_ticks = options_.election_ticks;
  config.heartbeat_ticks = 1;
  config.pre_vote = true;
  config.check_quorum = true;
  config.compaction_keep_entries = options_.compaction_keep_entries;
  raft_ = std::make_unique<raft::Raft>(config, &random_, std::move(init));
  info_ = Info{raft_->role(), raft_->term(), raft_->leader(), raft_->commit(), applied_};

  loop_ = std::thread([this] { Loop(); });
  applier_ = std::thread([this] { ApplyLoop(); });
  return Status::Ok();
}

Replica::~Replica() {
  Stop();
}

void Replica::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  {
    std::lock_guard<std::mutex> lock(apply_mu_);
    apply_stopping_ = true;
  }
  apply_cv_.notify_all();
  if (applier_.joinable()) applier_.join();
  {
    // The WAL answers every submission (done, failed or closed) and outlives
    // the replica.
    std::unique_lock<std::mutex> lock(wal_mu_);
    wal_cv_.wait(lock, [&] { return wal_inflight_ == 0; });
  }
  for (NewProposal& p : conf_waiting_)
    p.done(Status(Code::kUnavailable, "etcdserver: server stopped"));
  conf_waiting_.clear();
  FailEverything(Status(Code::kUnavailable, "etcdserver: server stopped"));
}

void Replica::Post(Event event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.push_back(std::move(event));
  }
  cv_.notify_one();
}

void Replica::Receive(std::vector<raft::Message> messages) {
  Post(std::move(messages));
}

void Replica::Propose(const cairnpb::RaftRequest& request, ProposeDone done) {
  // Refusals are answered after unlocking: `done` may propose again.
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = Status(Code::kUnavailable, "etcdserver: server stopped");
    } else if (!fatal_.ok()) {
      refused = fatal_;
    } else if (pending_count_ >= options_.max_pending) {
      refused = Status(Code::kResourceExhausted, "etcdserver: too many requests");
    } else {
      ++pending_count_;
    }
  }
  if (!refused.ok()) {
    done(refused);
    return;
  }
  Post(NewProposal{request.SerializeAsString(), std::move(done), request.has_membership(),
                   std::chrono::steady_clock::now() + request_timeout_});
}

bool Replica::HandOverLeadership(std::chrono::milliseconds timeout) {
  if (info().role != raft::Role::kLeader) return true;
  Post(HandOver{});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    Info now = info();
    if (now.role != raft::Role::kLeader && now.leader != options_.id) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void Replica::TransferLeadership(raft::NodeId target, std::function<void(Status)> started) {
  Post(TransferTo{target, std::move(started)});
}

void Replica::RunOnApplyThread(std::function<void(kv::MvccStore&)> fn) {
  {
    std::lock_guard<std::mutex> lock(apply_mu_);
    apply_queue_.push_back(ApplyTask(std::move(fn)));
  }
  apply_cv_.notify_one();
}

void Replica::ReadBarrier(ReadDone done) {
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fatal_.ok()) {
      refused = fatal_;
    } else if (reads_outstanding_ >= options_.max_pending) {
      refused = Status(Code::kResourceExhausted, "etcdserver: too many requests");
    } else {
      ++reads_outstanding_;
    }
  }
  if (!refused.ok()) {
    done(refused);
    return;
  }
  // Every path answers a read outside mu_, exactly once: the count drops
  // there.
  Post(NewRead{[this, done = std::move(done)](Status s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --reads_outstanding_;
    }
    done(s);
  }});
}

Status Replica::storage_failure() const {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return apply_failed_;
}

Replica::Info Replica::info() const {
  std::lock_guard<std::mutex> lock(mu_);
  Info i = info_;
  i.pending = pending_count_;
  return i;
}

void Replica::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_tick = Clock::now() + options_.tick;
  const auto request_timeout = request_timeout_;
  std::map<uint64_t, Clock::time_point> read_deadlines;
  std::deque<Event> events;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
      events.swap(inbox_);
    }
    // The reads that arrived together share one ReadIndex: one round trip
    // to the leader (from a follower) for all of them, not one each.
    std::vector<ReadDone> reads;
    for (Event& e : events) {
      if (auto* read = std::get_if<NewRead>(&e)) {
        reads.push_back(std::move(read->done));
      } else {
        Handle(e);
      }
    }
    events.clear();
    if (!reads.empty()) {
      ReadDone all = [reads = std::move(reads)](Status s) mutable {
        for (ReadDone& done : reads)
          done(s);
      };
      uint64_t context = next_read_context_++;
      counters_.read_index_rounds.fetch_add(1, std::memory_order_relaxed);
      Status s = raft_->ReadIndex(context);
      if (!s.ok()) {
        all(s);
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        reads_[context] = std::move(all);
        read_started_[context] = Clock::now();
        read_deadlines[context] = Clock::now() + request_timeout;
      }
    }
    if (Clock::now() >= next_tick) {
      raft_->Tick();
      next_tick += options_.tick;
      if (next_tick < Clock::now()) next_tick = Clock::now() + options_.tick;
      // A read whose forwarded request or answer was lost while the leader
      // stayed the same would otherwise wait forever.
      std::vector<ReadDone> expired;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = read_deadlines.begin(); it != read_deadlines.end();) {
          if (it->second > Clock::now()) {
            ++it;
            continue;
          }
          auto r = reads_.find(it->first);
          if (r != reads_.end()) {
            expired.push_back(std::move(r->second));
            reads_.erase(r);
          }
          read_started_.erase(it->first);
          it = read_deadlines.erase(it);
        }
      }
      for (ReadDone& done : expired)
        done(RequestTimedOut());
      ExpireProposals();
      RetryMembership();
    }
    if (!ready_ && raft_->HasReady()) HandleReady();
    std::lock_guard<std::mutex> lock(mu_);
    info_.role = raft_->role();
    info_.term = raft_->term();
    if (raft_->leader() != info_.leader && raft_->leader() != raft::kNoNode) {
      ++info_.leader_changes;
      CAIRN_LOG(INFO) << "group " << options_.group << ": leader is now " << std::hex
                      << raft_->leader() << std::dec << " (term " << raft_->term() << ")"
                      << (raft_->leader() == options_.id ? ", this member" : "");
    }
    info_.leader = raft_->leader();
    info_.commit = raft_->commit();
    for (auto it = read_deadlines.begin(); it != read_deadlines.end();) {
      it = reads_.count(it->first) ? std::next(it) : read_deadlines.erase(it);
    }
  }
}

void Replica::Handle(Event& event) {
  if (auto* messages = std::get_if<std::vector<raft::Message>>(&event)) {
    const auto now = std::chrono::steady_clock::now();
    for (const raft::Message& m : *messages) {
      last_heard_[m.from] = now;
      Status s = raft_->Step(m);
      if (!s.ok())
        CAIRN_LOG(WARN) << "group " << options_.group << ": dropped message: " << s.message();
    }
  } else if (auto* proposal = std::get_if<NewProposal>(&event)) {
    if (proposal->membership) {
      ProposeMembership(std::move(*proposal));
      return;
    }
    Result<raft::ProposalId> id = raft_->Propose(std::move(proposal->data));
    if (!id.ok()) {
      counters_.proposals_failed.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(mu_);
        --pending_count_;
      }
      proposal->done(id.status());
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    pending_[id->index] = Pending{id->term, std::move(proposal->done),
                                  std::chrono::steady_clock::now() + request_timeout_};
  } else if (std::holds_alternative<Persisted>(event)) {
    FinishReady();
  } else if (std::holds_alternative<HandOver>(event)) {
    // The voter with the longest log catches up soonest.
    raft::NodeId target = raft::kNoNode;
    raft::Index best = 0;
    for (const auto& [id, pr] : raft_->progress()) {
      bool voter = std::find(raft_->conf().voters.begin(), raft_->conf().voters.end(), id) !=
                   raft_->conf().voters.end();
      if (id != options_.id && voter && (target == raft::kNoNode || pr.match > best)) {
        target = id;
        best = pr.match;
      }
    }
    if (target == raft::kNoNode) return;
    Status s = raft_->TransferLeadership(target);
    CAIRN_LOG(INFO) << "group " << options_.group << ": handing leadership over to " << target
                    << (s.ok() ? "" : ": " + s.message());
  } else if (auto* transfer = std::get_if<TransferTo>(&event)) {
    transfer->started(raft_->TransferLeadership(transfer->target));
  } else if (auto* snap = std::get_if<NewSnapshot>(&event)) {
    const size_t bytes = snap->data.size();
    Status s = raft_->CreateSnapshot(snap->index, std::move(snap->data));
    if (!s.ok()) {
      CAIRN_LOG(WARN) << "group " << options_.group << ": snapshot at " << snap->index
                      << " not taken: " << s.message();
      return;
    }
    // The WAL may now drop the segments the snapshot covers.
    storage::GroupWrite write;
    write.group = options_.group;
    write.snapshot = raft_->snapshot().meta;
    counters_.snapshots_saved.fetch_add(1, std::memory_order_relaxed);
    CAIRN_LOG(INFO) << "group " << options_.group << ": snapshot at index " << snap->index << " ("
                    << bytes << " bytes)";
    wal_->Submit({std::move(write)}, [group = options_.group](Status st) {
      if (!st.ok()) CAIRN_LOG(ERROR) << "group " << group << ": " << st.message();
    });
  }
}

void Replica::HandleReady() {
  ready_ = raft_->GetReady();
  raft::Ready& rd = *ready_;
  NoteSnapshotChunks(rd.messages);
  if (!rd.messages.empty()) transport_->Send(options_.group, std::move(rd.messages));
  std::vector<std::pair<ReadDone, Status>> answered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (const raft::ReadState& rs : rd.read_states) {
      auto it = reads_.find(rs.context);
      if (it == reads_.end()) continue;
      auto started = read_started_.find(rs.context);
      WaitingRead w{rs.index, std::move(it->second),
                    started != read_started_.end() ? started->second : now, now};
      if (started != read_started_.end()) read_started_.erase(started);
      if (rs.index <= applied_) {
        if (slow_reads_.IsSlow(now - w.started)) {
          slow_reads_.Report("slow linearizable read: " + Millis(now - w.started) +
                             " waiting for the leader to confirm its leadership (ReadIndex)");
        }
        answered.emplace_back(std::move(w.done), Status::Ok());
      } else {
        waiting_reads_.push_back(std::move(w));
      }
      reads_.erase(it);
    }
    for (uint64_t context : rd.dropped_reads) {
      read_started_.erase(context);
      auto it = reads_.find(context);
      if (it == reads_.end()) continue;
      answered.emplace_back(std::move(it->second), LeaderChanged());
      reads_.erase(it);
    }
  }
  for (auto& [done, status] : answered)
    done(status);
  if (rd.snapshot) {
    // Durable before the WAL records the snapshot point (see SnapshotPaths).
    Status saved = SavePending(rd.snapshot->data, rd.snapshot->meta.index, paths_);
    CAIRN_CHECK(saved.ok()) << "group " << options_.group
                            << ": cannot save a received snapshot: " << saved.message();
    counters_.snapshots_received.fetch_add(1, std::memory_order_relaxed);
    counters_.snapshot_received_bytes.fetch_add(rd.snapshot->data.size(),
                                                std::memory_order_relaxed);
    CAIRN_LOG(INFO) << "group " << options_.group << ": received a snapshot at index "
                    << rd.snapshot->meta.index << " (" << rd.snapshot->data.size() << " bytes)";
  }
  // A Ready whose only change to persist is a higher commit index does not
  // wait for the disk: the entries it commits are already durable here (they
  // came in earlier Readies), and a commit index lost in a crash is learned
  // again from the leader. This saves an fsync per commit on every member,
  // on the path of every write. The index goes to disk with the next write.
  const bool commit_only = rd.hard_state && rd.entries.empty() && !rd.snapshot &&
                           rd.hard_state->term == written_hs_.term &&
                           rd.hard_state->vote == written_hs_.vote;
  if (!rd.MustPersist() || commit_only) {
    FinishReady();
    return;
  }
  storage::GroupWrite write;
  write.group = options_.group;
  write.entries = rd.entries;  // the core keeps its own copy until Advance
  write.hard_state = rd.hard_state;
  if (rd.hard_state) written_hs_ = *rd.hard_state;
  if (rd.snapshot) write.snapshot = rd.snapshot->meta;
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    ++wal_inflight_;
  }
  wal_->Submit({std::move(write)}, [this](Status s) {
    if (s.ok()) {
      Post(Persisted{});
    } else {
      // Nothing may be acknowledged after a failed write: the replica stops.
      CAIRN_LOG(ERROR) << "group " << options_.group << ": " << s.message();
      {
        std::lock_guard<std::mutex> lock(mu_);
        fatal_ = s;
      }
      FailEverything(s);
    }
    // Last use of `this`: the destructor may go on once this is released.
    std::lock_guard<std::mutex> lock(wal_mu_);
    --wal_inflight_;
    wal_cv_.notify_all();
  });
}

void Replica::NoteSnapshotChunks(const std::vector<raft::Message>& messages) {
  using Clock = std::chrono::steady_clock;
  constexpr double kMiB = 1024.0 * 1024.0;
  for (const raft::Message& m : messages) {
    if (m.type != raft::MessageType::kSnapshot) continue;
    counters_.snapshot_sent_bytes.fetch_add(m.snapshot_chunk.size(), std::memory_order_relaxed);
    const auto now = Clock::now();
    const auto key = std::make_pair(m.to, m.snapshot_meta.index);
    if (m.snapshot_offset == 0) {
      // A transfer (re)starts: forget this peer's earlier ones.
      std::erase_if(transfers_, [&](const auto& t) { return t.first.first == m.to; });
      transfers_[key] = Transfer{0, now, now};
    }
    Transfer& t = transfers_[key];
    if (t.started == Clock::time_point{}) t.started = t.last_logged = now;
    t.bytes += m.snapshot_chunk.size();
    const double seconds = std::chrono::duration<double>(now - t.started).count();
    const double rate = seconds > 0 ? static_cast<double>(t.bytes) / seconds : 0;
    char line[160];
    if (m.snapshot_done) {
      counters_.snapshots_sent.fetch_add(1, std::memory_order_relaxed);
      std::snprintf(line, sizeof line, "%.1f MiB in %.1f s (%.1f MiB/s)", t.bytes / kMiB, seconds,
                    rate / kMiB);
      CAIRN_LOG(INFO) << "group " << options_.group << ": sent the snapshot at index "
                      << m.snapshot_meta.index << " to " << std::hex << m.to << std::dec << ": "
                      << line;
      transfers_.erase(key);
    } else if (now - t.last_logged >= std::chrono::seconds(2)) {
      // Progress, for transfers long enough to wonder about.
      t.last_logged = now;
      const raft::Snapshot& snap = raft_->snapshot();
      const double total =
          snap.meta.index == m.snapshot_meta.index ? static_cast<double>(snap.data.size()) : 0;
      if (total > 0 && rate > 0) {
        std::snprintf(line, sizeof line, "%.1f of %.1f MiB (%.0f%%), %.1f MiB/s, about %.0f s left",
                      t.bytes / kMiB, total / kMiB, 100.0 * t.bytes / total, rate / kMiB,
                      std::max(0.0, total - t.bytes) / rate);
      } else {
        std::snprintf(line, sizeof line, "%.1f MiB, %.1f MiB/s", t.bytes / kMiB, rate / kMiB);
      }
      CAIRN_LOG(INFO) << "group " << options_.group << ": sending the snapshot at index "
                      << m.snapshot_meta.index << " to " << std::hex << m.to << std::dec << ": "
                      << line;
    }
  }
}

void Replica::FinishReady() {
  raft::Ready& rd = *ready_;
  if (!rd.persisted_messages.empty()) {
    NoteSnapshotChunks(rd.persisted_messages);
    transport_->Send(options_.group, std::move(rd.persisted_messages));
  }
  if (rd.snapshot || !rd.committed_entries.empty()) {
    {
      std::lock_guard<std::mutex> lock(apply_mu_);
      if (rd.snapshot) apply_queue_.push_back(rd.snapshot->meta);
      if (!rd.committed_entries.empty()) apply_queue_.push_back(std::move(rd.committed_entries));
    }
    apply_cv_.notify_one();
  }
  raft_->Advance();
  ready_.reset();
}

void Replica::ApplyLoop() {
  while (true) {
    std::vector<raft::Entry> entries;
    std::optional<raft::SnapshotMeta> snapshot;
    ApplyTask task;
    {
      std::unique_lock<std::mutex> lock(apply_mu_);
      apply_cv_.wait(lock, [&] { return apply_stopping_ || !apply_queue_.empty(); });
      if (apply_queue_.empty() || !apply_failed_.ok()) return;
      // Entries queued back to back apply as one batch; a snapshot goes alone.
      while (!apply_queue_.empty() && !snapshot && !task) {
        if (auto* t = std::get_if<ApplyTask>(&apply_queue_.front())) {
          if (!entries.empty()) break;
          task = std::move(*t);
        } else if (auto* meta = std::get_if<raft::SnapshotMeta>(&apply_queue_.front())) {
          if (!entries.empty()) break;
          snapshot = *meta;
        } else {
          for (raft::Entry& e : std::get<std::vector<raft::Entry>>(apply_queue_.front())) {
            entries.push_back(std::move(e));
          }
        }
        apply_queue_.pop_front();
      }
    }
    if (task) {
      task(*store_);
    } else if (snapshot) {
      InstallSnapshot(*snapshot);
    } else {
      ApplyEntries(std::move(entries));
      MaybeSnapshot();
    }
  }
}

void Replica::InstallSnapshot(const raft::SnapshotMeta& meta) {
  if (wal_->acks_before_sync() && !WaitUntilOnDisk(meta.index, meta.term)) return;
  Status s = RestorePending(*store_, paths_.Pending(meta.index), meta.index, paths_);
  CAIRN_CHECK(s.ok()) << "group " << options_.group << ": cannot install the snapshot at "
                      << meta.index << ": " << s.message();
  last_snapshot_ = std::max(last_snapshot_, meta.index);
  std::vector<ProposeDone> lost;
  std::vector<WaitingRead> reads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    applied_ = std::max(applied_, store_->applied_index());
    info_.applied = applied_;
    // Proposals the snapshot covers were decided elsewhere; their outcome
    // here is unknown.
    for (auto it = pending_.begin(); it != pending_.end() && it->first <= applied_;) {
      lost.push_back(std::move(it->second.done));
      it = pending_.erase(it);
      --pending_count_;
    }
    counters_.proposals_failed.fetch_add(lost.size(), std::memory_order_relaxed);
    for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
      if (it->index <= applied_) {
        reads.push_back(std::move(*it));
        it = waiting_reads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  CAIRN_LOG(INFO) << "group " << options_.group << ": installed the snapshot at index "
                  << meta.index;
  if (options_.on_applied) options_.on_applied(store_->current_revision());
  if (options_.on_members_changed) options_.on_members_changed(*store_);
  for (ProposeDone& done : lost)
    done(LeaderChanged());
  ReleaseReads(std::move(reads), "installing a snapshot");
}

void Replica::ReleaseReads(std::vector<WaitingRead> waiting, const char* how) {
  const auto now = std::chrono::steady_clock::now();
  for (WaitingRead& w : waiting) {
    if (slow_reads_.IsSlow(now - w.started)) {
      slow_reads_.Report("slow linearizable read: " + Millis(now - w.started) +
                         " in total: " + Millis(w.confirmed - w.started) +
                         " waiting for the leader to confirm its leadership (ReadIndex), " +
                         Millis(now - w.confirmed) + " for this member to catch up to index " +
                         std::to_string(w.index) + " (" + how + ")");
    }
    w.done(Status::Ok());
  }
}

void Replica::MaybeSnapshot() {
  if (options_.snapshot_count == 0) return;
  raft::Index applied = store_->applied_index();
  if (applied < last_snapshot_ + options_.snapshot_count) return;
  // The checkpoint makes the store durable up to `applied` (see Start).
  if (wal_->acks_before_sync() && !WaitUntilOnDisk(applied, store_->applied_term())) return;
  Result<std::string> data = PackStore(*store_, paths_);
  if (!data.ok()) {
    CAIRN_LOG(WARN) << "group " << options_.group
                    << ": snapshot failed: " << data.status().message();
    return;
  }
  last_snapshot_ = applied;
  Post(NewSnapshot{applied, std::move(*data)});
}

bool Replica::WaitUntilOnDisk(raft::Index index, raft::Term term) {
  auto on_disk = [&] {
    if (wal_->Term(options_.group, index) == term) return true;
    // Or covered by a snapshot point the WAL has written since.
    std::optional<storage::Wal::GroupState> g = wal_->Group(options_.group);
    return g && g->snapshot.index >= index;
  };
  while (!on_disk()) {
    wal_->SyncSoon();
    {
      std::lock_guard<std::mutex> lock(apply_mu_);
      if (apply_stopping_) return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void Replica::ApplyEntries(std::vector<raft::Entry> entries) {
  const auto apply_start = std::chrono::steady_clock::now();
  std::vector<cairnpb::RaftRequest> requests(entries.size());
  std::vector<kv::LogEntry> log;
  log.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const raft::Entry& e = entries[i];
    if (e.index <= store_->applied_index()) continue;  // applied before a restart
    kv::LogEntry le{e.index, e.term, static_cast<int64_t>(e.index), nullptr};
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) {
      if (requests[i].ParseFromString(e.data)) {
        le.request = &requests[i];
      } else {
        // Same bytes on every replica, so every replica skips it alike.
        CAIRN_LOG(ERROR) << "group " << options_.group << ": entry " << e.index
                         << " is not a request; applied as a no-op";
      }
    } else if (e.type == raft::EntryType::kConfChange) {
      // The core has applied the voter/learner part; the member table
      // (names, URLs) follows from the request in the change's context.
      Result<raft::ConfChange> cc = raft::DecodeConfChange(e.data);
      if (cc.ok() && !cc->context.empty() && requests[i].ParseFromString(cc->context) &&
          requests[i].has_membership()) {
        le.request = &requests[i];
      }
    }
    log.push_back(le);
  }
  Result<std::vector<kv::ApplyResult>> results = store_->ApplyBatch(log);
  if (!results.ok() && (results.status().code() == Code::kUnavailable ||
                        results.status().code() == Code::kResourceExhausted)) {
    // The disk failed under the state machine (as under the WAL, a failed
    // sync cannot be retried): stop applying, answer nothing of this batch,
    // and let the server exit to be restarted from what is on disk.
    CAIRN_LOG(ERROR) << "group " << options_.group << ": the state machine cannot apply entries "
                     << log.front().index << "-" << log.back().index
                     << ", stopping: " << results.status().message();
    std::lock_guard<std::mutex> lock(apply_mu_);
    apply_failed_ = results.status();
    return;
  }
  CAIRN_CHECK(results.ok()) << "group " << options_.group
                            << ": the state machine cannot apply committed entries: "
                            << results.status().message();
  if (options_.on_applied && !log.empty()) options_.on_applied(store_->current_revision());
  if (options_.on_members_changed) {
    for (size_t i = 0; i < log.size(); ++i) {
      if (log[i].request != nullptr && kv::IsMemberRequest(*log[i].request) &&
          (*results)[i].status.ok()) {
        options_.on_members_changed(*store_);
        break;
      }
    }
  }
  std::vector<std::pair<ProposeDone, Result<kv::ApplyResult>>> proposals;
  std::vector<WaitingRead> reads;
  const auto applied_at = std::chrono::steady_clock::now();
  // The slowest write this batch answers, if over the threshold.
  std::chrono::steady_clock::duration slowest{0};
  raft::Index slowest_index = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < log.size(); ++i) {
      auto it = pending_.find(log[i].index);
      if (it == pending_.end()) continue;
      const auto took = applied_at - (it->second.deadline - request_timeout_);
      if (took > slowest) slowest = took, slowest_index = log[i].index;
      if (it->second.term == log[i].term) {
        proposals.emplace_back(std::move(it->second.done), std::move((*results)[i]));
      } else {
        proposals.emplace_back(std::move(it->second.done), LeaderChanged());
        counters_.proposals_failed.fetch_add(1, std::memory_order_relaxed);
      }
      pending_.erase(it);
      --pending_count_;
    }
    if (!entries.empty()) applied_ = std::max(applied_, entries.back().index);
    info_.applied = applied_;
    for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
      if (it->index <= applied_) {
        reads.push_back(std::move(*it));
        it = waiting_reads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (slow_writes_.IsSlow(slowest)) {
    slow_writes_.Report("slow write at index " + std::to_string(slowest_index) + ": " +
                        Millis(slowest) +
                        " in total: " + Millis(slowest - (applied_at - apply_start)) +
                        " until committed (replicated to a quorum, each fsyncing it) and queued to "
                        "apply, " +
                        Millis(applied_at - apply_start) + " applying its batch of " +
                        std::to_string(entries.size()) + " entries");
  }
  for (auto& [done, result] : proposals)
    done(std::move(result));
  ReleaseReads(std::move(reads), "applying");
}

void Replica::ExpireProposals() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<ProposeDone> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Proposals enter in index order, so deadlines rise along the map: stop
    // at the first that has not passed (an out-of-order one waits a tick).
    for (auto it = pending_.begin(); it != pending_.end() && it->second.deadline <= now;) {
      expired.push_back(std::move(it->second.done));
      it = pending_.erase(it);
      --pending_count_;
    }
  }
  counters_.proposals_failed.fetch_add(expired.size(), std::memory_order_relaxed);
  for (ProposeDone& done : expired)
    done(RequestTimedOut());
}

void Replica::FailEverything(const Status& status) {
  std::vector<ProposeDone> proposals;
  std::vector<ReadDone> reads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [index, p] : pending_)
      proposals.push_back(std::move(p.done));
    pending_.clear();
    pending_count_ = 0;
    counters_.proposals_failed.fetch_add(proposals.size(), std::memory_order_relaxed);
    for (auto& [context, done] : reads_)
      reads.push_back(std::move(done));
    reads_.clear();
    read_started_.clear();
    for (WaitingRead& w : waiting_reads_)
      reads.push_back(std::move(w.done));
    waiting_reads_.clear();
  }
  for (ProposeDone& done : proposals)
    done(status);
  for (ReadDone& done : reads)
    done(status);
}

}  // namespace cairn::cluster
