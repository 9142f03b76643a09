// `tern schedule create|describe|list|update|toggle|trigger|backfill|delete`, with the Temporal
// CLI's names and flags. A schedule is named by -s/--schedule-id; create and update take the
// spec flags below plus the flags of `workflow start` for the workflow each action starts.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/app.h"
#include "cli/output.h"
#include "cli/workflow_support.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "temporal/api/enums/v1/schedule.pb.h"

namespace tern::cli {
namespace {

namespace enums = temporal::api::enums::v1;
namespace sv1 = temporal::api::schedule::v1;

constexpr char kScheduleIdFlag[] = "schedule-id";
constexpr char kOverlapFlag[] = "overlap-policy";

FlagSpec ScheduleIdFlag() {
  return {.name = kScheduleIdFlag,
          .short_name = 's',
          .value_name = "ID",
          .help = "Schedule ID",
          .required = true};
}

FlagSpec OverlapFlag(const char* help) {
  return {
      .name = kOverlapFlag,
      .type = FlagType::kChoice,
      .value_name = "POLICY",
      .help = help,
      .choices = {"Skip", "BufferOne", "BufferAll", "CancelOther", "TerminateOther", "AllowAll"}};
}

enums::ScheduleOverlapPolicy OverlapPolicy(const ParsedFlags& flags) {
  if (!flags.Has(kOverlapFlag)) return enums::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED;
  return static_cast<enums::ScheduleOverlapPolicy>(
      *EnumFromDisplayName(*enums::ScheduleOverlapPolicy_descriptor(), flags.Get(kOverlapFlag)));
}

// An RFC 3339 time flag ("2026-12-06T10:00:00Z").
absl::StatusOr<google::protobuf::Timestamp> TimeFlag(const ParsedFlags& flags, const char* flag) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, flags.Get(flag), &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " ", flags.Get(flag), " is not an RFC 3339 time: ", error));
  }
  return ToProto(absl::ToChronoTime(time));
}

using ScheduleClient = WorkflowClient;

// The schedule the create/update flags describe.
absl::StatusOr<sv1::Schedule> ScheduleFromFlags(const ParsedFlags& flags) {
  sv1::Schedule schedule;
  auto* spec = schedule.mutable_spec();
  if (flags.Has("cron")) {
    for (const std::string& cron : flags.GetAll("cron")) spec->add_cron_string(cron);
  }
  if (flags.Has("interval")) {
    // "10m" or "10m/2m" (interval/phase), as the Temporal CLI takes them.
    for (const std::string& text : flags.GetAll("interval")) {
      auto slash = text.find('/');
      ASSIGN_OR_RETURN(auto every, ParseDuration(text.substr(0, slash)));
      auto* interval = spec->add_interval();
      *interval->mutable_interval() = ToProtoDuration(every);
      if (slash != std::string::npos) {
        ASSIGN_OR_RETURN(auto phase, ParseDuration(text.substr(slash + 1)));
        *interval->mutable_phase() = ToProtoDuration(phase);
      }
    }
  }
  if (flags.Has("calendar")) {
    for (const std::string& json : flags.GetAll("calendar")) {
      auto parsed =
          google::protobuf::util::JsonStringToMessage(json, spec->add_structured_calendar());
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--calendar ", json,
            " is not a StructuredCalendarSpec in JSON: ", std::string(parsed.message())));
      }
    }
  }
  if (flags.Has("start-time")) {
    ASSIGN_OR_RETURN(*spec->mutable_start_time(), TimeFlag(flags, "start-time"));
  }
  if (flags.Has("end-time")) {
    ASSIGN_OR_RETURN(*spec->mutable_end_time(), TimeFlag(flags, "end-time"));
  }
  if (flags.Has("jitter")) *spec->mutable_jitter() = ToProtoDuration(flags.GetDuration("jitter"));
  spec->set_timezone_name(flags.Get("time-zone"));

  auto* policies = schedule.mutable_policies();
  policies->set_overlap_policy(OverlapPolicy(flags));
  if (flags.Has("catchup-window")) {
    *policies->mutable_catchup_window() = ToProtoDuration(flags.GetDuration("catchup-window"));
  }
  policies->set_pause_on_failure(flags.GetBool("pause-on-failure"));

  auto* state = schedule.mutable_state();
  state->set_paused(flags.GetBool("paused"));
  state->set_notes(flags.Get("notes"));
  if (flags.Has("remaining-actions")) {
    state->set_limited_actions(true);
    state->set_remaining_actions(flags.GetInt("remaining-actions"));
  }

  ASSIGN_OR_RETURN(wf::StartWorkflowExecutionRequest start,
                   StartRequest(flags, /*workflow_cron=*/false));
  auto* action = schedule.mutable_action()->mutable_start_workflow();
  action->set_workflow_id(flags.Has(kWorkflowIdFlag) ? start.workflow_id()
                                                     : flags.Get(kScheduleIdFlag));
  *action->mutable_workflow_type() = start.workflow_type();
  *action->mutable_task_queue() = start.task_queue();
  if (start.has_input()) *action->mutable_input() = start.input();
  if (start.has_workflow_execution_timeout()) {
    *action->mutable_workflow_execution_timeout() = start.workflow_execution_timeout();
  }
  if (start.has_workflow_run_timeout()) {
    *action->mutable_workflow_run_timeout() = start.workflow_run_timeout();
  }
  if (start.has_workflow_task_timeout()) {
    *action->mutable_workflow_task_timeout() = start.workflow_task_timeout();
  }
  if (start.has_memo()) *action->mutable_memo() = start.memo();
  if (start.has_search_attributes())
    *action->mutable_search_attributes() = start.search_attributes();
  return schedule;
}

