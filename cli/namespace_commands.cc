// `tern operator namespace create|describe|list|update|delete`: WorkflowService's namespace RPCs,
// and OperatorService's DeleteNamespace.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "temporal/api/enums/v1/namespace.pb.h"
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace wf = temporal::api::workflowservice::v1;
namespace op = temporal::api::operatorservice::v1;
namespace ns = temporal::api::namespace_::v1;
using WorkflowClient = ServiceClient<wf::WorkflowService>;
using OperatorClient = ServiceClient<op::OperatorService>;

constexpr int kListPageSize = 100;

// The namespace a command acts on: a positional NAME or --namespace. Commands that create or
// change a namespace insist that it is named, so a forgotten flag never touches "default".
absl::StatusOr<std::string> TargetNamespace(const Invocation& inv, bool must_be_named) {
  bool flag_given = inv.flags.Has(kNamespaceFlag);
  if (!inv.args.empty()) {
    if (flag_given && inv.flags.Get(kNamespaceFlag) != inv.args[0]) {
      return absl::InvalidArgumentError(absl::StrCat("namespace given twice: \"", inv.args[0],
                                                     "\" and --namespace \"",
                                                     inv.flags.Get(kNamespaceFlag), "\""));
    }
    return inv.args[0];
  }
  if (must_be_named && !flag_given) {
    return absl::InvalidArgumentError("name the namespace with --namespace NAME");
  }
  const std::string& name = inv.flags.Get(kNamespaceFlag);
  if (name.empty()) return absl::InvalidArgumentError("--namespace must not be empty");
  return name;
}

google::protobuf::Duration ToProto(std::chrono::milliseconds d) {
  google::protobuf::Duration proto;
  proto.set_seconds(d.count() / 1000);
  proto.set_nanos(static_cast<int32_t>(d.count() % 1000) * 1000000);
  return proto;
}

std::string FormatRetention(const ns::NamespaceConfig& config) {
  if (!config.has_workflow_execution_retention_ttl()) return "";
  const google::protobuf::Duration& d = config.workflow_execution_retention_ttl();
  return FormatDuration(std::chrono::milliseconds(d.seconds() * 1000 + d.nanos() / 1000000));
}

void PrintNamespace(std::ostream& out, const ns::NamespaceInfo& info,
                    const ns::NamespaceConfig& config) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Name", info.name()},
      {"Id", info.id()},
      {"State", EnumDisplayName(info.state())},
      {"Retention", FormatRetention(config)},
      {"Description", info.description()},
      {"OwnerEmail", info.owner_email()},
  };
  if (!info.data().empty()) {
    // Sorted, so output is stable.
    std::set<std::string> pairs;
    for (const auto& [key, value] : info.data()) pairs.insert(absl::StrCat(key, "=", value));
    fields.emplace_back("Data", absl::StrJoin(pairs, ", "));
  }
  PrintFields(out, fields);
}

absl::Status Create(const Invocation& inv) {
  ASSIGN_OR_RETURN(std::string name, TargetNamespace(inv, /*must_be_named=*/true));
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));

  wf::RegisterNamespaceRequest request;
  request.set_namespace_(name);
  request.set_description(inv.flags.Get("description"));
  request.set_owner_email(inv.flags.Get("owner-email"));
  *request.mutable_workflow_execution_retention_period() =
      ToProto(inv.flags.GetDuration("retention"));
  wf::RegisterNamespaceResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::RegisterNamespace, request, &response,
                              absl::StrCat("failed to create namespace ", name)));
  PrintDone(inv, response, absl::StrCat("Namespace ", name, " created."));
  return absl::OkStatus();
}

absl::Status Describe(const Invocation& inv) {
  ASSIGN_OR_RETURN(std::string name, TargetNamespace(inv, /*must_be_named=*/false));
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));

  wf::DescribeNamespaceRequest request;
  request.set_namespace_(name);
  wf::DescribeNamespaceResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::DescribeNamespace, request, &response,
                              absl::StrCat("failed to describe namespace ", name)));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
  } else {
    PrintNamespace(inv.out, response.namespace_info(), response.config());
  }
  return absl::OkStatus();
}

