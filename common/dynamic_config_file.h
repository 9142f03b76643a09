// Dynamic-config files: Temporal's shape, read at start and re-read while the process runs.
//
//   limit.maxIDLength: 500                          # a plain value: global
//   matching.numTaskqueueReadPartitions:            # or a list of constrained values
//     - value: 8
//       constraints: {namespace: orders, taskQueueName: checkout}
//     - value: 2
//       constraints: {namespace: orders}
//     - value: 4                                    # no constraints: global
//
// Every key must be declared (dynamic_config_keys.h); values must have the key's type and lie
// in its range; a global key takes no constraints and a namespace key no taskQueueName; two
// entries of one key may not have the same constraints. Errors name file:line and the key path
// (e.g. "dc.yaml:4: limit.maxIDLength[0].value: must be in 1..1048576, got 0").
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/dynamic_config.h"
#include "common/executor.h"

namespace tern::dynamicconfig {

// Parses a dynamic-config file's text; `source` names it in errors.
absl::StatusOr<Values> ParseValuesFile(const std::string& text, const std::string& source);
absl::StatusOr<Values> LoadValuesFile(const std::string& path);

// Keeps a Collection in step with a dynamic-config file: the values in force are `base` (the
// main config's dynamicConfig section) with every key the file sets taking the file's values.
//
// The file is read when its content differs from the last read. A new valid file is published
// at once (readers see it on their next Get); an unreadable or invalid one leaves the values in
// force and logs why, once per distinct content, naming file, line and key.
//
// Threading: Poll and PollIfDue may be called from any thread (serialised inside). Start arms a
// timer on `timers` that calls PollIfDue every min(poll_interval, 1s); `clock` decides when a
// poll is due, so tests advance a fake clock instead of sleeping, or call Poll directly. Stop is
// idempotent and returns once no poll runs; a timer that fires later does nothing. `clock` and
// `timers` must outlive Stop.
class FileWatcher {
 public:
  FileWatcher(std::string path, std::chrono::milliseconds poll_interval, Values base,
              Collection collection, const Clock& clock, Executor& timers);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  void Start();
  void Stop();
  // Reads the file now (see above); returns why the values were kept, or OK.
  absl::Status Poll();
  // Poll() if poll_interval has passed on the clock since the last poll, else OK.
  absl::Status PollIfDue();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace tern::dynamicconfig