absl::Status Create(const Invocation& inv) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::CreateScheduleRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_schedule_id(inv.flags.Get(kScheduleIdFlag));
  ASSIGN_OR_RETURN(*request.mutable_schedule(), ScheduleFromFlags(inv.flags));
  RETURN_IF_ERROR(
      KeyedPayloads(inv.flags, "schedule-memo", request.mutable_memo()->mutable_fields()));
  RETURN_IF_ERROR(KeyedPayloads(inv.flags, "schedule-search-attribute",
                                request.mutable_search_attributes()->mutable_indexed_fields()));
  request.set_identity(Identity());
  request.set_request_id(NewUuid());
  wf::CreateScheduleResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::CreateSchedule, request, &response,
                              absl::StrCat("failed to create schedule ", request.schedule_id())));
  PrintDone(inv, response, "Schedule created.");
  return absl::OkStatus();
}

absl::Status Update(const Invocation& inv) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::UpdateScheduleRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_schedule_id(inv.flags.Get(kScheduleIdFlag));
  ASSIGN_OR_RETURN(*request.mutable_schedule(), ScheduleFromFlags(inv.flags));
  request.set_identity(Identity());
  request.set_request_id(NewUuid());
  wf::UpdateScheduleResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::UpdateSchedule, request, &response,
                              absl::StrCat("failed to update schedule ", request.schedule_id())));
  PrintDone(inv, response, "Schedule updated.");
  return absl::OkStatus();
}

// toggle, trigger and backfill: one PatchSchedule each.
absl::Status SendPatch(const Invocation& inv, sv1::SchedulePatch patch, absl::string_view done) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::PatchScheduleRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_schedule_id(inv.flags.Get(kScheduleIdFlag));
  *request.mutable_patch() = std::move(patch);
  request.set_identity(Identity());
  request.set_request_id(NewUuid());
  wf::PatchScheduleResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::PatchSchedule, request, &response,
                              absl::StrCat("failed to patch schedule ", request.schedule_id())));
  PrintDone(inv, response, done);
  return absl::OkStatus();
}

absl::Status Toggle(const Invocation& inv) {
  const bool pause = inv.flags.GetBool("pause");
  if (pause == inv.flags.GetBool("unpause")) {
    return absl::InvalidArgumentError("give exactly one of --pause and --unpause");
  }
  sv1::SchedulePatch patch;
  std::string reason = inv.flags.Get("reason");
  if (pause) {
    patch.set_pause(reason);
  } else {
    patch.set_unpause(reason);
  }
  return SendPatch(inv, std::move(patch), pause ? "Schedule paused." : "Schedule unpaused.");
}

absl::Status Trigger(const Invocation& inv) {
  sv1::SchedulePatch patch;
  patch.mutable_trigger_immediately()->set_overlap_policy(OverlapPolicy(inv.flags));
  return SendPatch(inv, std::move(patch), "Schedule triggered.");
}

