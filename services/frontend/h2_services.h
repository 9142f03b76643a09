// The frontend's public surface on the h2 server (h2/server.h), the counterpart of
// gated_services.h on gRPC's:
//   - every method of api_methods.h passes the RequestGate and runs the handler's method, exactly
//     as on gRPC (gated_call.h);
//   - grpc.health.v1.Health/Check answers from `health` (SERVING, NOT_SERVING, or NOT_FOUND for
//     a service it does not know), as gRPC's default health service does; Watch is UNIMPLEMENTED;
//   - any other path answers UNIMPLEMENTED and is told to `unimplemented` (the request metrics
//     of calls the gate does not see).
// A request that does not parse as its method's message answers INVALID_ARGUMENT.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "h2/server.h"
#include "services/frontend/operator_handler.h"
#include "services/frontend/request_gate.h"
#include "services/frontend/workflow_handler.h"

namespace tern::frontend {

struct H2Services {
  WorkflowHandler& workflow;
  OperatorHandler& operator_service;
  RequestGate& gate;
  // Whether `service` ("" for the server as a whole) is serving; nullopt for one it does not know.
  std::function<std::optional<bool>(std::string_view service)> health;
  CallObserver unimplemented;  // may be null
};

// The handler to start an h2::Server with. The objects `services` refers to must outlive the
// server and every call it has started.
h2::Handler NewH2Handler(H2Services services);

}  // namespace tern::frontend
