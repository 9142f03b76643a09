#include "persistence/namespace_cache.h"

#include "common/errors.h"
#include "common/logging.h"

namespace tern::persistence {
namespace {
constexpr int kRefreshPageSize = 200;
}

visibility::CustomSearchAttributes CustomSearchAttributesOf(const v1::NamespaceRecord& record) {
  return {record.custom_search_attributes().begin(), record.custom_search_attributes().end()};
}

std::shared_ptr<NamespaceCache> NamespaceCache::Create(std::shared_ptr<NamespaceStore> store,
                                                       Executor& blocking_executor,
                                                       std::chrono::milliseconds refresh_interval) {
  return std::shared_ptr<NamespaceCache>(
      new NamespaceCache(std::move(store), blocking_executor, refresh_interval));
}

NamespaceCache::NamespaceCache(std::shared_ptr<NamespaceStore> store, Executor& executor,
                               std::chrono::milliseconds refresh_interval)
    : store_(std::move(store)), executor_(executor), refresh_interval_(refresh_interval) {}

NamespaceCache::~NamespaceCache() { Stop(); }

void NamespaceCache::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  executor_.Post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->RunScheduledRefresh();
  });
}

void NamespaceCache::Stop() {
  std::unique_lock lock(mu_);
  running_ = false;
  if (timer_) {
    timer_->Cancel();
    timer_.reset();
  }
  refresh_done_.wait(lock, [this] { return !refreshing_; });
}

void NamespaceCache::ScheduleRefreshLocked() {
  if (!running_) return;
  timer_ = executor_.PostAfter(refresh_interval_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->RunScheduledRefresh();
  });
}

void NamespaceCache::RunScheduledRefresh() {
  {
    std::lock_guard lock(mu_);
    if (!running_ || refreshing_) return;
    refreshing_ = true;
  }
  if (auto st = Refresh(); !st.ok()) {
    Log(spdlog::level::warn, {.error = st.ToString()}, "namespace cache refresh failed");
  }
  std::lock_guard lock(mu_);
  refreshing_ = false;
  refresh_done_.notify_all();
  ScheduleRefreshLocked();
}

absl::Status NamespaceCache::Refresh() {
  const uint64_t read_started = WriteGeneration();
  std::unordered_map<std::string, Entry> by_name, by_id;
  std::string token;
  do {
    auto page = store_->ListNamespaces(kRefreshPageSize, token);
    if (!page.ok()) return page.status();
    for (auto& record : page->namespaces) {
      auto entry = std::make_shared<const v1::NamespaceRecord>(std::move(record));
      by_name[entry->info().name()] = entry;
      by_id[entry->info().id()] = entry;
    }
    token = std::move(page->next_page_token);
  } while (!token.empty());
  std::lock_guard lock(mu_);
  // Records this process wrote while the table was being read win over what was read.
  for (const auto& [id, generation] : put_generation_) {
    if (generation <= read_started) continue;
    auto fresh = by_id_.find(id);
    if (fresh == by_id_.end()) continue;
    if (auto read = by_id.find(id); read != by_id.end()) by_name.erase(read->second->info().name());
    by_id[id] = fresh->second;
    by_name[fresh->second->info().name()] = fresh->second;
  }
  by_name_.swap(by_name);
  by_id_.swap(by_id);
  // Generations older than this read are covered by what it read.
  std::erase_if(put_generation_, [&](const auto& put) { return put.second <= read_started; });
  return absl::OkStatus();
}

NamespaceCache::Entry NamespaceCache::FindByName(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string NamespaceCache::NameOf(const std::string& id) {
  constexpr size_t kMaxMisses = 1024;  // ids are internal; a bound all the same
  {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second->info().name();
    auto now = std::chrono::steady_clock::now();
    auto [miss, first] = misses_.try_emplace(id, now);
    if (!first && now - miss->second < refresh_interval_) return "";
    miss->second = now;
    if (misses_.size() > kMaxMisses) misses_.clear();
  }
  executor_.Post([self = shared_from_this(), id] { self->LoadById(id).IgnoreError(); });
  return "";
}

NamespaceCache::Entry NamespaceCache::FindById(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<NamespaceCache::Entry> NamespaceCache::All() const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  out.reserve(by_id_.size());
  for (const auto& [_, entry] : by_id_) out.push_back(entry);
  return out;
}

void NamespaceCache::GetByName(const std::string& name, Callback done) {
  if (auto entry = FindByName(name)) return done(std::move(entry));
  executor_.Post(
      [self = shared_from_this(), name, done = std::move(done)] { done(self->LoadByName(name)); });
}

void NamespaceCache::GetById(const std::string& id, Callback done) {
  if (auto entry = FindById(id)) return done(std::move(entry));
  executor_.Post(
      [self = shared_from_this(), id, done = std::move(done)] { done(self->LoadById(id)); });
}

absl::StatusOr<NamespaceCache::Entry> NamespaceCache::LoadByName(const std::string& name) {
  const uint64_t read_started = WriteGeneration();
  auto record = store_->GetNamespaceByName(name);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) return NamespaceNotFoundError(name);
    return record.status();
  }
  auto entry = std::make_shared<const v1::NamespaceRecord>(std::move(*record));
  std::lock_guard lock(mu_);
  if (PutSinceLocked(entry->info().id(), read_started)) return by_id_.at(entry->info().id());
  PutLocked(entry);
  return entry;
}

absl::StatusOr<NamespaceCache::Entry> NamespaceCache::LoadById(const std::string& id) {
  const uint64_t read_started = WriteGeneration();
  auto record = store_->GetNamespaceById(id);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) return NamespaceNotFoundError(id);
    return record.status();
  }
  auto entry = std::make_shared<const v1::NamespaceRecord>(std::move(*record));
  std::lock_guard lock(mu_);
  if (PutSinceLocked(entry->info().id(), read_started)) return by_id_.at(entry->info().id());
  PutLocked(entry);
  return entry;
}

void NamespaceCache::Put(const v1::NamespaceRecord& record) {
  auto entry = std::make_shared<const v1::NamespaceRecord>(record);
  std::lock_guard lock(mu_);
  put_generation_[entry->info().id()] = ++generation_;
  PutLocked(std::move(entry));
}

uint64_t NamespaceCache::WriteGeneration() const {
  std::lock_guard lock(mu_);
  return generation_;
}

bool NamespaceCache::PutSinceLocked(const std::string& id, uint64_t read_started) const {
  auto it = put_generation_.find(id);
  return it != put_generation_.end() && it->second > read_started && by_id_.contains(id);
}

void NamespaceCache::PutLocked(Entry entry) {
  // A rename is not possible through the API, but keep both maps consistent regardless.
  if (auto old = by_id_.find(entry->info().id()); old != by_id_.end()) {
    if (old->second->info().name() != entry->info().name())
      by_name_.erase(old->second->info().name());
  }
  by_name_[entry->info().name()] = entry;
  by_id_[entry->info().id()] = entry;
}

}  // namespace tern::persistence