absl::Status Backfill(const Invocation& inv) {
  sv1::SchedulePatch patch;
  auto* backfill = patch.add_backfill_request();
  ASSIGN_OR_RETURN(*backfill->mutable_start_time(), TimeFlag(inv.flags, "start-time"));
  ASSIGN_OR_RETURN(*backfill->mutable_end_time(), TimeFlag(inv.flags, "end-time"));
  backfill->set_overlap_policy(OverlapPolicy(inv.flags));
  return SendPatch(inv, std::move(patch), "Backfill requested.");
}

absl::Status Describe(const Invocation& inv) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::DescribeScheduleRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_schedule_id(inv.flags.Get(kScheduleIdFlag));
  wf::DescribeScheduleResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::DescribeSchedule, request, &response,
                              absl::StrCat("failed to describe schedule ", request.schedule_id())));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
    return absl::OkStatus();
  }
  const auto& schedule = response.schedule();
  const auto& info = response.info();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"ScheduleId", request.schedule_id()},
      {"WorkflowType", schedule.action().start_workflow().workflow_type().name()},
      {"Paused", schedule.state().paused() ? "true" : "false"},
  };
  if (!schedule.state().notes().empty()) fields.emplace_back("Notes", schedule.state().notes());
  fields.emplace_back("ActionCount", absl::StrCat(info.action_count()));
  fields.emplace_back("SkippedOverlap", absl::StrCat(info.overlap_skipped()));
  fields.emplace_back("RunningWorkflows", absl::StrCat(info.running_workflows_size()));
  if (info.recent_actions_size() > 0) {
    const auto& last = info.recent_actions(info.recent_actions_size() - 1);
    fields.emplace_back("LastAction", absl::StrCat(FormatTimestamp(last.schedule_time()), " ",
                                                   last.start_workflow_result().workflow_id()));
  }
  if (info.future_action_times_size() > 0) {
    fields.emplace_back("NextAction", FormatTimestamp(info.future_action_times(0)));
  }
  PrintFields(inv.out, fields);
  return absl::OkStatus();
}

absl::Status List(const Invocation& inv) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::ListSchedulesResponse all;
  constexpr absl::string_view kWhat = "failed to list schedules";
  RETURN_IF_ERROR(FetchPages(kWhat, [&](const std::string& token) -> absl::StatusOr<std::string> {
    wf::ListSchedulesRequest request;
    request.set_namespace_(inv.flags.Get(kNamespaceFlag));
    request.set_query(inv.flags.Get("query"));
    request.set_next_page_token(token);
    wf::ListSchedulesResponse page;
    RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::ListSchedules, request, &page, kWhat));
    for (auto& entry : *page.mutable_schedules()) *all.add_schedules() = std::move(entry);
    return page.next_page_token();
  }));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, all);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : all.schedules()) {
    const auto& info = entry.info();
    rows.push_back(
        {entry.schedule_id(), info.workflow_type().name(), info.paused() ? "true" : "false",
         info.future_action_times_size() > 0 ? FormatTimestamp(info.future_action_times(0)) : ""});
  }
  PrintTable(inv.out, {"ScheduleId", "WorkflowType", "Paused", "NextAction"}, rows);
  return absl::OkStatus();
}

absl::Status Delete(const Invocation& inv) {
  ASSIGN_OR_RETURN(ScheduleClient client, ScheduleClient::Open(inv.flags));
  wf::DeleteScheduleRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_schedule_id(inv.flags.Get(kScheduleIdFlag));
  request.set_identity(Identity());
  wf::DeleteScheduleResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::DeleteSchedule, request, &response,
                              absl::StrCat("failed to delete schedule ", request.schedule_id())));
  PrintDone(inv, response, "Schedule deleted.");
  return absl::OkStatus();
}

