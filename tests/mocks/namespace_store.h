// The fake of persistence::NamespaceStore (persistence/store.h).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "persistence/store.h"

namespace tern::mocks {

// Namespaces in memory, ordered by name; counts calls and can fail every call on demand, or run
// a hook between a read and its answer (to write behind a reader's back).
class FakeNamespaceStore final : public persistence::NamespaceStore {
 public:
  absl::Status CreateNamespace(const persistence::v1::NamespaceRecord& record) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (by_name_.count(record.info().name())) return absl::AlreadyExistsError("name taken");
    for (const auto& [_, r] : by_name_) {
      if (r.info().id() == record.info().id()) return absl::AlreadyExistsError("id taken");
    }
    by_name_[record.info().name()] = record;
    return absl::OkStatus();
  }
  absl::StatusOr<persistence::v1::NamespaceRecord> GetNamespaceByName(
      const std::string& name) override {
    return AfterRead(ReadByName(name));
  }
  absl::StatusOr<persistence::v1::NamespaceRecord> GetNamespaceById(
      const std::string& id) override {
    return AfterRead(ReadById(id));
  }
  absl::StatusOr<Page> ListNamespaces(int page_size, const std::string& token) override {
    return AfterRead(ReadPage(page_size, token));
  }
  absl::Status UpdateNamespace(const persistence::v1::NamespaceRecord& record) override {
    std::lock_guard lock(mu_);
    ++calls_;
    for (auto& [name, r] : by_name_) {
      if (r.info().id() == record.info().id()) {
        by_name_.erase(name);
        by_name_[record.info().name()] = record;
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("no such namespace");
  }
  absl::Status DeleteNamespace(const std::string& id) override {
    std::lock_guard lock(mu_);
    ++calls_;
    for (auto it = by_name_.begin(); it != by_name_.end(); ++it) {
      if (it->second.info().id() == id) {
        by_name_.erase(it);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("no such namespace");
  }

  // Every call fails with `error` (OkStatus to heal).
  void SetError(absl::Status error) {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  // `hook` runs once, after the next read has taken its data and before it answers.
  void RunOnceAfterNextRead(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    after_read_ = std::move(hook);
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int list_calls() const {
    std::lock_guard lock(mu_);
    return list_calls_;
  }

 private:
  absl::StatusOr<persistence::v1::NamespaceRecord> ReadByName(const std::string& name) {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!error_.ok()) return error_;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return absl::NotFoundError("no such namespace");
    return it->second;
  }
  absl::StatusOr<persistence::v1::NamespaceRecord> ReadById(const std::string& id) {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!error_.ok()) return error_;
    for (const auto& [_, r] : by_name_) {
      if (r.info().id() == id) return r;
    }
    return absl::NotFoundError("no such namespace");
  }
  absl::StatusOr<Page> ReadPage(int page_size, const std::string& token) {
    std::lock_guard lock(mu_);
    ++calls_;
    ++list_calls_;
    if (!error_.ok()) return error_;
    Page page;
    for (auto it = by_name_.upper_bound(token); it != by_name_.end(); ++it) {
      if (static_cast<int>(page.namespaces.size()) == page_size) {
        page.next_page_token = page.namespaces.back().info().name();
        break;
      }
      page.namespaces.push_back(it->second);
    }
    return page;
  }
  template <typename T>
  T AfterRead(T result) {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      hook.swap(after_read_);
    }
    if (hook) hook();
    return result;
  }

  mutable std::mutex mu_;
  std::map<std::string, persistence::v1::NamespaceRecord> by_name_;
  absl::Status error_;
  std::function<void()> after_read_;
  int calls_ = 0;
  int list_calls_ = 0;
};

}  // namespace tern::mocks
