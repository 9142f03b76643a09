#include "services/history/visibility_record.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include "common/clock.h"
#include "visibility/payloads.h"

namespace tern::history {

namespace pv1 = tern::persistence::v1;
using google::protobuf::util::MessageDifferencer;

namespace {

// Most runs have no memo and no search attributes: equal without reflection.
bool SameMemo(const temporal::api::common::v1::Memo& a, const temporal::api::common::v1::Memo& b) {
  return (a.fields().empty() && b.fields().empty()) || MessageDifferencer::Equals(a, b);
}

bool SameSearchAttributes(const temporal::api::common::v1::SearchAttributes& a,
                          const temporal::api::common::v1::SearchAttributes& b) {
  return (a.indexed_fields().empty() && b.indexed_fields().empty()) ||
         MessageDifferencer::Equals(a, b);
}

}  // namespace

bool VisibilityChanged(const pv1::MutableState* before, const pv1::MutableState& after) {
  if (before == nullptr) return true;
  return before->status() != after.status() || !SameMemo(before->memo(), after.memo()) ||
         !SameSearchAttributes(before->search_attributes(), after.search_attributes());
}

pv1::MutableState VisibilityFieldsOf(const pv1::MutableState& state) {
  pv1::MutableState fields;
  fields.set_status(state.status());
  *fields.mutable_memo() = state.memo();
  *fields.mutable_search_attributes() = state.search_attributes();
  return fields;
}

temporal::api::common::v1::WorkflowExecution RootExecution(const pv1::MutableState& state) {
  temporal::api::common::v1::WorkflowExecution root;
  if (!state.has_parent()) {
    root.set_workflow_id(state.workflow_id());
    root.set_run_id(state.run_id());
  } else if (!state.parent().root_workflow_id().empty()) {
    root.set_workflow_id(state.parent().root_workflow_id());
    root.set_run_id(state.parent().root_run_id());
  } else {
    root.set_workflow_id(state.parent().workflow_id());
    root.set_run_id(state.parent().run_id());
  }
  return root;
}

persistence::VisibilityRecord BuildVisibilityRecord(
    const pv1::MutableState& state, const visibility::CustomSearchAttributes& custom,
    std::vector<std::string>* dropped) {
  persistence::VisibilityRecord r;
  r.namespace_id = state.namespace_id();
  r.run_id = state.run_id();
  r.workflow_id = state.workflow_id();
  r.workflow_type = state.workflow_type().name();
  r.task_queue = state.task_queue();
  r.status = state.status();
  r.start_time = FromProto(state.start_time());
  r.execution_time = state.has_execution_time() ? FromProto(state.execution_time()) : r.start_time;
  if (state.has_close_time()) {
    r.close_time = FromProto(state.close_time());
    r.execution_duration_nanos = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(*r.close_time - r.execution_time)
               .count());
  }
  r.history_length = std::max<int64_t>(0, state.next_event_id() - 1);
  r.history_size_bytes = state.history_size_bytes();
  r.state_transition_count = state.state_transition_count();
  if (state.has_parent()) {
    r.parent_workflow_id = state.parent().workflow_id();
    r.parent_run_id = state.parent().run_id();
  }
  auto root = RootExecution(state);
  r.root_workflow_id = root.workflow_id();
  r.root_run_id = root.run_id();
  r.search_attributes_json =
      visibility::SearchAttributesJson(state.search_attributes(), custom, dropped);
  r.memo = state.memo();
  return r;
}

}  // namespace tern::history
