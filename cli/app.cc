#include "cli/app.h"

namespace tern::cli {

std::unique_ptr<Command> BuildApp() {
  auto root = std::make_unique<Command>("tern", "Tern admin CLI");
  root->SetDescription(
      "tern administers a Tern cluster: database schema, workflows, namespaces, search attributes "
      "and cluster health.");
  root->AddFlag({.name = kAddressFlag,
                 .value_name = "HOST:PORT",
                 .help = "Frontend gRPC address",
                 .default_value = "127.0.0.1:7233",
                 .env = "TERN_ADDRESS"})
      .AddFlag({.name = kNamespaceFlag,
                .short_name = 'n',
                .value_name = "NAME",
                .help = "Namespace",
                .default_value = "default",
                .env = "TERN_NAMESPACE"})
      .AddFlag({.name = kOutputFlag,
                .short_name = 'o',
                .type = FlagType::kChoice,
                .value_name = "FORMAT",
                .help = "Output format",
                .default_value = "table",
                .choices = {"table", "json"}})
      .AddFlag({.name = kCommandTimeoutFlag,
                .type = FlagType::kDuration,
                .value_name = "DURATION",
                .help = "Deadline of each request to the server",
                .default_value = "10s"})
      .AddFlag({.name = kTlsFlag,
                .type = FlagType::kBool,
                .help = "Use TLS (implied by any other --tls-* flag)"})
      .AddFlag({.name = kTlsCertPathFlag,
                .value_name = "FILE",
                .help = "Client certificate (PEM) for mTLS",
                .env = "TERN_TLS_CERT_PATH"})
      .AddFlag({.name = kTlsKeyPathFlag,
                .value_name = "FILE",
                .help = "Client private key (PEM) for mTLS",
                .env = "TERN_TLS_KEY_PATH"})
      .AddFlag({.name = kTlsCaPathFlag,
                .value_name = "FILE",
                .help = "CA certificate (PEM) that signed the server's certificate; system roots "
                        "when absent",
                .env = "TERN_TLS_CA_PATH"})
      .AddFlag({.name = kTlsServerNameFlag,
                .value_name = "NAME",
                .help = "Server name to verify the server's certificate against",
                .env = "TERN_TLS_SERVER_NAME"});
  AddSchemaCommands(*root);
  AddWorkflowCommands(*root);
  Command& operator_group =
      root->AddSubcommand("operator", "Manage namespaces and search attributes");
  AddNamespaceCommands(operator_group);
  AddSearchAttributeCommands(operator_group);
  AddClusterCommands(*root);
  AddTaskQueueCommands(*root);
  return root;
}

}  // namespace tern::cli
