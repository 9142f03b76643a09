#include "services/frontend/visibility_handler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "visibility/payloads.h"
#include "visibility/values.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;
namespace wf = temporal::api::workflow::v1;
using visibility::Expr;
using visibility::Op;
using visibility::Value;

std::unique_ptr<Expr> Predicate(std::string_view attribute, Op op, std::vector<Value> values) {
  auto expr = std::make_unique<Expr>();
  expr->kind = Expr::Kind::kPredicate;
  expr->predicate.attribute = *visibility::ResolveSearchAttribute(attribute, {});
  expr->predicate.op = op;
  expr->predicate.values = std::move(values);
  return expr;
}

int64_t DatetimeMicros(const google::protobuf::Timestamp& t, int64_t if_unset) {
  if (t.seconds() == 0 && t.nanos() == 0) return if_unset;
  return std::clamp(ToMicros(t), visibility::kMinDatetimeMicros, visibility::kMaxDatetimeMicros);
}

// The query of a legacy ListOpen/ListClosed request: all of its filters.
template <typename Request>
visibility::Query LegacyQuery(const Request& request, bool open) {
  std::vector<std::unique_ptr<Expr>> all;
  all.push_back(Predicate("ExecutionStatus", open ? Op::kEq : Op::kNe,
                          {int64_t{enums::WORKFLOW_EXECUTION_STATUS_RUNNING}}));
  if (request.has_start_time_filter()) {
    const auto& f = request.start_time_filter();
    all.push_back(Predicate(open ? "StartTime" : "CloseTime", Op::kBetween,
                            {DatetimeMicros(f.earliest_time(), visibility::kMinDatetimeMicros),
                             DatetimeMicros(f.latest_time(), visibility::kMaxDatetimeMicros)}));
  }
  if (request.has_execution_filter()) {
    const auto& f = request.execution_filter();
    if (!f.workflow_id().empty())
      all.push_back(Predicate("WorkflowId", Op::kEq, {f.workflow_id()}));
    if (!f.run_id().empty()) all.push_back(Predicate("RunId", Op::kEq, {f.run_id()}));
  }
  if (request.has_type_filter() && !request.type_filter().name().empty()) {
    all.push_back(Predicate("WorkflowType", Op::kEq, {request.type_filter().name()}));
  }
  if constexpr (requires { request.status_filter(); }) {
    if (request.has_status_filter() &&
        request.status_filter().status() != enums::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED) {
      all.push_back(
          Predicate("ExecutionStatus", Op::kEq, {int64_t{request.status_filter().status()}}));
    }
  }
  visibility::Query query;
  if (all.size() == 1) {
    query.where = std::move(all[0]);
  } else {
    query.where = std::make_unique<Expr>();
    query.where->kind = Expr::Kind::kAnd;
    query.where->operands = std::move(all);
  }
  return query;
}

absl::Status NoStore() { return absl::UnimplementedError("this server has no visibility store"); }

}  // namespace

wf::WorkflowExecutionInfo ExecutionInfoOf(const persistence::VisibilityRecord& r,
                                          const visibility::CustomSearchAttributes& custom) {
  wf::WorkflowExecutionInfo info;
  info.mutable_execution()->set_workflow_id(r.workflow_id);
  info.mutable_execution()->set_run_id(r.run_id);
  info.mutable_type()->set_name(r.workflow_type);
  *info.mutable_start_time() = ToProto(r.start_time);
  *info.mutable_execution_time() = ToProto(r.execution_time);
  if (r.close_time) *info.mutable_close_time() = ToProto(*r.close_time);
  if (r.execution_duration_nanos) {
    *info.mutable_execution_duration() =
        ToProtoDuration(std::chrono::nanoseconds(*r.execution_duration_nanos));
  }
  info.set_status(static_cast<enums::WorkflowExecutionStatus>(r.status));
  info.set_history_length(r.history_length);
  info.set_history_size_bytes(r.history_size_bytes);
  info.set_state_transition_count(r.state_transition_count);
  info.set_task_queue(r.task_queue);
  if (!r.parent_workflow_id.empty()) {
    // Children live in their parent's namespace.
    info.set_parent_namespace_id(r.namespace_id);
    info.mutable_parent_execution()->set_workflow_id(r.parent_workflow_id);
    info.mutable_parent_execution()->set_run_id(r.parent_run_id);
  }
  info.mutable_root_execution()->set_workflow_id(r.root_workflow_id);
  info.mutable_root_execution()->set_run_id(r.root_run_id);
  if (r.memo.fields_size() > 0) *info.mutable_memo() = r.memo;
  auto attributes = visibility::SearchAttributesFromJson(r.search_attributes_json, custom);
  if (attributes.ok() && attributes->indexed_fields_size() > 0) {
    *info.mutable_search_attributes() = *std::move(attributes);
  }
  return info;
}

