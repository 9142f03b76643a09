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
//
// The gate also keeps each call's record (Begin, then Finished when the call is answered: see
// Reactor in call_reactor.h): the call counts among the calls in progress until it ends, its
// outcome goes to the CallObserver (the request metrics), and a kAudited call's outcome to the
// audit log. This is done here rather than in gRPC interceptors, whose machinery cost about 4 %
// of tern-server's instructions per workflow (docs/perf.md).
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

// Told of every answered call: its method, the namespace its request names ("" for none) and
// how it ended. Must not block.
using CallObserver = std::function<void(std::string_view operation, std::string_view namespace_name,
                                        const absl::Status& status, double seconds)>;

// What the gate keeps of one call until it is answered.
struct CallRecord {
  MethodAccess method;
  std::string namespace_name;
  std::chrono::steady_clock::time_point start;
  const CallTransport* transport = nullptr;
  RateLimiter::CallCount counted;
  std::unique_ptr<AuditTarget> audit;  // kAudited methods only
};

class RequestGate {
 public:
  // `authenticator` null: authorization off (every call allowed, rate limits still apply).
  // `observer` may be null.
  RequestGate(std::shared_ptr<Authenticator> authenticator, RateLimiter& limiter, AuditLog& audit,
              CallObserver observer = nullptr);

  // A call starts: it counts among the calls in progress until the record is destroyed.
  CallRecord Begin(const CallTransport& call, const MethodAccess& method,
                   const google::protobuf::Message& request, absl::string_view namespace_name);
  // The call is answered with `status`: the observer is told, and an audited call is written to
  // the audit log (unless the gate refused it for its credentials: Admit wrote that).
  void Finished(const CallRecord& record, const absl::Status& status);

  absl::Status Admit(const CallTransport& call, const MethodAccess& method,
                     const google::protobuf::Message& request, absl::string_view namespace_name);

 private:
  // `identity` is set once the caller is authenticated.
  absl::Status Authorize(const CallTransport& call, const MethodAccess& method,
                         absl::string_view namespace_name, std::string* identity);

  std::shared_ptr<Authenticator> authenticator_;
  RateLimiter& limiter_;
  AuditLog& audit_;
  CallObserver observer_;
};

}  // namespace tern::frontend
