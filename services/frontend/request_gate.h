// RequestGate: what every frontend call passes before its handler runs (gated_services.h calls
// it for each method of api_methods.h):
//   1. authentication, when global.authorization is on: UNAUTHENTICATED without valid
//      credentials (authenticator.h);
//   2. authorization by the default authorizer: PERMISSION_DENIED (with a
//      PermissionDeniedFailure detail) when the caller's role in the request's namespace is
//      below what the method needs; the message names the method, the role, the namespace and
//      what the caller has;
//   3. the rate limits (rate_limiter.h) for calls that are not long polls: RESOURCE_EXHAUSTED.
// Denials by 1 and 2 are written to the audit log. Nothing of a refused call reaches a handler,
// so nothing of it is written.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/permissions.h"
#include "services/frontend/audit_log.h"
#include "services/frontend/authenticator.h"
#include "services/frontend/rate_limiter.h"

namespace tern::frontend {

enum class CallKind { kCall, kLongPoll, kAudited };

struct MethodAccess {
  absl::string_view name;
  Role role;
  CallKind kind;
};

class RequestGate {
 public:
  // `authenticator` null: authorization off (every call allowed, rate limits still apply).
  RequestGate(std::shared_ptr<Authenticator> authenticator, RateLimiter& limiter, AuditLog& audit);

  absl::Status Admit(const grpc::ServerContextBase& ctx, const MethodAccess& method,
                     const google::protobuf::Message& request, absl::string_view namespace_name);

 private:
  // `identity` is set once the caller is authenticated.
  absl::Status Authorize(const grpc::ServerContextBase& ctx, const MethodAccess& method,
                         absl::string_view namespace_name, std::string* identity);

  std::shared_ptr<Authenticator> authenticator_;
  RateLimiter& limiter_;
  AuditLog& audit_;
};

}  // namespace tern::frontend
