// `tern operator search-attribute create|list|remove`, over OperatorService, for the namespace of
// -n/--namespace.
#include <cassert>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "temporal/api/enums/v1/common.pb.h"
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace op = temporal::api::operatorservice::v1;
namespace enums = temporal::api::enums::v1;
using OperatorClient = ServiceClient<op::OperatorService>;

constexpr char kNameFlag[] = "name";
constexpr char kTypeFlag[] = "type";

// The --type choices: every IndexedValueType but UNSPECIFIED, as EnumDisplayName spells them.
std::vector<std::string> TypeChoices() {
  std::vector<std::string> choices;
  const google::protobuf::EnumDescriptor& type = *enums::IndexedValueType_descriptor();
  for (int i = 0; i < type.value_count(); ++i) {
    int number = type.value(i)->number();
    if (number != enums::INDEXED_VALUE_TYPE_UNSPECIFIED) {
      choices.push_back(EnumDisplayName(type, number));
    }
  }
  return choices;
}

absl::Status Create(const Invocation& inv) {
  const std::vector<std::string>& names = inv.flags.GetAll(kNameFlag);
  const std::vector<std::string>& types = inv.flags.GetAll(kTypeFlag);
  if (names.size() != types.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "give one --type for each --name (", names.size(), " --name, ", types.size(), " --type)"));
  }
  const std::string& ns = inv.flags.Get(kNamespaceFlag);
  op::AddSearchAttributesRequest request;
  request.set_namespace_(ns);
  std::vector<std::string> added;
  for (size_t i = 0; i < names.size(); ++i) {
    // The parser admitted only TypeChoices(), spelled as they are there.
    std::optional<int> type = EnumFromDisplayName(*enums::IndexedValueType_descriptor(), types[i]);
    assert(type.has_value());
    if (!request.mutable_search_attributes()
             ->insert({names[i], static_cast<enums::IndexedValueType>(*type)})
             .second) {
      return absl::InvalidArgumentError(absl::StrCat("--name ", names[i], " is given twice"));
    }
    added.push_back(absl::StrCat(names[i], " (", types[i], ")"));
  }
  ASSIGN_OR_RETURN(OperatorClient client, OperatorClient::Open(inv.flags));
  op::AddSearchAttributesResponse response;
  RETURN_IF_ERROR(client.Call(&op::OperatorService::Stub::AddSearchAttributes, request, &response,
                              absl::StrCat("failed to add search attributes to namespace ", ns)));
  PrintDone(inv, response,
            absl::StrCat("Added to namespace ", ns, ": ", absl::StrJoin(added, ", "), "."));
  return absl::OkStatus();
}

absl::Status List(const Invocation& inv) {
  ASSIGN_OR_RETURN(OperatorClient client, OperatorClient::Open(inv.flags));
  const std::string& ns = inv.flags.Get(kNamespaceFlag);
  op::ListSearchAttributesRequest request;
  request.set_namespace_(ns);
  op::ListSearchAttributesResponse response;
  RETURN_IF_ERROR(client.Call(&op::OperatorService::Stub::ListSearchAttributes, request, &response,
                              absl::StrCat("failed to list search attributes of namespace ", ns)));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
    return absl::OkStatus();
  }
  // Custom attributes first, as the ones a user manages; each group sorted by name.
  std::vector<std::vector<std::string>> rows;
  for (const auto* attributes : {&response.custom_attributes(), &response.system_attributes()}) {
    std::map<std::string, enums::IndexedValueType> sorted(attributes->begin(), attributes->end());
    for (const auto& [name, type] : sorted) rows.push_back({name, EnumDisplayName(type)});
  }
  PrintTable(inv.out, {"Name", "Type"}, rows);
  return absl::OkStatus();
}

absl::Status Remove(const Invocation& inv) {
  const std::vector<std::string>& names = inv.flags.GetAll(kNameFlag);
  const std::string& ns = inv.flags.Get(kNamespaceFlag);
  const std::string list = absl::StrJoin(names, ", ");
  RETURN_IF_ERROR(
      Confirm(inv, absl::StrCat("remove search attributes ", list, " from namespace ", ns)));
  ASSIGN_OR_RETURN(OperatorClient client, OperatorClient::Open(inv.flags));
  op::RemoveSearchAttributesRequest request;
  request.set_namespace_(ns);
  for (const std::string& name : names) request.add_search_attributes(name);
  op::RemoveSearchAttributesResponse response;
  RETURN_IF_ERROR(
      client.Call(&op::OperatorService::Stub::RemoveSearchAttributes, request, &response,
                  absl::StrCat("failed to remove search attributes from namespace ", ns)));
  PrintDone(inv, response, absl::StrCat("Removed from namespace ", ns, ": ", list, "."));
  return absl::OkStatus();
}

}  // namespace

void AddSearchAttributeCommands(Command& operator_group) {
  Command& group = operator_group.AddSubcommand(
      "search-attribute", "Add, list and remove the search attributes of a namespace");
  group.AddSubcommand("create", "Add custom search attributes")
      .SetDescription(
          "Add custom search attributes to the namespace, one --type per --name:\n"
          "  tern operator search-attribute create --name Customer --type Keyword "
          "--name Amount --type Double")
      .AddFlag({.name = kNameFlag,
                .value_name = "NAME",
                .help = "Search attribute name",
                .required = true,
                .repeated = true})
      .AddFlag({.name = kTypeFlag,
                .type = FlagType::kChoice,
                .value_name = "TYPE",
                .help = "Type of the search attribute named by the --name in the same position",
                .choices = TypeChoices(),
                .required = true,
                .repeated = true})
      .SetHandler(Create);
  group.AddSubcommand("list", "List the custom and system search attributes").SetHandler(List);
  group.AddSubcommand("remove", "Remove custom search attributes (asks first)")
      .AddFlag({.name = kNameFlag,
                .value_name = "NAME",
                .help = "Search attribute name",
                .required = true,
                .repeated = true})
      .AddFlag(ConfirmFlag())
      .SetHandler(Remove);
}

}  // namespace tern::cli
