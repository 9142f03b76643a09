// The request interceptor: every RPC a service answers counts into service_requests,
// service_latency and, when it fails, service_error_with_type plus either its expected kind's
// counter (service_errors_entity_not_found, ..._invalid_argument, ...) or service_errors for the
// unexpected ones (internal, unavailable, unknown), as Temporal's telemetry interceptor does.
// Labels: service_name, operation (the method name) and namespace (the request's `namespace`,
// or its `namespace_id` resolved to a name; `_unknown_` when absent or not registered, so a
// label never holds an arbitrary string). gRPC's own services (health) are not counted.
// Installed on each service's ServerBuilder by the composition root. The frontend's gate records
// the calls of its listed methods itself (services/frontend/request_gate.h), through
// RecordServiceRequest; the interceptor covers the rest (UNIMPLEMENTED methods).
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/metrics.h"

namespace tern::server {

// The namespace name for a namespace id or a name taken from a request, or "" when no such
// namespace is registered. Must not block.
struct NamespaceNames {
  std::function<std::string(const std::string& id)> by_id;
  std::function<std::string(const std::string& name)> by_name;
};

// How a failed call counts: its error type for service_error_with_type (the errordetails
// failure's name, else the code's: "NotFound", "WorkflowExecutionAlreadyStarted",
// "Unavailable"), and either its expected kind's counter (service_errors_entity_not_found, ...;
// null for expected outcomes without one, such as FailedPrecondition) or, for an unexpected
// failure (internal, unknown, unavailable, data loss, unimplemented), service_errors.
struct ErrorClass {
  std::string type;
  bool unexpected = false;
  const metrics::CounterDef* counter = nullptr;
};
ErrorClass ClassifyError(const absl::Status& status);

// What the interceptor records for one answered call; also for calls a process makes to its own
// services without gRPC (services/server/process.cc).
void RecordServiceRequest(const std::string& service, std::string_view operation,
                          std::string_view namespace_name, const absl::Status& status,
                          double seconds);

// True for a method path ("/package.Service/Method") whose calls the service records itself (the
// frontend's gate): the interceptor leaves them out, and gRPC runs no interceptor for them.
using RecordedElsewhere = std::function<bool(std::string_view path)>;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RequestMetricsInterceptor(
    std::string service_name, NamespaceNames namespaces, RecordedElsewhere elsewhere = nullptr);

}  // namespace tern::server
