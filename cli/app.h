// The `tern` command tree. BuildApp declares the global flags and adds every command group;
// each group lives in its own <group>_commands.cc and registers itself through one Add*
// function, so a new group is one new file plus one line in BuildApp.
#pragma once

#include <memory>

#include "cli/command.h"

namespace tern::cli {

// Global flag names, read by the groups through ParsedFlags.
inline constexpr char kAddressFlag[] = "address";
inline constexpr char kNamespaceFlag[] = "namespace";
inline constexpr char kOutputFlag[] = "output";
inline constexpr char kCommandTimeoutFlag[] = "command-timeout";
inline constexpr char kTlsFlag[] = "tls";
inline constexpr char kTlsCertPathFlag[] = "tls-cert-path";
inline constexpr char kTlsKeyPathFlag[] = "tls-key-path";
inline constexpr char kTlsCaPathFlag[] = "tls-ca-path";
inline constexpr char kTlsServerNameFlag[] = "tls-server-name";
inline constexpr char kTlsDisableHostVerificationFlag[] = "tls-disable-host-verification";
inline constexpr char kApiKeyFlag[] = "api-key";
inline constexpr char kAuthTokenFlag[] = "auth-token";

std::unique_ptr<Command> BuildApp();

// `tern schema setup|update|version` (schema_commands.cc).
void AddSchemaCommands(Command& root);
// `tern workflow describe|show|signal|cancel|terminate|delete|list|count`
// (workflow_commands.cc), which adds the two below to the `workflow` group.
void AddWorkflowCommands(Command& root);
// `tern workflow start|execute|result` (workflow_start_commands.cc).
void AddWorkflowStartCommands(Command& workflow);
// `tern workflow query|stack|update|reset` (workflow_interaction_commands.cc).
void AddWorkflowInteractionCommands(Command& workflow);
// `tern operator namespace create|describe|list|update|delete` (namespace_commands.cc), under
// the `operator` group that BuildApp makes.
void AddNamespaceCommands(Command& operator_group);
// `tern operator search-attribute create|list|remove` (search_attribute_commands.cc).
void AddSearchAttributeCommands(Command& operator_group);
// `tern schedule create|describe|list|update|toggle|trigger|backfill|delete`
// (schedule_commands.cc).
void AddScheduleCommands(Command& root);
// `tern batch describe|list|terminate` (batch_commands.cc).
void AddBatchCommands(Command& root);
// `tern cluster health` (cluster_commands.cc).
void AddClusterCommands(Command& root);
// `tern task-queue describe` (task_queue_commands.cc).
void AddTaskQueueCommands(Command& root);

}  // namespace tern::cli
