// The fake of persistence::VisibilityStore (persistence/visibility_store.h).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "persistence/visibility_store.h"

namespace tern::mocks {

// Keeps the newest row per run (the store contract's newest-wins rule) and counts upserts. List
// and Count are not needed by history.
class FakeVisibilityStore final : public persistence::VisibilityStore {
 public:
  absl::Status Upsert(const persistence::VisibilityRecord& record) override {
    std::lock_guard lock(mu_);
    ++upserts_[record.run_id];
    auto [it, inserted] = rows_.try_emplace(record.run_id, record);
    if (!inserted && it->second.state_transition_count <= record.state_transition_count) {
      it->second = record;
    }
    return absl::OkStatus();
  }
  absl::Status Delete(const std::string&, const std::string& run_id) override {
    std::lock_guard lock(mu_);
    rows_.erase(run_id);
    return absl::OkStatus();
  }
  absl::StatusOr<persistence::VisibilityPage> List(const std::string&, const visibility::Query&,
                                                   int, const std::string&) override {
    return absl::UnimplementedError("FakeVisibilityStore::List");
  }
  absl::StatusOr<persistence::VisibilityCount> Count(const std::string&,
                                                     const visibility::Query&) override {
    return absl::UnimplementedError("FakeVisibilityStore::Count");
  }

  std::optional<persistence::VisibilityRecord> Row(const std::string& run_id) const {
    std::lock_guard lock(mu_);
    auto it = rows_.find(run_id);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  int Upserts(const std::string& run_id) const {
    std::lock_guard lock(mu_);
    auto it = upserts_.find(run_id);
    return it == upserts_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, persistence::VisibilityRecord> rows_;
  std::map<std::string, int> upserts_;
};

}  // namespace tern::mocks
