// `tern cluster health`: the frontend's grpc.health.v1 status.
#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/health_check.h"
#include "cli/output.h"
#include "common/status_macros.h"

namespace tern::cli {
namespace {

absl::Status Health(const Invocation& inv) {
  ASSIGN_OR_RETURN(Connection connection, Connection::Open(inv.flags));
  const std::string& service = inv.flags.Get("service");
  ASSIGN_OR_RETURN(ServingStatus status, CheckHealth(connection, service));
  std::string name = ServingStatusName(status);
  if (status != ServingStatus::kServing) {
    return absl::UnavailableError(absl::StrCat(service.empty() ? "the server" : service, " at ",
                                               connection.address(), " is ", name));
  }
  if (JsonOutput(inv.flags)) {
    inv.out << "{\n  \"status\": \"" << name << "\"\n}\n";
  } else {
    inv.out << name << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddClusterCommands(Command& root) {
  Command& cluster = root.AddSubcommand("cluster", "Inspect the cluster");
  cluster.AddSubcommand("health", "Check that the frontend is serving (exit 0 iff SERVING)")
      .AddFlag({.name = "service",
                .value_name = "NAME",
                .help = "gRPC service to check; \"\" for the server as a whole",
                .default_value = kWorkflowServiceName})
      .SetHandler(Health);
}

}  // namespace tern::cli
