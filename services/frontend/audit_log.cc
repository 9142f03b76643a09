#include "services/frontend/audit_log.h"

#include <google/protobuf/descriptor.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/errors.h"
#include "common/metrics.h"
#include "nlohmann/json.hpp"

namespace tern::frontend {
namespace {

using google::protobuf::FieldDescriptor;

// The string field `name` of `message`, or "".
std::string StringField(const google::protobuf::Message& message, const char* name) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated() || field->type() != FieldDescriptor::TYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

AuditTarget AuditTargetOf(const google::protobuf::Message& request) {
  AuditTarget target{StringField(request, "namespace"), StringField(request, "workflow_id"),
                     StringField(request, "run_id")};
  const FieldDescriptor* execution = request.GetDescriptor()->FindFieldByName("workflow_execution");
  if (execution != nullptr && execution->type() == FieldDescriptor::TYPE_MESSAGE &&
      !execution->is_repeated() && request.GetReflection()->HasField(request, execution)) {
    const auto& nested = request.GetReflection()->GetMessage(request, execution);
    target.workflow_id = StringField(nested, "workflow_id");
    target.run_id = StringField(nested, "run_id");
  }
  return target;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditConfig& config) {
  if (config.path.empty()) return std::unique_ptr<AuditLog>(new AuditLog(stdout, false));
  std::FILE* file = std::fopen(config.path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("global.audit.path: cannot open ", config.path,
                                                   " for appending: ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file, true));
}

AuditLog::~AuditLog() {
  if (owned_) std::fclose(out_);
}

void AuditLog::Write(const AuditRecord& record) {
  const std::string outcome = absl::StatusCodeToString(record.outcome.code());
  // The members of a process log line too (common/logging.h), so a record written beside them
  // parses like them; "log":"audit" tells it apart.
  nlohmann::json line = {
      {"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())},
      {"level", "info"},
      {"process", spdlog::default_logger()->name()},
      {"service", metrics::ProcessServiceName()},
      {"msg", absl::StrCat("audit: ", record.operation, " ", outcome)},
      {"log", "audit"},
      {"operation", record.operation},
      {"caller", record.caller},
      {"source", record.source},
      {"namespace", record.target.namespace_name},
      {"outcome", outcome},
  };
  if (!record.target.workflow_id.empty()) line["workflow_id"] = record.target.workflow_id;
  if (!record.target.run_id.empty()) line["run_id"] = record.target.run_id;
  if (!record.outcome.ok()) line["error"] = std::string(record.outcome.message());
  // Invalid UTF-8 from a request is replaced, never a reason to lose the record.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace tern::frontend
