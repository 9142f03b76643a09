#include "services/history/signals.h"

namespace tern::history {
namespace {
// Signal request ids kept per run for deduplication; older ones are forgotten.
constexpr int kMaxRememberedSignalRequests = 100;
}  // namespace

hv1::HistoryEvent* AddSignal(MutableStateBuilder& ms, const std::string& signal_name,
                             const temporal::api::common::v1::Payloads* input,
                             const std::string& identity,
                             const temporal::api::common::v1::Header* header,
                             const std::string& request_id) {
  auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  auto* attrs = event->mutable_workflow_execution_signaled_event_attributes();
  attrs->set_signal_name(signal_name);
  if (input) *attrs->mutable_input() = *input;
  attrs->set_identity(identity);
  if (header) *attrs->mutable_header() = *header;
  attrs->set_request_id(request_id);
  if (!request_id.empty()) {
    auto* ids = ms.state().mutable_signal_request_ids();
    ids->Add(std::string(request_id));
    if (ids->size() > kMaxRememberedSignalRequests) ids->DeleteSubrange(0, 1);
  }
  ms.ScheduleWorkflowTask();
  return event;
}

}  // namespace tern::history
