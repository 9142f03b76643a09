// Early returns for absl::Status and absl::StatusOr, so a function that calls several fallible
// steps reads as the steps, not as the error plumbing between them.
//
//   RETURN_IF_ERROR(shard.Persist(writes));          // returns the status if it is not OK
//   ASSIGN_OR_RETURN(auto record, LoadRecord(key));  // declares `record` from the value
//   ASSIGN_OR_RETURN(existing, store.Get(id));       // or assigns an existing variable
//
// Both work in functions returning absl::Status or any absl::StatusOr<T>. Where the error needs
// translating (a different message, a callback instead of a return), write the check out.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TERN_STATUS_CONCAT_INNER(a, b) a##b
#define TERN_STATUS_CONCAT(a, b) TERN_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                                          \
  do {                                                                                 \
    if (::absl::Status tern_status_ = (expr); !tern_status_.ok()) return tern_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  TERN_ASSIGN_OR_RETURN_IMPL(TERN_STATUS_CONCAT(tern_status_or_, __LINE__), lhs, expr)

#define TERN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()
