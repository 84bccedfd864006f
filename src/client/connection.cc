#include "client/connection.h"

namespace cairn::client {

Connection::Connection(ConnectionOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  // Range and snapshot answers can be large; the server bounds them.
  args.SetMaxReceiveMessageSize(-1);
  for (const std::string& target : options_.endpoints)
    channels_.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

}  // namespace cairn::client
