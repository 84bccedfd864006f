#include "api/grpc_metrics.h"

#include <google/protobuf/descriptor.h>

#include <chrono>

namespace cairn::api {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Prometheus's default buckets, which go-grpc-prometheus uses.
const std::vector<double> kHandlingBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(GrpcMetrics* metrics, GrpcMetrics::Method* method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {
    method_->started->Add();
  }
  // A call that ends without sending a status was cancelled.
  ~RpcInterceptor() override {
    if (!recorded_) Record(static_cast<int>(grpc::StatusCode::CANCELLED));
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* batch) override {
    if (batch->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(static_cast<int>(batch->GetSendStatus().error_code()));
    }
    batch->Proceed();
  }

 private:
  void Record(int code) {
    recorded_ = true;
    metrics_->Handled(method_, code)->Add();
    method_->handling->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  GrpcMetrics* metrics_;
  GrpcMetrics::Method* method_;
  std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class InterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    GrpcMetrics::Method* m = metrics_->Find(info->method());
    return m == nullptr ? nullptr : new RpcInterceptor(metrics_, m);
  }

 private:
  GrpcMetrics* metrics_;
};

}  // namespace

const char* GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code < 17 ? kNames[code] : "Unknown";
}

GrpcMetrics::GrpcMetrics(metrics::Registry* registry, const std::vector<std::string>& services) {
  const std::vector<std::string> labels = {"grpc_type", "grpc_service", "grpc_method"};
  started_ = registry->AddCounterFamily("grpc_server_started_total",
                                        "Total number of RPCs started on the server.", labels);
  handled_ = registry->AddCounterFamily(
      "grpc_server_handled_total",
      "Total number of RPCs completed on the server, regardless of success or failure.",
      {"grpc_type", "grpc_service", "grpc_method", "grpc_code"});
  handling_ = registry->AddHistogramFamily(
      "grpc_server_handling_seconds",
      "Histogram of response latency (seconds) of gRPC that had been application-level handled "
      "by the server.",
      labels, kHandlingBuckets);
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& service_name : services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(service_name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* md = service->method(i);
      auto m = std::make_unique<Method>();
      m->service = service_name;
      m->name = md->name();
      m->type = md->client_streaming() ? (md->server_streaming() ? "bidi_stream" : "client_stream")
                                       : (md->server_streaming() ? "server_stream" : "unary");
      m->started = started_->With({m->type, m->service, m->name});
      m->handling = handling_->With({m->type, m->service, m->name});
      // OK is always exported; other codes once they happen.
      Handled(m.get(), 0);
      methods_["/" + service_name + "/" + m->name] = std::move(m);
    }
  }
}

GrpcMetrics::Method* GrpcMetrics::Find(const char* full_name) {
  auto it = methods_.find(std::string_view(full_name == nullptr ? "" : full_name));
  return it == methods_.end() ? nullptr : it->second.get();
}

metrics::Counter* GrpcMetrics::Handled(Method* m, int code) {
  if (code < 0 || code >= 17) code = 2;  // Unknown
  metrics::Counter* c = m->handled[code].load(std::memory_order_acquire);
  if (c == nullptr) {
    c = handled_->With({m->type, m->service, m->name, GrpcCodeName(code)});
    m->handled[code].store(c, std::memory_order_release);
  }
  return c;
}

GrpcMetrics::Totals GrpcMetrics::UnaryTotals() const {
  Totals t;
  for (const auto& [path, m] : methods_) {
    if (m->type != "unary") continue;
    for (const auto& handled : m->handled) {
      const metrics::Counter* c = handled.load(std::memory_order_acquire);
      if (c != nullptr) t.completed += c->value();
    }
    metrics::Accumulate(&t.handling, m->handling->snapshot());
  }
  return t;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> GrpcMetrics::Factory() {
  return std::make_unique<InterceptorFactory>(this);
}

}  // namespace cairn::api
