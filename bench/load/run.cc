#include "bench/load/run.h"

namespace cairn::bench {

void Tally::RecordError(const grpc::Status& status) {
  int code = static_cast<int>(status.error_code());
  if (errors[code]++ == 0) first_message[code] = status.error_message();
}

void Tally::Merge(const Tally& other) {
  latency.Merge(other.latency);
  for (const auto& [code, n] : other.errors) {
    if (errors[code] == 0) first_message[code] = other.first_message.at(code);
    errors[code] += n;
  }
}

Pacer::Pacer(double rate)
    : interval_(rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0)),
      next_(Clock::now()) {
  if (rate > 0) thread_ = std::thread([this] { Loop(); });
}

Pacer::~Pacer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Pacer::Schedule(std::function<void()> start) {
  if (interval_.count() == 0) {
    start();
    return;
  }
  Clock::time_point at;
  {
    std::lock_guard lock(mu_);
    // A pacer that fell behind does not burst to catch up.
    next_ = std::max(next_ + interval_, Clock::now() - 10 * interval_);
    at = next_;
    if (at > Clock::now()) {
      due_.push(Due{at, order_++, std::move(start)});
      cv_.notify_one();
      return;
    }
  }
  start();
}

void Pacer::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    if (due_.empty()) {
      if (stopping_) return;
      cv_.wait(lock);
      continue;
    }
    if (!stopping_ && due_.top().at > Clock::now()) {
      cv_.wait_until(lock, due_.top().at);
      continue;
    }
    auto start = std::move(const_cast<Due&>(due_.top()).start);
    due_.pop();
    lock.unlock();
    start();
    lock.lock();
  }
}

Run::Run(const Options& options) : options_(options), pacer_(options.rate) {
  for (int i = 0; i < options_.conns; ++i) {
    grpc::ChannelArguments args;
    // Channels with different arguments never share a TCP connection.
    args.SetInt("cairn.bench.conn", i);
    args.SetMaxReceiveMessageSize(-1);
    const std::string& target = options_.endpoints[i % options_.endpoints.size()];
    channels_.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
}

bool Run::Claim() {
  if (stopping_) return false;
  if (options_.total == 0) return true;
  return claimed_.fetch_add(1, std::memory_order_relaxed) < options_.total;
}

std::chrono::system_clock::time_point Run::Deadline() const {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(static_cast<int64_t>(options_.timeout * 1e6));
}

void Run::ClientStarted() {
  std::lock_guard lock(mu_);
  active_++;
}

void Run::ClientFinished() {
  std::lock_guard lock(mu_);
  if (--active_ == 0) all_finished_.notify_all();
}

bool Run::WaitClientsFinished(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return all_finished_.wait_until(lock, deadline, [&] { return active_ == 0; });
}

bool WaitForClients(Run& run) {
  Clock::time_point give_up = Clock::time_point::max();
  while (
      !run.WaitClientsFinished(std::min(give_up, Clock::now() + std::chrono::milliseconds(50)))) {
    if (run.stopping() && give_up == Clock::time_point::max()) {
      give_up = Clock::now() + std::chrono::milliseconds(
                                   static_cast<int64_t>(run.options().timeout * 1000) + 2000);
    }
    if (Clock::now() >= give_up) return false;
  }
  return true;
}

}  // namespace cairn::bench
