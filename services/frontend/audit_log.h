// The audit log: one JSON line per state-changing admin or operator call (api_methods.h marks
// them kAudited) and per denied call of any kind, apart from the process log:
//   {"ts","level","process","service","msg","log":"audit","operation","caller","source",
//    "namespace","workflow_id","run_id","outcome","error"}
// (the first five as in a process log line, so a record on standard output parses like one).
// `outcome` is the gRPC code name ("OK", "PERMISSION_DENIED", ...); `error` its message when not
// OK. Written to global.audit.path (appended, flushed per record) or to standard output.
//
// The gate (request_gate.h) writes denials as it makes them, and kAudited calls with the status
// they finish with.
#pragma once

#include <google/protobuf/message.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "common/config.h"

namespace tern::frontend {

// What a call is about: its namespace and, where it names one, the workflow.
struct AuditTarget {
  std::string namespace_name;
  std::string workflow_id;
  std::string run_id;
};
AuditTarget AuditTargetOf(const google::protobuf::Message& request);

struct AuditRecord {
  absl::string_view operation;
  absl::string_view caller;
  absl::string_view source;  // the peer address, "ipv4:10.0.0.7:51234"
  const AuditTarget& target;
  const absl::Status& outcome;
};

class AuditLog {
 public:
  // Opens global.audit.path for appending (an error names it), or standard output.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const AuditConfig& config);
  ~AuditLog();

  void Write(const AuditRecord& record);

 private:
  AuditLog(std::FILE* out, bool owned) : out_(out), owned_(owned) {}

  std::mutex mu_;
  std::FILE* out_;
  bool owned_;
};

}  // namespace tern::frontend
