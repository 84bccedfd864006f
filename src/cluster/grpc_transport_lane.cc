#include "cluster/grpc_transport_lane.h"

#include <utility>

#include "base/logging.h"
#include "cluster/grpc_transport_service.h"
#include "cluster/raft_codec.h"

namespace cairn::cluster::internal {

using Clock = std::chrono::steady_clock;

constexpr size_t kKeepBatchBytes = 256 << 10;

void Outstanding::Add() {
  std::lock_guard<std::mutex> lock(mu_);
  ++count_;
}

void Outstanding::Done() {
  // Notified under the mutex: the waiter cannot return (and let the owner
  // free this object) before notify_all has finished with it.
  std::lock_guard<std::mutex> lock(mu_);
  if (--count_ == 0) cv_.notify_all();
}

void Outstanding::WaitForNone() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return count_ == 0; });
}

// One RaftPeer.Send call. Owned by itself (`self`) from its start until
// OnDone, and by the lane while it is the lane's current stream.
class Lane::Stream final : public grpc::ClientWriteReactor<cairnpb::MessageBatch> {
 public:
  explicit Stream(std::shared_ptr<Lane> lane) : lane_(std::move(lane)) {}

  grpc::ClientContext context;
  cairnpb::SendResponse response;
  // The write in flight; only the thread owning the lane's `writing_` touches it.
  cairnpb::MessageBatch batch;
  size_t batch_messages = 0;
  size_t batch_bytes = 0;
  const Clock::time_point started = Clock::now();
  bool accepted = false;  // the lane's mutex
  std::shared_ptr<Stream> self;

  void OnReadInitialMetadataDone(bool ok) override { lane_->OnAccepted(this, ok); }
  void OnWriteDone(bool ok) override { lane_->OnWriteDone(this, ok); }
  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<Outstanding> outstanding = lane_->outstanding();
    {
      std::shared_ptr<Stream> keep = std::move(self);
      std::shared_ptr<Lane> lane = std::move(lane_);
      lane->OnStreamDone(this, status);
    }  // *this may be gone from here on
    outstanding->Done();
  }

 private:
  std::shared_ptr<Lane> lane_;
};

Lane::Lane(LaneOptions options, std::shared_ptr<grpc::Channel> channel,
           std::shared_ptr<Outstanding> outstanding, std::shared_ptr<LaneCounters> counters)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(cairnpb::RaftPeer::NewStub(channel_)),
      outstanding_(std::move(outstanding)),
      counters_(std::move(counters)),
      backoff_(options_.backoff, options_.seed) {}

void Lane::Enqueue(uint64_t group, std::vector<raft::Message> messages) {
  Work work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutdown_ && backing_off_ && Clock::now() >= retry_at_) backing_off_ = false;
    if (shutdown_ || backing_off_) {
      // Raft resends what matters once the peer is back; queueing for a
      // peer that is down would only deliver stale messages later.
      counters_->dropped_unreachable += messages.size();
      return;
    }
    std::deque<raft::Message>* queue = nullptr;
    for (raft::Message& m : messages) {
      const size_t bytes = m.ByteSize();
      if (queued_messages_ >= options_.max_queued_messages ||
          (queued_messages_ > 0 && queued_bytes_ + bytes > options_.max_queued_bytes)) {
        ++counters_->dropped_queue_full;
        continue;
      }
      if (queue == nullptr) queue = &queues_[group];
      queue->push_back(std::move(m));
      ++queued_messages_;
      queued_bytes_ += bytes;
    }
    work = TakeWorkLocked();
  }
  Do(std::move(work));
}

