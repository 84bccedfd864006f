#include "client/member_probe.h"

#include <cstdio>
#include <future>

#include "cairn/diagnostics.grpc.pb.h"
#include "client/endpoints.h"

namespace cairn::client {
namespace {

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MemberProbe ProbeOne(const MemberRef& member, const ProbeOptions& options, ChannelCache* channels) {
  MemberProbe p;
  p.member = member;
  p.sent_unix_ms = UnixMs();
  if (options.local) {
    if (std::optional<cairnpb::TelemetryResponse> own = options.local(member.id)) {
      p.reachable = true;
      p.telemetry = std::move(*own);
      p.received_unix_ms = UnixMs();
      return p;
    }
  }
  if (member.client_urls.empty()) {
    p.error = "no client URL published (the member has not started, or never joined)";
    return p;
  }
  const std::string target = EndpointTarget(member.client_urls.front());
  auto stub = cairnpb::Diagnostics::NewStub(channels->Get(target));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options.timeout);
  cairnpb::TelemetryRequest request;
  request.set_history_seconds(options.history_seconds);
  grpc::Status s = stub->Telemetry(&ctx, request, &p.telemetry);
  p.received_unix_ms = UnixMs();
  p.reachable = s.ok();
  if (!s.ok()) {
    p.error = s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                  ? "no answer from " + target + " within " +
                        std::to_string(options.timeout.count()) + " ms"
                  : s.error_message() + " (" + target + ")";
  }
  return p;
}

}  // namespace

std::string HexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string DisplayName(const MemberRef& m) {
  return m.name.empty() ? HexId(m.id) : m.name;
}

std::shared_ptr<grpc::Channel> ChannelCache::Get(const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<grpc::Channel>& c = channels_[target];
  if (!c) c = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  return c;
}

std::vector<MemberProbe> ProbeMembers(const std::vector<MemberRef>& members,
                                      const ProbeOptions& options, ChannelCache* channels) {
  std::vector<std::future<MemberProbe>> calls;
  for (const MemberRef& m : members)
    calls.push_back(
        std::async(std::launch::async, ProbeOne, std::cref(m), std::cref(options), channels));
  std::vector<MemberProbe> out;
  for (auto& c : calls)
    out.push_back(c.get());
  return out;
}

}  // namespace cairn::client
