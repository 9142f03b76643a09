// The frontend's public services as registered with gRPC: each method of api_methods.h passes
// the RequestGate and then runs the handler's method with the call's CallContext. Methods not
// listed there answer UNIMPLEMENTED (the generated base class).
#pragma once

#include <string_view>

#include "services/frontend/api_methods.h"
#include "services/frontend/operator_handler.h"
#include "services/frontend/request_gate.h"
#include "services/frontend/workflow_handler.h"
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::frontend {

#define TERN_GATED_DECLARATION(Package, Method, role, kind)                 \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,        \
                                   const Package::Method##Request* request, \
                                   Package::Method##Response* response) override;
#define TERN_GATED_WORKFLOW_DECLARATION(Method, role, kind) \
  TERN_GATED_DECLARATION(temporal::api::workflowservice::v1, Method, role, kind)
#define TERN_GATED_OPERATOR_DECLARATION(Method, role, kind) \
  TERN_GATED_DECLARATION(temporal::api::operatorservice::v1, Method, role, kind)

class GatedWorkflowService final
    : public temporal::api::workflowservice::v1::WorkflowService::CallbackService {
 public:
  GatedWorkflowService(WorkflowHandler& inner, RequestGate& gate) : inner_(inner), gate_(gate) {}
  TERN_WORKFLOW_SERVICE_METHODS(TERN_GATED_WORKFLOW_DECLARATION)

 private:
  WorkflowHandler& inner_;
  RequestGate& gate_;
};

class GatedOperatorService final
    : public temporal::api::operatorservice::v1::OperatorService::CallbackService {
 public:
  GatedOperatorService(OperatorHandler& inner, RequestGate& gate) : inner_(inner), gate_(gate) {}
  TERN_OPERATOR_SERVICE_METHODS(TERN_GATED_OPERATOR_DECLARATION)

 private:
  OperatorHandler& inner_;
  RequestGate& gate_;
};

// True for a method path
// ("/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution") of api_methods.h,
// whose calls the gate records; the others (UNIMPLEMENTED) are left to the process's request
// interceptor.
bool IsGatedMethod(std::string_view path);

#undef TERN_GATED_OPERATOR_DECLARATION
#undef TERN_GATED_WORKFLOW_DECLARATION
#undef TERN_GATED_DECLARATION

}  // namespace tern::frontend