Lane::Work Lane::TakeWorkLocked() {
  Work work;
  if (shutdown_ || backing_off_ || writing_ || queued_messages_ == 0) return work;
  if (stream_ == nullptr) {
    stream_ = std::make_shared<Stream>(shared_from_this());
    stream_->self = stream_;
    work.start_call = true;
    outstanding_->Add();
    ++counters_->streams_started;
  }
  writing_ = true;
  work.stream = stream_;
  // Everything queued for one group goes into one batch (up to the byte
  // bound); groups take turns so that a busy one cannot starve the others.
  auto it = queues_.upper_bound(last_group_);
  if (it == queues_.end()) it = queues_.begin();
  last_group_ = work.group = it->first;
  std::deque<raft::Message>& queue = it->second;
  size_t bytes = 0;
  while (!queue.empty()) {
    const size_t b = queue.front().ByteSize();
    if (!work.messages.empty() && bytes + b > options_.max_batch_bytes) break;
    bytes += b;
    work.messages.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  queued_messages_ -= work.messages.size();
  queued_bytes_ -= bytes;
  work.bytes = bytes;
  if (queue.empty()) queues_.erase(it);
  return work;
}

void Lane::Do(Work work) {
  if (work.stream == nullptr) return;
  Stream* s = work.stream.get();
  // Converted here, outside the mutex: entry data is moved, not copied.
  s->batch.Clear();
  s->batch.set_group_id(work.group);
  s->batch.set_from_node(options_.from);
  s->batch.set_cluster_id(options_.cluster_id);
  s->batch.mutable_messages()->Reserve(static_cast<int>(work.messages.size()));
  for (raft::Message& m : work.messages)
    ToProto(std::move(m), s->batch.add_messages());
  s->batch_messages = work.messages.size();
  s->batch_bytes = work.bytes;
  if (work.start_call) {
    // Our back-off decided it is time to try; gRPC's own must not add a
    // wait of its own. Its retry timer can also stall: gRPC 1.51 parks its
    // timer threads on wall-clock deadlines, so after the clock is stepped
    // back a timer may fire that much later (a member stayed cut off from
    // a restarted peer in a chaos run, docs/TESTING.md). This starts the
    // connection attempt now, without that timer.
    grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
    stub_->async()->Send(&s->context, &s->response, s);
    s->AddHold();
    s->StartWrite(&s->batch);
    s->StartCall();
  } else {
    s->StartWrite(&s->batch);
  }
}

std::shared_ptr<Lane::Stream> Lane::DetachLocked() {
  std::shared_ptr<Stream> s = std::move(stream_);
  stream_ = nullptr;
  detach_after_write_ = false;
  if (s == nullptr) return s;
  // A stream that stayed up for a while means the peer was fine: start the
  // back-off over. One that died young (refused, or ended at once) counts
  // as another failed attempt.
  const Clock::time_point now = Clock::now();
  if (s->accepted && now - s->started >= options_.backoff.max) backoff_.Reset();
  backing_off_ = true;
  retry_at_ = now + backoff_.Next();
  counters_->dropped_unreachable += queued_messages_;
  queues_.clear();
  queued_messages_ = 0;
  queued_bytes_ = 0;
  return s;
}

void Lane::OnAccepted(Stream* s, bool ok) {
  std::shared_ptr<Stream> release;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stream_.get() != s) return;
    if (ok) {
      s->accepted = true;
      // A peer that refuses us accepts every stream before it reads the
      // first batch: that is no recovery.
      if (reported_down_ && !refused_ && !shutdown_) {
        CAIRN_LOG(INFO) << options_.name << ": connected again";
        reported_down_ = false;
      }
    } else if (writing_) {
      detach_after_write_ = true;  // the failing write ends it
    } else {
      release = DetachLocked();
    }
  }
  if (release != nullptr) release->RemoveHold();
}

void Lane::OnWriteDone(Stream* s, bool ok) {
  std::shared_ptr<Stream> release;
  Work work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_CHECK(stream_.get() == s && writing_)
        << options_.name << ": write done on a stale stream";
    // A cleared protobuf keeps its strings' capacity; after a big batch
    // (entries, a snapshot chunk) give the memory back instead.
    if (s->batch_bytes > kKeepBatchBytes) cairnpb::MessageBatch().Swap(&s->batch);
    writing_ = false;
    if (ok) {
      counters_->messages_sent += s->batch_messages;
      ++counters_->batches_sent;
      if (options_.sent_bytes) *options_.sent_bytes += s->batch_bytes;
    } else {
      counters_->dropped_failed_write += s->batch_messages;
    }
    if (!ok || detach_after_write_ || shutdown_) {
      release = DetachLocked();
    } else {
      work = TakeWorkLocked();
    }
  }
  if (release != nullptr) release->RemoveHold();
  Do(std::move(work));
}

void Lane::OnStreamDone(Stream* s, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
      status.error_message() == kRemovedMessage && options_.on_removed) {
    options_.on_removed();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  const auto retry_in =
      std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - Clock::now()).count();
  refused_ = status.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
  if (refused_) {
    // Configuration, not a fault: say so loudly every time.
    CAIRN_LOG(ERROR) << options_.name << ": refused: " << status.error_message();
  } else if (!reported_down_ || s->accepted) {
    CAIRN_LOG(WARN) << options_.name << ": stream ended (" << static_cast<int>(status.error_code())
                    << " " << status.error_message() << "); retrying in " << retry_in << " ms";
  } else {
    CAIRN_LOG(DEBUG) << options_.name << ": still unreachable (" << status.error_message()
                     << "); retrying in " << retry_in << " ms";
  }
  reported_down_ = true;
}

void Lane::Shutdown() {
  std::shared_ptr<Stream> cancel;
  std::shared_ptr<Stream> release;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    cancel = stream_;
    if (!writing_) {
      release = DetachLocked();
    } else {
      detach_after_write_ = true;
    }
    queues_.clear();
    queued_messages_ = 0;
    queued_bytes_ = 0;
  }
  // Safe on a call not yet started (it starts cancelled) or already over.
  if (cancel != nullptr) cancel->context.TryCancel();
  if (release != nullptr) release->RemoveHold();
}

}  // namespace cairn::cluster::internal
