#include "cli/app.h"

namespace tern::cli {

std::unique_ptr<Command> BuildApp() {
  auto root = std::make_unique<Command>("tern", "Tern admin CLI");
  root->SetDescription(
      "tern administers a Tern cluster: database schema, workflows, namespaces, search attributes "
      "and cluster health.");
  // Each flag's environment variable, then the Temporal CLI's names for it (its own, then the
  // SDKs' environment-configuration names), so an operator's existing environment works.
  root->AddFlag({.name = kAddressFlag,
                 .value_name = "HOST:PORT",
                 .help = "Frontend gRPC address",
                 .default_value = "127.0.0.1:7233",
                 .env = "TERN_ADDRESS",
                 .env_aliases = {"TEMPORAL_ADDRESS"}})
      .AddFlag({.name = kNamespaceFlag,
                .short_name = 'n',
                .value_name = "NAME",
                .help = "Namespace",
                .default_value = "default",
                .env = "TERN_NAMESPACE",
                .env_aliases = {"TEMPORAL_NAMESPACE"}})
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
                .help = "Use TLS (implied by any other --tls-* flag)",
                .env = "TERN_TLS",
                .env_aliases = {"TEMPORAL_TLS"}})
      .AddFlag({.name = kTlsCertPathFlag,
                .value_name = "FILE",
                .help = "Client certificate (PEM) for mTLS",
                .env = "TERN_TLS_CERT_PATH",
                .env_aliases = {"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_CLIENT_CERT_PATH"}})
      .AddFlag({.name = kTlsKeyPathFlag,
                .value_name = "FILE",
                .help = "Client private key (PEM) for mTLS",
                .env = "TERN_TLS_KEY_PATH",
                .env_aliases = {"TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CLIENT_KEY_PATH"}})
      .AddFlag({.name = kTlsCaPathFlag,
                .value_name = "FILE",
                .help = "CA certificate (PEM) that signed the server's certificate; system roots "
                        "when absent",
                .env = "TERN_TLS_CA_PATH",
                .env_aliases = {"TEMPORAL_TLS_CA", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"}})
      .AddFlag({.name = kTlsServerNameFlag,
                .value_name = "NAME",
                .help = "Server name to verify the server's certificate against",
                .env = "TERN_TLS_SERVER_NAME",
                .env_aliases = {"TEMPORAL_TLS_SERVER_NAME"}})
      .AddFlag({.name = kTlsDisableHostVerificationFlag,
                .type = FlagType::kBool,
                .help = "Accept a server certificate signed by the CA whatever name it is for "
                        "(the chain is still verified)",
                .env = "TERN_TLS_DISABLE_HOST_VERIFICATION",
                .env_aliases = {"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"}})
      .AddFlag({.name = kApiKeyFlag,
                .value_name = "TOKEN",
                .help = "Bearer token (a JWT) sent as the authorization header of every request",
                .env = "TERN_API_KEY",
                .env_aliases = {"TEMPORAL_API_KEY"}})
      .AddFlag({.name = kAuthTokenFlag,
                .value_name = "TOKEN",
                .help = "Another name for --api-key",
                .env = "TERN_AUTH_TOKEN"});
  AddSchemaCommands(*root);
  AddWorkflowCommands(*root);
  AddScheduleCommands(*root);
  AddBatchCommands(*root);
  Command& operator_group =
      root->AddSubcommand("operator", "Manage namespaces and search attributes");
  AddNamespaceCommands(operator_group);
  AddSearchAttributeCommands(operator_group);
  AddClusterCommands(*root);
  AddTaskQueueCommands(*root);
  return root;
}

}  // namespace tern::cli
