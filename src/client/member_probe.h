#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cairn/diagnostics.pb.h"

namespace cairn::client {

// A member as the member list names it.
struct MemberRef {
  uint64_t id = 0;
  std::string name;  // empty until the member has published it
  std::vector<std::string> client_urls;
  bool learner = false;
};

// One member's answer to cairnpb.Diagnostics/Telemetry, or why there was
// none, with the prober's wall clock around the call (for clock skew).
struct MemberProbe {
  MemberRef member;
  bool reachable = false;
  std::string error;
  cairnpb::TelemetryResponse telemetry;
  int64_t sent_unix_ms = 0;
  int64_t received_unix_ms = 0;
};

// The member's name, or its id in hex while it has none.
std::string DisplayName(const MemberRef& m);
std::string HexId(uint64_t id);

// Channels by target, kept between probes (the dashboard probes every
// second; reconnecting each time would cost a handshake per member).
class ChannelCache {
 public:
  std::shared_ptr<grpc::Channel> Get(const std::string& target);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

struct ProbeOptions {
  uint32_t history_seconds = 0;
  std::chrono::milliseconds timeout{1000};
  // Answers for a member without a call (the server probing itself).
  std::function<std::optional<cairnpb::TelemetryResponse>(uint64_t member_id)> local;
};

// Asks every member at once, over its first client URL, each within the
// timeout. The result is in `members`' order.
std::vector<MemberProbe> ProbeMembers(const std::vector<MemberRef>& members,
                                      const ProbeOptions& options, ChannelCache* channels);

}  // namespace cairn::client
