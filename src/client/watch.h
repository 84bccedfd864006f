#pragma once

#include <memory>

#include "client/connection.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::client {

// One watcher on etcd's Watch stream, read in a blocking loop:
//   WatchStream w(connection, &cancellation);
//   w.Create(request);  while (w.Next(&response).ok()) ...
// The stream has no deadline; it ends when the server cancels the watcher
// (compaction), the connection breaks, or the Cancellation fires.
class WatchStream {
 public:
  WatchStream(Connection& connection, Cancellation* cancellation)
      : connection_(connection), cancellation_(cancellation) {}
  ~WatchStream();

  // Opens the stream on the first endpoint that answers and creates the
  // watcher. A start revision below the compacted one is an error carrying
  // etcd's message.
  Status Create(const etcdserverpb::WatchCreateRequest& request);
  // The next response with events (or a progress notification). Not OK when
  // the stream ended; CANCELLED when the user cancelled.
  Status Next(etcdserverpb::WatchResponse* response);

 private:
  using Stream = grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;
  Status EndOfStream();
  void Close();

  Connection& connection_;
  Cancellation* cancellation_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  std::unique_ptr<Stream> stream_;
};

// The Status of a watch response that cancels its watcher.
Status WatchCancelStatus(const etcdserverpb::WatchResponse& response);

}  // namespace cairn::client
