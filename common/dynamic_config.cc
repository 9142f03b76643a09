#include "common/dynamic_config.h"

#include <algorithm>

namespace tern::dynamicconfig {
namespace {

// 3: namespace + task queue, 2: task queue, 1: namespace, 0: global; -1: does not match.
int Specificity(const Constraints& c, std::string_view namespace_name,
                std::string_view task_queue) {
  if (!c.namespace_name.empty() && c.namespace_name != namespace_name) return -1;
  if (!c.task_queue.empty() && c.task_queue != task_queue) return -1;
  return (c.task_queue.empty() ? 0 : 2) + (c.namespace_name.empty() ? 0 : 1);
}

}  // namespace

Values::Values() : entries_(AllKeys().size()) {}

void Values::Add(KeyId id, Entry entry) {
  auto& entries = entries_[static_cast<int>(id)];
  auto same = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return e.constraints == entry.constraints; });
  if (same != entries.end()) {
    *same = std::move(entry);
  } else {
    entries.push_back(std::move(entry));
  }
}

Values Values::OverriddenBy(const Values& top) const {
  Values out = *this;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!top.entries_[i].empty()) out.entries_[i] = top.entries_[i];
  }
  return out;
}

const Value* Values::Match(KeyId id, std::string_view namespace_name,
                           std::string_view task_queue) const {
  const Value* best = nullptr;
  int best_specificity = -1;
  for (const Entry& entry : EntriesOf(id)) {
    int specificity = Specificity(entry.constraints, namespace_name, task_queue);
    if (specificity > best_specificity) {
      best = &entry.value;
      best_specificity = specificity;
    }
  }
  return best;
}

const Value& Values::Lookup(KeyId id, std::string_view namespace_name,
                            std::string_view task_queue) const {
  if (const Value* value = Match(id, namespace_name, task_queue)) return *value;
  const KeyInfo& info = Info(id);
  if (info.fallback) {
    if (const Value* value = Match(*info.fallback, namespace_name, task_queue)) return *value;
  }
  return info.default_value;
}

Collection::Collection() : Collection(Values()) {}

Collection::Collection(Values values) : state_(std::make_shared<State>()) {
  Update(std::move(values));
}

void Collection::Update(Values values) {
  state_->values.store(std::make_shared<const Values>(std::move(values)));
}

std::shared_ptr<const Values> Collection::Current() const { return state_->values.load(); }

}  // namespace tern::dynamicconfig
