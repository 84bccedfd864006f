#pragma once

#include <grpcpp/grpcpp.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::noop {

class WatchStream;

// Who watches which key, and delivery of each put to them. Streams leave
// under the same lock as deliveries, so a delivery never reaches a stream
// that is gone.
class WatchFanout {
 public:
  void Add(WatchStream* stream, int64_t watch_id, std::string key, std::string range_end);
  void Remove(WatchStream* stream);
  void Put(const std::string& key, const std::string& value, int64_t revision);

 private:
  struct Watch {
    WatchStream* stream;
    int64_t watch_id;
    std::string key;
    std::string range_end;
  };
  std::mutex mu_;
  std::vector<Watch> watches_;
};

// One Watch RPC: answers creates and cancels at once, and writes the events
// WatchFanout hands it, one write in flight at a time.
class WatchStream final
    : public grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
 public:
  WatchStream(WatchFanout* fanout, const etcdserverpb::ResponseHeader& header);

  // Queues `response` for writing (called by the fanout or the stream).
  void Send(etcdserverpb::WatchResponse response);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void WriteNextLocked();

  WatchFanout* fanout_;
  etcdserverpb::ResponseHeader header_;
  etcdserverpb::WatchRequest request_;
  std::mutex mu_;
  std::deque<etcdserverpb::WatchResponse> outbox_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  int64_t next_watch_id_ = 1;
};

}  // namespace cairn::noop
