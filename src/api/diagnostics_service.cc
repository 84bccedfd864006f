#include "api/diagnostics_service.h"

namespace cairn::api {

grpc::ServerUnaryReactor* DiagnosticsService::Telemetry(grpc::CallbackServerContext* ctx,
                                                        const cairnpb::TelemetryRequest* request,
                                                        cairnpb::TelemetryResponse* response) {
  *response = telemetry_(*request);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace cairn::api
