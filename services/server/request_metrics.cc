#include "services/server/request_metrics.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_split.h"
#include "common/errors.h"
#include "common/metrics.h"

namespace tern::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// NOT_FOUND -> NotFound.
std::string CodeName(absl::StatusCode code) {
  std::string name;
  for (absl::string_view word : absl::StrSplit(absl::StatusCodeToString(code), '_')) {
    if (word.empty()) continue;
    name += word[0];
    for (char c : word.substr(1)) name += static_cast<char>(std::tolower(c));
  }
  return name;
}

// temporal.api.errordetails.v1.NotFoundFailure -> NotFound; "" when there is no detail.
std::string DetailName(const absl::Status& status) {
  std::string name;
  status.ForEachPayload([&name](absl::string_view type_url, const absl::Cord&) {
    if (!name.empty()) return;
    absl::string_view type = type_url.substr(type_url.rfind('.') + 1);
    if (absl::ConsumeSuffix(&type, "Failure")) name = std::string(type);
  });
  return name;
}

class RequestMetrics final : public grpc::experimental::Interceptor {
 public:
  RequestMetrics(const std::string& service, std::string operation, const NamespaceNames& names)
      : service_(service),
        operation_(std::move(operation)),
        names_(names),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      if (const void* message = methods->GetRecvMessage()) {
        // The generated request types derive from Message alone, so the pointer is one.
        namespace_ = NamespaceOf(*static_cast<const google::protobuf::Message*>(message));
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  std::string NamespaceOf(const google::protobuf::Message& request) const {
    const auto* descriptor = request.GetDescriptor();
    const auto* reflection = request.GetReflection();
    using Field = google::protobuf::FieldDescriptor;
    std::string name;
    if (const Field* field = descriptor->FindFieldByName("namespace");
        field && field->type() == Field::TYPE_STRING && !field->is_repeated()) {
      name = names_.by_name(reflection->GetString(request, field));
    } else if (const Field* id = descriptor->FindFieldByName("namespace_id");
               id && id->type() == Field::TYPE_STRING && !id->is_repeated()) {
      name = names_.by_id(reflection->GetString(request, id));
    }
    return name.empty() ? metrics::kUnknownNamespace : name;
  }

  void Record(const grpc::Status& status) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    RecordServiceRequest(service_, operation_, namespace_, FromGrpcStatus(status), elapsed.count());
  }

  const std::string& service_;
  const std::string operation_;
  const NamespaceNames& names_;
  const std::chrono::steady_clock::time_point start_;
  std::string namespace_ = metrics::kUnknownNamespace;
};

class RequestMetricsFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RequestMetricsFactory(std::string service, NamespaceNames names, RecordedElsewhere elsewhere)
      : service_(std::move(service)), names_(std::move(names)), elsewhere_(std::move(elsewhere)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    // "/package.Service/Method"; gRPC's own services (health, reflection) are not ours.
    if (method == nullptr || std::strncmp(method, "/grpc.", 6) == 0) return nullptr;
    if (elsewhere_ && elsewhere_(method)) return nullptr;
    const char* slash = std::strrchr(method, '/');
    return new RequestMetrics(service_, slash ? slash + 1 : method, names_);
  }

 private:
  const std::string service_;
  const NamespaceNames names_;
  const RecordedElsewhere elsewhere_;
};

}  // namespace

void RecordServiceRequest(const std::string& service, std::string_view operation,
                          std::string_view namespace_name, const absl::Status& status,
                          double seconds) {
  std::initializer_list<std::string_view> labels = {operation, namespace_name};
  metrics::kServiceRequests.With(labels, service).Increment();
  metrics::kServiceLatency.With(labels, service).Observe(seconds);
  // The error series exists from the first request, so error ratios read 0 rather than nothing.
  auto& unexpected = metrics::kServiceErrors.With(labels, service);
  if (status.ok()) return;
  ErrorClass error = ClassifyError(status);
  metrics::kServiceErrorWithType.With({operation, namespace_name, error.type}, service).Increment();
  if (error.unexpected) unexpected.Increment();
  if (error.counter) error.counter->With(labels, service).Increment();
}

ErrorClass ClassifyError(const absl::Status& status) {
  const std::string detail = DetailName(status);
  ErrorClass error{detail.empty() ? CodeName(status.code()) : detail};
  if (detail == "WorkflowExecutionAlreadyStarted") {
    error.counter = &metrics::kServiceErrExecutionAlreadyStarted;
  } else if (detail == "NamespaceAlreadyExists") {
    error.counter = &metrics::kServiceErrNamespaceAlreadyExists;
  } else if (detail == "CancellationAlreadyRequested") {
    error.counter = &metrics::kServiceErrCancellationAlreadyRequested;
  } else if (detail == "QueryFailed") {
    error.counter = &metrics::kServiceErrQueryFailed;
  } else {
    switch (status.code()) {
      case absl::StatusCode::kDeadlineExceeded:
      case absl::StatusCode::kCancelled:
        error.counter = &metrics::kServiceErrContextTimeout;
        break;
      case absl::StatusCode::kInvalidArgument:
        error.counter = &metrics::kServiceErrInvalidArgument;
        break;
      case absl::StatusCode::kNotFound:
        error.counter = &metrics::kServiceErrEntityNotFound;
        break;
      case absl::StatusCode::kResourceExhausted:
        error.counter = &metrics::kServiceErrResourceExhausted;
        break;
      case absl::StatusCode::kInternal:
      case absl::StatusCode::kUnknown:
      case absl::StatusCode::kUnavailable:
      case absl::StatusCode::kDataLoss:
      case absl::StatusCode::kUnimplemented:
        error.unexpected = true;
        break;
      default:
        break;
    }
  }
  return error;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RequestMetricsInterceptor(
    std::string service_name, NamespaceNames namespaces, RecordedElsewhere elsewhere) {
  return std::make_unique<RequestMetricsFactory>(std::move(service_name), std::move(namespaces),
                                                 std::move(elsewhere));
}

}  // namespace tern::server
