// NamespaceCache: a process's view of the namespaces table, by name and by id. The frontend
// resolves every request's namespace through one; history and the worker use theirs for the
// namespace's settings (custom search attributes, retention).
//
// Contract:
// - The whole table is re-read from the NamespaceStore every `refresh_interval` (1 s by
//   default) in the background, so a namespace created or updated through any frontend (or the
//   CLI against the database) is visible here within about two intervals (2 s by default). A miss
//   is loaded from the store directly, so a namespace registered a moment ago is usable at once.
// - Every store call runs on the blocking Executor given at construction, never on the caller's
//   thread, except for the explicitly blocking Load*/Refresh methods (for code that already runs
//   on that executor, and for tests).
// - Entries are immutable snapshots (shared_ptr<const NamespaceRecord>); an update replaces the
//   pointer, readers keep what they hold.
// - A record Put() by this process is never replaced by one a refresh or load read from the
//   store before that Put (the read may have started before the write it would undo).
// - Thread-safe. Find* never block (one mutex, no I/O). Get* callbacks run inline on a hit, or
//   on a blocking-executor thread after a load; they must not block.
//
// Lifetime: create with Create() (the background work holds a weak reference). Stop() cancels
// the refresh loop and waits for a refresh in flight; loads already posted still complete.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/executor.h"
#include "persistence/store.h"
#include "visibility/search_attributes.h"

namespace tern::persistence {

// The custom search attributes of a namespace, in the form the visibility library takes.
visibility::CustomSearchAttributes CustomSearchAttributesOf(const v1::NamespaceRecord& record);

class NamespaceCache : public std::enable_shared_from_this<NamespaceCache> {
 public:
  using Entry = std::shared_ptr<const v1::NamespaceRecord>;
  using Callback = std::function<void(absl::StatusOr<Entry>)>;

  static std::shared_ptr<NamespaceCache> Create(
      std::shared_ptr<NamespaceStore> store, Executor& blocking_executor,
      std::chrono::milliseconds refresh_interval = std::chrono::seconds(1));
  ~NamespaceCache();

  // Starts the refresh loop (first refresh posted at once). Idempotent.
  void Start();
  // Stops the refresh loop; returns once no refresh is running. Idempotent.
  void Stop();

  // Cached entry or nullptr. Never blocks.
  Entry FindByName(const std::string& name) const;
  Entry FindById(const std::string& id) const;
  // The cached namespace's name, or "" when the cache does not know the id; then the record is
  // loaded in the background (at most once per id per refresh interval), so a namespace
  // registered a moment ago is named by the next call rather than after the next refresh.
  // Never blocks.
  std::string NameOf(const std::string& id);
  // Every cached entry, in no particular order. Never blocks.
  std::vector<Entry> All() const;

  // Cached entry (callback inline), else loaded from the store on the blocking executor.
  // Unknown name/id: NOT_FOUND with NamespaceNotFoundFailure. Store errors pass through.
  void GetByName(const std::string& name, Callback done);
  void GetById(const std::string& id, Callback done);

  // Blocking: always reads the store, then updates the cache.
  absl::StatusOr<Entry> LoadByName(const std::string& name);
  absl::StatusOr<Entry> LoadById(const std::string& id);

  // Records a namespace this process just wrote, so the next lookup sees it.
  void Put(const v1::NamespaceRecord& record);

  // Blocking: re-reads the whole table and replaces the cache contents (namespaces deleted from
  // the table disappear). Used by the refresh loop.
  absl::Status Refresh();

 private:
  NamespaceCache(std::shared_ptr<NamespaceStore> store, Executor& executor,
                 std::chrono::milliseconds refresh_interval);
  void ScheduleRefreshLocked();
  void RunScheduledRefresh();
  void PutLocked(Entry entry);
  // The number of Put() calls so far; taken before a store read.
  uint64_t WriteGeneration() const;
  // Whether this process Put() a record of `id` after generation `read_started` (then what a
  // store read begun at that generation found for it is older than the cached entry).
  bool PutSinceLocked(const std::string& id, uint64_t read_started) const;

  std::shared_ptr<NamespaceStore> store_;
  Executor& executor_;
  const std::chrono::milliseconds refresh_interval_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_name_;
  std::unordered_map<std::string, Entry> by_id_;
  // Ids NameOf() did not find, and when it last asked the store for them.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> misses_;
  // Counts Put() calls; put_generation_ holds, per id, the count after its last Put().
  uint64_t generation_ = 0;
  std::unordered_map<std::string, uint64_t> put_generation_;
  bool running_ = false;
  bool refreshing_ = false;
  std::condition_variable refresh_done_;
  std::shared_ptr<Executor::Timer> timer_;
};

}  // namespace tern::persistence
