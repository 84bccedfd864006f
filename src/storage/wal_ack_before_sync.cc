// UNSAFE: the planted ack-before-fsync bug (WalOptions::unsafe_ack_before_sync),
// for tests/chaos only. Kept apart from wal.cc so that the real write path
// reads without it.
//
// Every submission is answered "durable" as soon as the WAL thread takes it,
// and held in memory; what is held is written and synced as one batch once
// per period (or sooner after SyncSoon), and when the WAL closes. A process
// killed in between loses writes that a follower acknowledged to its leader,
// or that a leader counted towards the quorum: exactly what a WAL that
// acknowledges before fsync would lose.
#include <chrono>

#include "storage/wal.h"

namespace cairn::storage {

void Wal::SyncSoon() {
  if (!acks_before_sync()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sync_soon_ = true;
  }
  cv_.notify_all();
}

void Wal::RunAckingBeforeSync() {
  using Clock = std::chrono::steady_clock;
  const auto period = options_.unsafe_ack_before_sync;
  std::vector<Request> held;  // acknowledged, not written yet, in order
  auto next_write = Clock::now() + period;
  while (true) {
    std::vector<Request> taken;
    bool write_now = false;
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_write, [&] { return stopping_ || sync_soon_ || !queue_.empty(); });
      while (!queue_.empty()) {
        queued_bytes_ -= queue_.front().bytes;  // the bound is for the queue only
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stop = stopping_;
      write_now = stopping_ || sync_soon_ || Clock::now() >= next_write;
      sync_soon_ = false;
    }
    // The bug: "durable" before anything was written.
    std::vector<Request> acks;
    for (Request& r : taken) {
      acks.push_back(Request{{}, std::move(r.done), 0, Status::Ok()});
      r.done = nullptr;
      held.push_back(std::move(r));
    }
    if (!acks.empty()) Notify(std::move(acks));
    if (write_now) {
      next_write = Clock::now() + period;
      if (!held.empty()) {
        // Everything was acknowledged already: whatever goes wrong now is
        // final (a full disk included), and nobody is told but the log.
        Status s = WriteBatch(held);
        if (!s.ok()) Fail(s, std::move(held));
        held.clear();
      }
    }
    // Once stopping, Submit refuses: nothing can have been queued since the
    // queue was drained above, and what was held has just been written.
    if (stop) return;
  }
}

}  // namespace cairn::storage
