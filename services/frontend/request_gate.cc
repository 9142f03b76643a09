#include "services/frontend/request_gate.h"

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace tern::frontend {

RequestGate::RequestGate(std::shared_ptr<Authenticator> authenticator, RateLimiter& limiter,
                         AuditLog& audit, CallObserver observer)
    : authenticator_(std::move(authenticator)),
      limiter_(limiter),
      audit_(audit),
      observer_(std::move(observer)) {}

CallRecord RequestGate::Begin(const CallTransport& call, const MethodAccess& method,
                              const google::protobuf::Message& request,
                              absl::string_view namespace_name) {
  CallRecord record{method, std::string(namespace_name), std::chrono::steady_clock::now(),
                    &call,  limiter_.CountCall(),        nullptr};
  if (method.kind == CallKind::kAudited) {
    record.audit = std::make_unique<AuditTarget>(AuditTargetOf(request));
  }
  return record;
}

void RequestGate::Finished(const CallRecord& record, const absl::Status& status) {
  if (observer_) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - record.start;
    const absl::string_view operation = record.method.name;
    observer_(std::string_view(operation.data(), operation.size()), record.namespace_name, status,
              elapsed.count());
  }
  if (!record.audit || absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) return;
  Caller caller = UnauthenticatedCaller(*record.transport);
  if (authenticator_ != nullptr) {
    if (auto authenticated = authenticator_->Authenticate(*record.transport); authenticated.ok()) {
      caller = *std::move(authenticated);
    }
  }
  audit_.Write(
      {record.method.name, caller.identity, record.transport->peer(), *record.audit, status});
}

absl::Status RequestGate::Admit(const CallTransport& call, const MethodAccess& method,
                                const google::protobuf::Message& request,
                                absl::string_view namespace_name) {
  if (authenticator_ != nullptr && method.role != Role::kNone) {
    std::string identity;
    if (absl::Status denied = Authorize(call, method, namespace_name, &identity); !denied.ok()) {
      if (identity.empty()) identity = UnauthenticatedCaller(call).identity;
      audit_.Write({method.name, identity, call.peer(), AuditTargetOf(request), denied});
      return denied;
    }
  }
  if (method.kind == CallKind::kLongPoll) return absl::OkStatus();  // limited by the handler
  return limiter_.Admit(namespace_name);
}

absl::Status RequestGate::Authorize(const CallTransport& call, const MethodAccess& method,
                                    absl::string_view namespace_name, std::string* identity) {
  absl::StatusOr<Caller> caller = authenticator_->Authenticate(call);
  if (!caller.ok()) return caller.status();
  *identity = caller->identity;
  if (caller->permissions.For(namespace_name) >= method.role) return absl::OkStatus();
  const absl::string_view role = RoleName(method.role);
  const std::string needed =
      namespace_name.empty()
          ? absl::StrCat("the system ", role, " role (system:", role, ")")
          : absl::StrCat("the ", role, " role in namespace \"", namespace_name, "\" (",
                         namespace_name, ":", role, " or system:", role, ")");
  return PermissionDeniedError(
      absl::StrCat("permission denied: ", method.name, " needs ", needed, "; ", caller->identity,
                   " has ", caller->permissions.ToString()),
      absl::StrCat("missing role ", role));
}

}  // namespace tern::frontend
