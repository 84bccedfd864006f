#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "base/metrics.h"

namespace cairn::api {

// Per-method gRPC server metrics with go-grpc-prometheus's names, which etcd
// exports and its dashboards expect: grpc_server_started_total,
// grpc_server_handled_total (by code) and grpc_server_handling_seconds.
// Label values come from a table of the served methods built at start, so
// their number is bounded; a method not in the table is not measured.
class GrpcMetrics {
 public:
  // `services`: full names, e.g. "etcdserverpb.KV", looked up in the
  // generated descriptor pool.
  GrpcMetrics(metrics::Registry* registry, const std::vector<std::string>& services);

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Factory();

  struct Method {
    metrics::Counter* started = nullptr;
    std::array<std::atomic<metrics::Counter*>, 17> handled{};  // by grpc::StatusCode
    metrics::Histogram* handling = nullptr;
    std::string service, name, type;
  };
  // nullptr when `full_name` ("/etcdserverpb.KV/Range") is not served.
  Method* Find(const char* full_name);
  // The child of grpc_server_handled_total for this method and code.
  metrics::Counter* Handled(Method* m, int code);

  // Every unary method together: calls completed (any code) and their
  // handling latencies. Streams are left out: a watch lasts for hours.
  struct Totals {
    uint64_t completed = 0;
    metrics::Histogram::Snapshot handling;
  };
  Totals UnaryTotals() const;

 private:
  metrics::Family<metrics::Counter>* started_;
  metrics::Family<metrics::Counter>* handled_;
  metrics::Family<metrics::Histogram>* handling_;
  std::map<std::string, std::unique_ptr<Method>, std::less<>> methods_;  // read-only after start
};

// grpc::StatusCode's name as Go spells it ("OK", "Unavailable", ...), the
// value of the grpc_code label.
const char* GrpcCodeName(int code);

}  // namespace cairn::api
