// The dynamic-config keys, each declared once in TERN_DYNAMIC_CONFIG_KEYS: Temporal's name, type,
// scope, default, allowed range and a one-line description. The list produces
//   - a typed key object per entry (dynamicconfig::kLimitMaxIDLength, ...), which services pass
//     to Collection::Get (dynamic_config.h); the type and scope are part of the key's C++ type,
//     so a call site can neither read the wrong type nor pass constraints the key cannot have;
//   - the table the parser validates against (AllKeys(), FindKey());
//   - docs/dynamic-config.md (KeysMarkdown(), printed by tern-dynamic-config-docs).
//
// Adding a key: one X(...) line below, then `tern-dynamic-config-docs --update
// docs/dynamic-config.md` (the dynamic_config_test fails until the docs match).
//
// Everything here is immutable after static initialisation and safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace tern::dynamicconfig {

// Which constraints a value may carry: a global key none, a namespace key `namespace`, a
// task-queue key `namespace` and/or `taskQueueName`.
enum class Scope { kGlobal, kNamespace, kTaskQueue };
enum class Type { kInt, kInt64, kBool, kFloat, kDuration, kString };

// A value as stored; kInt and kInt64 are both kept as int64_t.
using Value = std::variant<bool, int64_t, double, std::chrono::milliseconds, std::string>;

template <Type>
struct TypeTraits;
template <>
struct TypeTraits<Type::kInt> {
  using type = int;
};
template <>
struct TypeTraits<Type::kInt64> {
  using type = int64_t;
};
template <>
struct TypeTraits<Type::kBool> {
  using type = bool;
};
template <>
struct TypeTraits<Type::kFloat> {
  using type = double;
};
template <>
struct TypeTraits<Type::kDuration> {
  using type = std::chrono::milliseconds;
};
template <>
struct TypeTraits<Type::kString> {
  using type = std::string;
};
template <Type T>
using CppType = typename TypeTraits<T>::type;

// X(Identifier, "name", Type, Scope, default, min, max, "description")
// min and max are inclusive; {} leaves that side open (bool and string keys take {} for both).
// Keep the list sorted by name; the docs print it in this order.
#define TERN_DYNAMIC_CONFIG_KEYS(X)                                                                \
  X(FrontendMaxConcurrentBatchOperationPerNamespace,                                               \
    "frontend.MaxConcurrentBatchOperationPerNamespace", Int, Namespace, 1, 0, {},                  \
    "Batch operations one namespace may have running; StartBatchOperation beyond it gets "         \
    "RESOURCE_EXHAUSTED (CONCURRENT_LIMIT).")                                                      \
  X(FrontendMaxConcurrentRequests, "frontend.maxConcurrentRequests", Int, Global, 1000, 1, {},     \
    "Tern's own: calls a frontend host serves at once, parked long polls excepted; more get "      \
    "RESOURCE_EXHAUSTED (SYSTEM_OVERLOADED) at once instead of waiting for their deadline.")       \
  X(FrontendNamespaceBurstRatio, "frontend.namespaceBurstRatio", Float, Namespace, 2.0, 1.0, {},   \
    "A namespace's burst on a frontend host, as a multiple of frontend.namespaceRPS.")             \
  X(FrontendNamespaceCount, "frontend.namespaceCount", Int, Namespace, 1200, 1, {},                \
    "Long polls (task polls, history and update waits) one namespace may have parked on a "        \
    "frontend host; more get RESOURCE_EXHAUSTED (CONCURRENT_LIMIT).")                              \
  X(FrontendNamespaceRPS, "frontend.namespaceRPS", Int, Namespace, 2400, 1, {},                    \
    "Requests per second one namespace may make of a frontend host, long polls excepted; more "    \
    "get RESOURCE_EXHAUSTED (RPS_LIMIT), which the SDKs retry with backoff.")                      \
  X(FrontendRPS, "frontend.rps", Int, Global, 2400, 1, {},                                         \
    "Requests per second a frontend host takes over all namespaces, long polls excepted.")         \
  X(HistoryDefaultPageSize, "history.defaultPageSize", Int, Namespace, 256, 1, 1 << 20,            \
    "Events per GetWorkflowExecutionHistory page when the request asks for no page size.")         \
  X(HistoryLongPollExpirationInterval, "history.longPollExpirationInterval", Duration, Namespace,  \
    std::chrono::seconds(20), std::chrono::seconds(1), {},                                         \
    "Longest a history long poll (new events, update outcome) waits before an empty reply.")       \
  X(LimitBlobSizeError, "limit.blobSizeError", Int64, Namespace, 2 * 1024 * 1024, 1,               \
    std::numeric_limits<int32_t>::max(),                                                           \
    "Largest payload (input, result, details, failure) one request may carry, in bytes.")          \
  X(LimitHistoryCountError, "limit.historyCount.error", Int, Namespace, 50 * 1024, 1,              \
    std::numeric_limits<int32_t>::max(),                                                           \
    "Events in a run's history past which the run is "                                             \
    "terminated.")                                                                                 \
  X(LimitHistoryCountSuggestContinueAsNew, "limit.historyCount.suggestContinueAsNew", Int,         \
    Namespace, 4 * 1024, 1, std::numeric_limits<int32_t>::max(),                                   \
    "Events past which WorkflowTaskStarted suggests continue-as-new.")                             \
  X(LimitHistorySizeError, "limit.historySize.error", Int64, Namespace, int64_t{50} << 20, 1,      \
    std::numeric_limits<int64_t>::max(), "History bytes past which the run is terminated.")        \
  X(LimitHistorySizeSuggestContinueAsNew, "limit.historySize.suggestContinueAsNew", Int64,         \
    Namespace, int64_t{4} << 20, 1, std::numeric_limits<int64_t>::max(),                           \
    "History bytes past which WorkflowTaskStarted suggests continue-as-new.")                      \
  X(LimitMaxIDLength, "limit.maxIDLength", Int, Global, 1000, 1, 1 << 20,                          \
    "Longest namespace name, workflow id, task queue name, identity or other id, in bytes.")       \
  X(MatchingLongPollExpirationInterval, "matching.longPollExpirationInterval", Duration,           \
    TaskQueue, std::chrono::seconds(60), std::chrono::seconds(1), {},                              \
    "Longest a worker's task poll waits for a task before an empty reply.")                        \
  X(MatchingNumTaskqueuePartitions, "matching.numTaskqueuePartitions", Int, TaskQueue, 4, 1, 1024, \
    "Partitions of a task queue; the read and write counts when those are not set.")               \
  X(MatchingNumTaskqueueReadPartitions, "matching.numTaskqueueReadPartitions", Int, TaskQueue, 4,  \
    1, 1024, "Partitions pollers are spread over; keep it >= the write count.")                    \
  X(MatchingNumTaskqueueWritePartitions, "matching.numTaskqueueWritePartitions", Int, TaskQueue,   \
    4, 1, 1024, "Partitions new tasks are spread over.")                                           \
  X(MatchingPollerHistoryTTL, "matching.pollerHistoryTTL", Duration, Global,                       \
    std::chrono::minutes(5), std::chrono::seconds(1), {},                                          \
    "How long DescribeTaskQueue lists a poller after its last poll. Read at start.")               \
  X(NamespaceMinRetention, "namespace.minRetention", Duration, Global, std::chrono::hours(1),      \
    std::chrono::milliseconds(0), {},                                                              \
    "Shortest retention a namespace may be registered or updated with; tests lower it.")           \
  X(WorkerBatcherRPS, "worker.batcherRPS", Int, Namespace, 50, 1, {},                              \
    "Operations per second of one batch operation; a request's max_operations_per_second may "     \
    "only lower it.")                                                                              \
  X(WorkerScanInterval, "worker.scanInterval", Duration, Global, std::chrono::seconds(10),         \
    std::chrono::milliseconds(100), {},                                                            \
    "How often tern-worker looks for deleted namespaces and closed runs past retention.")

