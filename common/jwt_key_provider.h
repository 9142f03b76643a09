// The key set in force for JWT verification, loaded from key source URIs and kept current.
//
// Sources: `file:///absolute/path` and `http://` / `https://` URLs (libcurl; connect timeout 5 s,
// whole transfer 10 s, no redirects followed, status other than 200 refused, body at most
// kMaxKeySetBytes). Keys() is the merge of the last good KeySet of every source.
//
// Create loads every source once and fails, naming the URI and the problem, when one cannot be
// read or parsed: a start-up error. Afterwards Refresh() re-reads every source; a document that
// changed and parses replaces that source's keys (logged with the kids loaded and skipped), a
// failure keeps that source's previous keys and logs a warning naming the URI. Log lines and
// errors never carry key material.
//
// Threading: Keys() and Refresh() may be called from any thread; refreshes run one at a time.
// Start() runs Refresh() every refresh_interval on a thread of its own until Stop() (or the
// destructor), which wakes it, aborts a transfer in progress and joins it. Start and Stop are
// for the owner's thread; Stop is idempotent, and Start after Stop starts again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/jwt_keys.h"

namespace tern::jwt {

class KeyProvider {
 public:
  // `uris` must not be empty; `refresh_interval` must be positive and at most a year.
  static absl::StatusOr<std::unique_ptr<KeyProvider>> Create(std::vector<std::string> uris,
                                                             absl::Duration refresh_interval);
  ~KeyProvider();
  KeyProvider(const KeyProvider&) = delete;
  KeyProvider& operator=(const KeyProvider&) = delete;

  void Start();
  void Stop();

  // Re-reads every source now (see above). Returns OK, or the first source's failure (its URI
  // and problem) while the keys in force stay.
  absl::Status Refresh();

  // The keys in force; a snapshot that later refreshes do not change.
  std::shared_ptr<const KeySet> Keys() const;

 private:
  KeyProvider(std::vector<std::string> uris, absl::Duration refresh_interval);
  // Reads source `index`; when its document changed and parses, installs its keys and sets
  // `*changed`. Caller holds refresh_mu_.
  absl::Status Load(size_t index, bool* changed);
  void Run();

  const std::vector<std::string> uris_;
  const absl::Duration refresh_interval_;

  std::mutex refresh_mu_;
  std::vector<std::optional<std::string>> documents_;  // by source: the document last loaded
  std::vector<KeySet> sets_;                           // by source: its keys

  mutable std::mutex keys_mu_;
  std::shared_ptr<const KeySet> keys_;

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<bool> cancel_fetch_{false};  // set by Stop(): aborts a transfer in progress
};

}  // namespace tern::jwt