VisibilityHandler::VisibilityHandler(std::shared_ptr<persistence::VisibilityStore> store,
                                     std::shared_ptr<persistence::NamespaceCache> cache)
    : store_(std::move(store)), cache_(std::move(cache)) {}

absl::StatusOr<VisibilityHandler::Page> VisibilityHandler::ListQuery(
    const NamespaceRecord& ns, const visibility::Query& query, int page_size,
    const std::string& page_token) {
  if (!store_) return NoStore();
  auto page = store_->List(ns.info().id(), query, page_size, page_token);
  if (!page.ok()) return page.status();
  auto custom = persistence::CustomSearchAttributesOf(ns);
  Page out;
  for (const auto& record : page->records) *out.rows.Add() = ExecutionInfoOf(record, custom);
  out.next_page_token = std::move(page->next_page_token);
  return out;
}

template <typename Response>
absl::StatusOr<Response> VisibilityHandler::Respond(absl::StatusOr<Page> page) {
  if (!page.ok()) return page.status();
  Response out;
  out.mutable_executions()->Swap(&page->rows);
  out.set_next_page_token(std::move(page->next_page_token));
  return out;
}

absl::StatusOr<VisibilityHandler::Page> VisibilityHandler::ListText(const NamespaceRecord& ns,
                                                                    const std::string& text,
                                                                    int page_size,
                                                                    const std::string& page_token) {
  auto query = visibility::ParseQuery(text, persistence::CustomSearchAttributesOf(ns));
  if (!query.ok()) return query.status();
  return ListQuery(ns, *query, page_size, page_token);
}

absl::StatusOr<ws::ListWorkflowExecutionsResponse> VisibilityHandler::List(
    const NamespaceRecord& ns, const ws::ListWorkflowExecutionsRequest& request) {
  return Respond<ws::ListWorkflowExecutionsResponse>(
      ListText(ns, request.query(), request.page_size(), request.next_page_token()));
}

absl::StatusOr<ws::ScanWorkflowExecutionsResponse> VisibilityHandler::Scan(
    const NamespaceRecord& ns, const ws::ScanWorkflowExecutionsRequest& request) {
  return Respond<ws::ScanWorkflowExecutionsResponse>(
      ListText(ns, request.query(), request.page_size(), request.next_page_token()));
}

absl::StatusOr<ws::CountWorkflowExecutionsResponse> VisibilityHandler::Count(
    const NamespaceRecord& ns, const ws::CountWorkflowExecutionsRequest& request) {
  if (!store_) return NoStore();
  auto query = visibility::ParseQuery(request.query(), persistence::CustomSearchAttributesOf(ns),
                                      {.for_count = true});
  if (!query.ok()) return query.status();
  auto count = store_->Count(ns.info().id(), *query);
  if (!count.ok()) return count.status();
  ws::CountWorkflowExecutionsResponse out;
  out.set_count(count->count);
  for (const auto& group : count->groups) {
    auto* g = out.add_groups();
    // GROUP BY is only possible on ExecutionStatus, a Keyword holding the status name.
    std::string_view name =
        visibility::ExecutionStatusName(static_cast<int>(std::get<int64_t>(group.value)));
    *g->add_group_values() = visibility::SearchAttributePayload(
        absl::StrCat("\"", std::string(name), "\""), enums::INDEXED_VALUE_TYPE_KEYWORD);
    g->set_count(group.count);
  }
  return out;
}

absl::StatusOr<ws::ListOpenWorkflowExecutionsResponse> VisibilityHandler::ListOpen(
    const NamespaceRecord& ns, const ws::ListOpenWorkflowExecutionsRequest& request) {
  return Respond<ws::ListOpenWorkflowExecutionsResponse>(
      ListQuery(ns, LegacyQuery(request, /*open=*/true), request.maximum_page_size(),
                request.next_page_token()));
}

absl::StatusOr<ws::ListClosedWorkflowExecutionsResponse> VisibilityHandler::ListClosed(
    const NamespaceRecord& ns, const ws::ListClosedWorkflowExecutionsRequest& request) {
  return Respond<ws::ListClosedWorkflowExecutionsResponse>(
      ListQuery(ns, LegacyQuery(request, /*open=*/false), request.maximum_page_size(),
                request.next_page_token()));
}

ws::GetSearchAttributesResponse VisibilityHandler::GetSearchAttributes() const {
  ws::GetSearchAttributesResponse out;
  auto& keys = *out.mutable_keys();
  for (const auto& attribute : visibility::BuiltInAttributes()) {
    keys[std::string(attribute.name)] = attribute.type;
  }
  if (cache_) {
    auto namespaces = cache_->All();
    std::sort(namespaces.begin(), namespaces.end(),
              [](const auto& a, const auto& b) { return a->info().name() < b->info().name(); });
    for (const auto& ns : namespaces) {
      for (const auto& [name, type] : ns->custom_search_attributes()) keys.insert({name, type});
    }
  }
  return out;
}

}  // namespace tern::frontend