// X(Key, Fallback): Key reads Fallback's value for the caller's namespace and task queue when it
// has no value of its own that matches them. Both must have the same type and scope.
#define TERN_DYNAMIC_CONFIG_FALLBACKS(X)                                \
  X(MatchingNumTaskqueueReadPartitions, MatchingNumTaskqueuePartitions) \
  X(MatchingNumTaskqueueWritePartitions, MatchingNumTaskqueuePartitions)

enum class KeyId : int {
#define TERN_DC_KEY_ID(id, ...) k##id,
  TERN_DYNAMIC_CONFIG_KEYS(TERN_DC_KEY_ID)
#undef TERN_DC_KEY_ID
};

// A typed key: T is the C++ type Get returns, S fixes which constraints Get takes.
template <typename T, Scope S>
struct Key {
  KeyId id;
};

#define TERN_DC_KEY(id, name, type, scope, ...) \
  inline constexpr Key<CppType<Type::k##type>, Scope::k##scope> k##id{KeyId::k##id};
TERN_DYNAMIC_CONFIG_KEYS(TERN_DC_KEY)
#undef TERN_DC_KEY

struct KeyInfo {
  KeyId id;
  absl::string_view name;
  Type type;
  Scope scope;
  Value default_value;
  std::optional<Value> min;  // numeric and duration keys only
  std::optional<Value> max;
  absl::string_view doc;
  std::optional<KeyId> fallback;
};

// Every key in declaration order: AllKeys()[static_cast<int>(id)].id == id.
const std::vector<KeyInfo>& AllKeys();
inline const KeyInfo& Info(KeyId id) { return AllKeys()[static_cast<int>(id)]; }
// The key named `name` (exact spelling), or nullptr.
const KeyInfo* FindKey(absl::string_view name);

absl::string_view TypeName(Type type);     // int, int64, bool, float, duration, string
absl::string_view ScopeName(Scope scope);  // global, namespace, task queue
// How a value is written in YAML: 4, 20s, true, 0.5, "text".
std::string FormatValue(const Value& value);
// The markdown table of every key. docs/dynamic-config.md holds it between these two lines.
std::string KeysMarkdown();
inline constexpr std::string_view kDocsBegin =
    "<!-- BEGIN generated by tern-dynamic-config-docs -->";
inline constexpr std::string_view kDocsEnd = "<!-- END generated by tern-dynamic-config-docs -->";

template <typename T>
Value ToValue(T value) {
  if constexpr (std::is_same_v<T, int>) {
    return int64_t{value};
  } else {
    return Value(std::move(value));
  }
}

// The stored value as T; the parser guarantees the alternative matches the key's type.
template <typename T>
T FromValue(const Value& value) {
  if constexpr (std::is_same_v<T, int>) {
    return static_cast<int>(std::get<int64_t>(value));
  } else {
    return std::get<T>(value);
  }
}

template <typename T, Scope S>
T Default(Key<T, S> key) {
  return FromValue<T>(Info(key.id).default_value);
}

}  // namespace tern::dynamicconfig