// The flags of create and update: the spec, policies and state, then the workflow's.
Command& AddScheduleFlags(Command& command) {
  auto repeated = [](const char* name, const char* value, const char* help) {
    return FlagSpec{.name = name, .value_name = value, .help = help, .repeated = true};
  };
  auto flag_bool = [](const char* name, const char* help) {
    return FlagSpec{.name = name, .type = FlagType::kBool, .help = help};
  };
  command.AddFlag(ScheduleIdFlag())
      .AddFlag(repeated("cron", "SPEC", "Cron string, e.g. \"0 12 * * MON-FRI\"; repeatable"))
      .AddFlag(
          repeated("interval", "DURATION[/PHASE]",
                   "Every DURATION from the epoch (plus PHASE), e.g. 10m or 1h/5m; repeatable"))
      .AddFlag(repeated("calendar", "JSON",
                        "A StructuredCalendarSpec in JSON, e.g. '{\"hour\":[{\"start\":9}]}'"))
      .AddFlag({.name = "start-time", .value_name = "RFC3339", .help = "No action before this"})
      .AddFlag({.name = "end-time", .value_name = "RFC3339", .help = "No action after this"})
      .AddFlag({.name = "jitter",
                .type = FlagType::kDuration,
                .value_name = "DURATION",
                .help = "Delay each action by a random time up to this"})
      .AddFlag({.name = "time-zone",
                .value_name = "TZ",
                .help = "IANA zone for calendars and cron strings, e.g. Europe/Paris"})
      .AddFlag(OverlapFlag("What to do when an action comes while the last one runs (Skip)"))
      .AddFlag({.name = "catchup-window",
                .type = FlagType::kDuration,
                .value_name = "DURATION",
                .help = "How late a missed action may still run (default 365d)"})
      .AddFlag(flag_bool("pause-on-failure", "Pause when a started workflow fails"))
      .AddFlag(flag_bool("paused", "Create the schedule paused"))
      .AddFlag({.name = "notes", .value_name = "TEXT", .help = "Notes kept with the state"})
      .AddFlag({.name = "remaining-actions",
                .type = FlagType::kInt,
                .value_name = "N",
                .help = "Take N actions, then stop"})
      .AddFlag(repeated("schedule-search-attribute", "KEY=JSON",
                        "The schedule's own search attribute; repeatable"))
      .AddFlag(repeated("schedule-memo", "KEY=JSON", "The schedule's own memo field; repeatable"));
  return AddStartFlags(command, /*workflow_cron=*/false);
}

}  // namespace

void AddScheduleCommands(Command& root) {
  Command& schedule = root.AddSubcommand("schedule", "Create and operate schedules");
  AddScheduleFlags(schedule.AddSubcommand("create", "Create a schedule")).SetHandler(Create);
  AddScheduleFlags(
      schedule.AddSubcommand("update", "Replace a schedule's spec, action and policies"))
      .SetHandler(Update);
  schedule.AddSubcommand("describe", "Show a schedule's state, recent and next actions")
      .AddFlag(ScheduleIdFlag())
      .SetHandler(Describe);
  schedule.AddSubcommand("list", "List the namespace's schedules")
      .AddFlag({.name = "query",
                .short_name = 'q',
                .value_name = "QUERY",
                .help = "Visibility query over the schedules' search attributes"})
      .SetHandler(List);
  schedule.AddSubcommand("toggle", "Pause or unpause a schedule")
      .AddFlag(ScheduleIdFlag())
      .AddFlag({.name = "pause", .type = FlagType::kBool, .help = "Pause"})
      .AddFlag({.name = "unpause", .type = FlagType::kBool, .help = "Unpause"})
      .AddFlag({.name = "reason", .value_name = "TEXT", .help = "Kept as the schedule's notes"})
      .SetHandler(Toggle);
  schedule.AddSubcommand("trigger", "Take the schedule's action now")
      .AddFlag(ScheduleIdFlag())
      .AddFlag(OverlapFlag("Overlap policy for this action (the schedule's when absent)"))
      .SetHandler(Trigger);
  schedule.AddSubcommand("backfill", "Take the actions the spec gives in a past time range")
      .AddFlag(ScheduleIdFlag())
      .AddFlag({.name = "start-time", .value_name = "RFC3339", .help = "From", .required = true})
      .AddFlag({.name = "end-time", .value_name = "RFC3339", .help = "To", .required = true})
      .AddFlag(OverlapFlag("Overlap policy for these actions (the schedule's when absent)"))
      .SetHandler(Backfill);
  schedule.AddSubcommand("delete", "Delete a schedule (its workflows keep running)")
      .AddFlag(ScheduleIdFlag())
      .SetHandler(Delete);
}

}  // namespace tern::cli
