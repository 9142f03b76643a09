// Dynamic config: values of the keys declared in dynamic_config_keys.h, optionally constrained
// to a namespace and/or task queue, read through typed accessors and replaceable while the
// process runs (dynamic_config_file.h re-reads a file; tests call Update).
//
//   int n = config.dynamic.Get(dynamicconfig::kMatchingNumTaskqueueReadPartitions, ns, queue);
//   auto max = config.dynamic.Get(dynamicconfig::kLimitMaxIDLength);           // global key
//   auto blob = config.dynamic.Get(dynamicconfig::kLimitBlobSizeError, ns);     // namespace key
//
// Lookup: among a key's values whose constraints all match the caller's namespace and task
// queue, the most specific wins: namespace + task queue, then task queue alone, then namespace
// alone, then the unconstrained (global) value. With none, a key that has a fallback (see
// TERN_DYNAMIC_CONFIG_FALLBACKS) looks its fallback up the same way; otherwise the default.
#pragma once

#include <atomic>
#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/dynamic_config_keys.h"

namespace tern::dynamicconfig {

// Empty fields match anything (a value without constraints is global).
struct Constraints {
  std::string namespace_name;
  std::string task_queue;
  bool operator==(const Constraints&) const = default;
};

struct Entry {
  Constraints constraints;
  Value value;  // of the key's type, within its range
};

// A set of values: per key, a list of constrained entries. A plain value type (copyable, not
// synchronised); Collection publishes immutable ones.
class Values {
 public:
  Values();

  // A global value.
  template <typename T, Scope S>
  void Set(Key<T, S> key, T value) {
    Add(key.id, Entry{{}, ToValue<T>(std::move(value))});
  }
  // A value for a namespace and/or task queue (a namespace key takes no task queue).
  template <typename T, Scope S>
  requires(S != Scope::kGlobal) void Set(Key<T, S> key, T value, Constraints constraints) {
    assert(S == Scope::kTaskQueue || constraints.task_queue.empty());
    Add(key.id, Entry{std::move(constraints), ToValue<T>(std::move(value))});
  }

  // Adds one entry; an entry with the same constraints is replaced.
  void Add(KeyId id, Entry entry);
  const std::vector<Entry>& EntriesOf(KeyId id) const { return entries_[static_cast<int>(id)]; }
  // This set with every key that `top` has entries for taking top's entries instead.
  Values OverriddenBy(const Values& top) const;
  // The value for the caller (see the lookup rule at the top).
  const Value& Lookup(KeyId id, std::string_view namespace_name, std::string_view task_queue) const;

 private:
  const Value* Match(KeyId id, std::string_view namespace_name, std::string_view task_queue) const;

  std::vector<std::vector<Entry>> entries_;  // by KeyId
};

// The values in force. Copies share them: an Update through any copy is seen by all, which is
// how one Config copied into every service sees a reloaded file. Get and Update may be called
// from any thread; Get reads one immutable snapshot (an atomic shared_ptr load) and never blocks
// on Update.
class Collection {
 public:
  Collection();  // every key at its default
  explicit Collection(Values values);

  template <typename T>
  T Get(Key<T, Scope::kGlobal> key) const {
    return FromValue<T>(Current()->Lookup(key.id, {}, {}));
  }
  template <typename T>
  T Get(Key<T, Scope::kNamespace> key, std::string_view namespace_name) const {
    return FromValue<T>(Current()->Lookup(key.id, namespace_name, {}));
  }
  template <typename T>
  T Get(Key<T, Scope::kTaskQueue> key, std::string_view namespace_name,
        std::string_view task_queue) const {
    return FromValue<T>(Current()->Lookup(key.id, namespace_name, task_queue));
  }

  // Replaces every value at once; readers see either the old set or the new one.
  void Update(Values values);
  std::shared_ptr<const Values> Current() const;

 private:
  struct State {
    std::atomic<std::shared_ptr<const Values>> values;
  };
  std::shared_ptr<State> state_;
};

}  // namespace tern::dynamicconfig
