#pragma once

#include <functional>

#include "cairn/diagnostics.grpc.pb.h"

namespace cairn::api {

// cairnpb.Diagnostics on the client port: the member's telemetry, built by
// the server (which knows its parts) through `telemetry`.
class DiagnosticsService final : public cairnpb::Diagnostics::CallbackService {
 public:
  using Build = std::function<cairnpb::TelemetryResponse(const cairnpb::TelemetryRequest&)>;
  explicit DiagnosticsService(Build telemetry) : telemetry_(std::move(telemetry)) {}

  grpc::ServerUnaryReactor* Telemetry(grpc::CallbackServerContext* ctx,
                                      const cairnpb::TelemetryRequest* request,
                                      cairnpb::TelemetryResponse* response) override;

 private:
  Build telemetry_;
};

}  // namespace cairn::api
