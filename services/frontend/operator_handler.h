// OperatorHandler: the public temporal.api.operatorservice.v1.OperatorService, behind the gate
// (gated_services.h). Implemented: the search attribute RPCs and DeleteNamespace
// (NamespaceHandler::Delete: renamed and marked DELETED at once, data removed by tern-worker).
// Everything else answers UNIMPLEMENTED (the generated default).
//
// Custom search attributes are per namespace, stored in the namespace record
// (NamespaceRecord.custom_search_attributes) and served to every service through its namespace
// cache, so a change is seen everywhere within about two seconds (at once by this frontend,
// which puts the updated record in its cache).
//
//   AddSearchAttributes     every name checked first, nothing written on an error:
//                           INVALID_ARGUMENT "Search attribute X is reserved by system." (system
//                           and predefined names, anything starting with "Temporal", NamespaceId,
//                           Memo, ...), "Unknown search attribute type: T." (types: Keyword,
//                           Text, Int, Double, Bool, Datetime, KeywordList); ALREADY_EXISTS
//                           "Search attribute X already exists." when the namespace has it (with
//                           whatever type).
//   RemoveSearchAttributes  NOT_FOUND "Search attribute X doesn't exist."; INVALID_ARGUMENT
//                           "Unable to remove non-custom search attributes: X." for built-ins.
//                           Stored values stay in the visibility rows but are no longer returned
//                           or queryable.
//   ListSearchAttributes    custom_attributes of the namespace; system_attributes = every
//                           system and predefined attribute; storage_schema empty.
// Unknown namespace: NOT_FOUND with NamespaceNotFoundFailure.
//
// Add and Remove read, change and write the namespace record without a version check: two
// concurrent changes of one namespace's attributes may lose one of them.
//
// Threading: the RPC methods run on gRPC threads and post the blocking work (store calls) to the
// blocking executor; the blocking forms (tests call them) run on the caller's thread.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/executor.h"
#include "persistence/namespace_cache.h"
#include "persistence/store.h"
#include "persistence/visibility_store.h"
#include "services/frontend/api_methods.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/namespace_handler.h"
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"

namespace tern::frontend {

namespace op = temporal::api::operatorservice::v1;

class OperatorHandler final {
 public:
  // `visibility` may be null (no visibility store: nothing to map).
  OperatorHandler(std::shared_ptr<persistence::NamespaceStore> store,
                  std::shared_ptr<persistence::NamespaceCache> cache,
                  std::shared_ptr<NamespaceHandler> namespaces,
                  std::shared_ptr<persistence::VisibilityStore> visibility, Executor& blocking);

  // Every method of TERN_OPERATOR_SERVICE_METHODS (api_methods.h).
#define TERN_OPERATOR_HANDLER_DECLARATION(Method, role, kind) TERN_HANDLER_METHOD(op, Method);
  TERN_OPERATOR_SERVICE_METHODS(TERN_OPERATOR_HANDLER_DECLARATION)
#undef TERN_OPERATOR_HANDLER_DECLARATION

  // Blocking forms of the RPCs above.
  absl::StatusOr<op::AddSearchAttributesResponse> Add(const op::AddSearchAttributesRequest& r);
  absl::StatusOr<op::RemoveSearchAttributesResponse> Remove(
      const op::RemoveSearchAttributesRequest& r);
  absl::StatusOr<op::ListSearchAttributesResponse> List(const op::ListSearchAttributesRequest& r);

 private:
  // The namespace's record from the store (not the cache: changes build on the latest write).
  absl::StatusOr<persistence::v1::NamespaceRecord> Read(const std::string& name);
  absl::Status Write(const persistence::v1::NamespaceRecord& record);
  template <typename Response, typename Fn>
  Reactor* RunBlocking(CallContext* ctx, Response* response, Fn fn);

  std::shared_ptr<persistence::NamespaceStore> store_;
  std::shared_ptr<persistence::NamespaceCache> cache_;
  std::shared_ptr<NamespaceHandler> namespaces_;
  std::shared_ptr<persistence::VisibilityStore> visibility_;
  Executor& blocking_;
};

}  // namespace tern::frontend