absl::Status List(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));

  constexpr absl::string_view kWhat = "failed to list namespaces";
  wf::ListNamespacesResponse all;
  absl::Status listed =
      FetchPages(kWhat, [&](const std::string& token) -> absl::StatusOr<std::string> {
        wf::ListNamespacesRequest request;
        request.set_page_size(kListPageSize);
        request.set_next_page_token(token);
        wf::ListNamespacesResponse page;
        RETURN_IF_ERROR(
            client.Call(&wf::WorkflowService::Stub::ListNamespaces, request, &page, kWhat));
        for (auto& entry : *page.mutable_namespaces()) *all.add_namespaces() = std::move(entry);
        return page.next_page_token();
      });
  if (!listed.ok()) return listed;

  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, all);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const wf::DescribeNamespaceResponse& entry : all.namespaces()) {
    const ns::NamespaceInfo& info = entry.namespace_info();
    rows.push_back({info.name(), info.id(), EnumDisplayName(info.state()),
                    FormatRetention(entry.config()), info.description()});
  }
  PrintTable(inv.out, {"NAME", "ID", "STATE", "RETENTION", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status Update(const Invocation& inv) {
  ASSIGN_OR_RETURN(std::string name, TargetNamespace(inv, /*must_be_named=*/true));
  if (!inv.flags.Has("retention") && !inv.flags.Has("description") &&
      !inv.flags.Has("owner-email")) {
    return absl::InvalidArgumentError(
        "nothing to update: give --retention, --description or --owner-email");
  }
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));

  // Only the fields given are sent; the server leaves empty ones unchanged.
  wf::UpdateNamespaceRequest request;
  request.set_namespace_(name);
  if (inv.flags.Has("description")) {
    request.mutable_update_info()->set_description(inv.flags.Get("description"));
  }
  if (inv.flags.Has("owner-email")) {
    request.mutable_update_info()->set_owner_email(inv.flags.Get("owner-email"));
  }
  if (inv.flags.Has("retention")) {
    *request.mutable_config()->mutable_workflow_execution_retention_ttl() =
        ToProto(inv.flags.GetDuration("retention"));
  }
  wf::UpdateNamespaceResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::UpdateNamespace, request, &response,
                              absl::StrCat("failed to update namespace ", name)));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
  } else {
    inv.out << "Namespace " << name << " updated.\n";
    PrintNamespace(inv.out, response.namespace_info(), response.config());
  }
  return absl::OkStatus();
}

absl::Status Delete(const Invocation& inv) {
  ASSIGN_OR_RETURN(std::string name, TargetNamespace(inv, /*must_be_named=*/true));
  RETURN_IF_ERROR(
      Confirm(inv, absl::StrCat("delete namespace ", name, " and every workflow in it")));
  ASSIGN_OR_RETURN(OperatorClient client, OperatorClient::Open(inv.flags));

  op::DeleteNamespaceRequest request;
  request.set_namespace_(name);
  op::DeleteNamespaceResponse response;
  RETURN_IF_ERROR(client.Call(&op::OperatorService::Stub::DeleteNamespace, request, &response,
                              absl::StrCat("failed to delete namespace ", name)));
  PrintDone(inv, response, absl::StrCat("Namespace ", name, " deleted."));
  return absl::OkStatus();
}

FlagSpec RetentionFlag(std::string default_value) {
  return {.name = "retention",
          .type = FlagType::kDuration,
          .value_name = "DURATION",
          .help = "How long closed workflows are kept, e.g. 30d or 72h",
          .default_value = std::move(default_value)};
}

}  // namespace

void AddNamespaceCommands(Command& operator_group) {
  Command& ns = operator_group.AddSubcommand(
      "namespace", "Create, describe, list, update and delete namespaces");

  ns.AddSubcommand("create", "Register a new namespace")
      .SetArgs("[NAME]", 1)
      .AddFlag(RetentionFlag("72h"))
      .AddFlag({.name = "description", .value_name = "TEXT", .help = "Description"})
      .AddFlag({.name = "owner-email", .value_name = "EMAIL", .help = "Owner's email address"})
      .SetHandler(Create);
  ns.AddSubcommand("describe", "Show a namespace's details")
      .SetArgs("[NAME]", 1)
      .SetHandler(Describe);
  ns.AddSubcommand("list", "List all namespaces").SetHandler(List);
  ns.AddSubcommand("update", "Change a namespace's retention, description or owner")
      .SetArgs("[NAME]", 1)
      .AddFlag(RetentionFlag(""))
      .AddFlag({.name = "description", .value_name = "TEXT", .help = "New description"})
      .AddFlag({.name = "owner-email", .value_name = "EMAIL", .help = "New owner's email address"})
      .SetHandler(Update);
  ns.AddSubcommand("delete", "Delete a namespace and all its workflows (asks first)")
      .SetArgs("[NAME]", 1)
      .AddFlag(ConfirmFlag())
      .SetHandler(Delete);
}

}  // namespace tern::cli
