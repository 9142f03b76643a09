#include "persistence/batch_operation_store.h"

#include <algorithm>
#include <pqxx/transaction>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hashing.h"
#include "common/status_macros.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

// Times travel as microseconds since 1970; next_wakeup -1 for NULL (macros: the statements must
// be string literals).
#define TERN_BATCH_WAKEUP_PARAM(n) \
  "CASE WHEN " n                   \
  "::bigint < 0 THEN NULL "        \
  "ELSE timestamptz 'epoch' + " n "::bigint * interval '1 microsecond' END"
#define TERN_BATCH_TIME_PARAM(n) "timestamptz 'epoch' + " n "::bigint * interval '1 microsecond'"
#define TERN_BATCH_COLUMNS \
  "data, encoding, version, COALESCE((EXTRACT(EPOCH FROM next_wakeup) * 1000000)::bigint, -1)"

std::vector<PreparedStatement> BatchOperationStatements() {
  return {
      // Serialises the creates of one namespace, so the running count cannot go stale.
      {"batch_lock_namespace", "SELECT pg_advisory_xact_lock(hashtext('batch:' || $1))"},
      {"batch_count_running",
       "SELECT count(*) FROM batch_operations WHERE namespace_id = $1 AND state = 1"},
      {"batch_create",
       "INSERT INTO batch_operations (namespace_id, job_id, data, encoding, version, state, "
       "start_time, next_wakeup) VALUES ($1, $2, $3, $4, 1, $5, " TERN_BATCH_TIME_PARAM(
           "$6") ", " TERN_BATCH_WAKEUP_PARAM("$7") ") ON CONFLICT DO NOTHING"},
      {"batch_get", "SELECT " TERN_BATCH_COLUMNS
                    " FROM batch_operations WHERE namespace_id = $1 AND job_id = $2"},
      {"batch_update",
       "UPDATE batch_operations SET data = $3, encoding = $4, version = version + 1, state = $5, "
       "next_wakeup = " TERN_BATCH_WAKEUP_PARAM(
           "$6") ", lease_owner = NULL, lease_until = NULL "
                 "WHERE namespace_id = $1 AND job_id = $2 AND version = $7 RETURNING version"},
      {"batch_exists", "SELECT 1 FROM batch_operations WHERE namespace_id = $1 AND job_id = $2"},
      {"batch_list",
       "SELECT " TERN_BATCH_COLUMNS ", (EXTRACT(EPOCH FROM start_time) * 1000000)::bigint, job_id "
       "FROM batch_operations WHERE namespace_id = $1 AND ($2::bigint < 0 OR "
       "  (start_time, job_id) < (" TERN_BATCH_TIME_PARAM(
           "$2") ", $3::text)) "
                 "ORDER BY start_time DESC, job_id DESC LIMIT $4"},
      // RETURNING comes in no particular order: the outer SELECT puts the earliest first.
      {"batch_lease",
       "WITH leased AS (UPDATE batch_operations SET lease_owner = $1, "
       "lease_until = now() + $3::bigint * interval '1 millisecond' "
       "WHERE (namespace_id, job_id) IN ("
       "  SELECT namespace_id, job_id FROM batch_operations "
       "  WHERE next_wakeup <= now() AND (lease_until IS NULL OR lease_until < now()) "
       "  ORDER BY next_wakeup LIMIT $2 FOR UPDATE SKIP LOCKED) "
       "  RETURNING " TERN_BATCH_COLUMNS " AS wakeup, namespace_id, job_id) "
       "SELECT data, encoding, version, wakeup FROM leased ORDER BY wakeup, namespace_id, job_id"},
      {"batch_delete_namespace",
       "DELETE FROM batch_operations WHERE (namespace_id, job_id) IN ("
       "  SELECT namespace_id, job_id FROM batch_operations WHERE namespace_id = $1 LIMIT $2)"},
  };
}

#undef TERN_BATCH_COLUMNS
#undef TERN_BATCH_TIME_PARAM
#undef TERN_BATCH_WAKEUP_PARAM

namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

int64_t WakeupMicros(std::optional<Timestamp> wakeup) {
  return wakeup ? std::max<int64_t>(0, ToMicros(*wakeup)) : -1;
}

absl::StatusOr<BatchOperationRow> ReadRow(const pqxx::row& row) {
  BatchOperationRow out;
  RETURN_IF_ERROR(ParseBlob(row[0], row[1], out.record));
  out.version = row[2].as<int64_t>();
  int64_t wakeup = row[3].as<int64_t>();
  if (wakeup >= 0) out.next_wakeup = FromMicros(wakeup);
  return out;
}

std::string Name(const std::string& job_id) {
  return absl::StrCat("batch operation '", job_id, "'");
}

// A page token is "<start time in microseconds>:<namespace tag>:<job id>" of the last row of the
// page. The tag (a hash of the namespace id) makes the token of another namespace's listing
// invalid rather than a position in this one.
struct Position {
  int64_t start_micros = -1;
  std::string job_id;
};

std::string NamespaceTag(const std::string& namespace_id) {
  return absl::StrCat(absl::Hex(StableHash64(namespace_id), absl::kZeroPad16));
}

std::string MakeToken(const std::string& namespace_id, int64_t start_micros,
                      const std::string& job_id) {
  return absl::StrCat(start_micros, ":", NamespaceTag(namespace_id), ":", job_id);
}

absl::StatusOr<Position> ParseToken(const std::string& namespace_id, const std::string& token) {
  if (token.empty()) return Position{};
  const std::vector<absl::string_view> parts = absl::StrSplit(token, absl::MaxSplits(':', 2));
  Position position;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &position.start_micros) ||
      position.start_micros < 0 || parts[1] != NamespaceTag(namespace_id) || parts[2].empty()) {
    return absl::InvalidArgumentError("invalid next_page_token");
  }
  position.job_id = std::string(parts[2]);
  return position;
}

class PostgresBatchOperationStore final : public BatchOperationStore {
 public:
  explicit PostgresBatchOperationStore(std::shared_ptr<ConnectionPool> pool)
      : pool_(std::move(pool)) {}

  absl::Status CreateBatchOperation(const v1::BatchOperationRecord& record,
                                    std::optional<Timestamp> next_wakeup,
                                    int max_running) override {
    return pool_->Run("CreateBatchOperation", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared("batch_lock_namespace", record.namespace_id());
      if (txn.exec_prepared("batch_get", record.namespace_id(), record.job_id()).size() > 0) {
        return absl::AlreadyExistsError(absl::StrCat(Name(record.job_id()), " exists"));
      }
      int64_t running =
          txn.exec_prepared("batch_count_running", record.namespace_id())[0][0].as<int64_t>();
      if (running >= max_running) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "namespace runs ", running, " batch operations (at most ", max_running, ")"));
      }
      pqxx::result r =
          txn.exec_prepared("batch_create", record.namespace_id(), record.job_id(), Blob(record),
                            std::string(kEncodingProto3), static_cast<int>(record.state()),
                            ToMicros(record.start_time()), WakeupMicros(next_wakeup));
      if (r.affected_rows() == 0) {
        return absl::AlreadyExistsError(absl::StrCat(Name(record.job_id()), " exists"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<BatchOperationRow> GetBatchOperation(const std::string& namespace_id,
                                                      const std::string& job_id) override {
    return pool_->Run("GetBatchOperation",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<BatchOperationRow> {
                        pqxx::read_transaction txn(conn);
                        pqxx::result rows = txn.exec_prepared("batch_get", namespace_id, job_id);
                        if (rows.empty()) {
                          return absl::NotFoundError(absl::StrCat(Name(job_id), " not found"));
                        }
                        return ReadRow(rows[0]);
                      });
  }

  absl::StatusOr<int64_t> UpdateBatchOperation(const v1::BatchOperationRecord& record,
                                               int64_t expected_version,
                                               std::optional<Timestamp> next_wakeup) override {
    return pool_->Run(
        "UpdateBatchOperation", [&](pqxx::connection_base& conn) -> absl::StatusOr<int64_t> {
          pqxx::work txn(conn);
          pqxx::result r = txn.exec_prepared("batch_update", record.namespace_id(), record.job_id(),
                                             Blob(record), std::string(kEncodingProto3),
                                             static_cast<int>(record.state()),
                                             WakeupMicros(next_wakeup), expected_version);
          if (r.empty()) {
            if (txn.exec_prepared("batch_exists", record.namespace_id(), record.job_id()).empty()) {
              return absl::NotFoundError(absl::StrCat(Name(record.job_id()), " not found"));
            }
            return ConditionFailedError(
                absl::StrCat(Name(record.job_id()), " changed since version ", expected_version));
          }
          int64_t version = r[0][0].as<int64_t>();
          txn.commit();
          return version;
        });
  }

  absl::StatusOr<BatchOperationPage> ListBatchOperations(const std::string& namespace_id,
                                                         int page_size,
                                                         const std::string& page_token) override {
    ASSIGN_OR_RETURN(Position after, ParseToken(namespace_id, page_token));
    if (page_size <= 0) page_size = kDefaultPageSize;
    page_size = std::min(page_size, kMaxPageSize);
    return pool_->Run("ListBatchOperations",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<BatchOperationPage> {
                        pqxx::read_transaction txn(conn);
                        pqxx::result rows =
                            txn.exec_prepared("batch_list", namespace_id, after.start_micros,
                                              after.job_id, page_size + 1);
                        BatchOperationPage page;
                        for (int i = 0; i < static_cast<int>(rows.size()) && i < page_size; ++i) {
                          ASSIGN_OR_RETURN(page.rows.emplace_back(), ReadRow(rows[i]));
                        }
                        if (static_cast<int>(rows.size()) > page_size) {
                          const auto& last = rows[page_size - 1];
                          page.next_page_token = MakeToken(namespace_id, last[4].as<int64_t>(),
                                                           last[5].as<std::string>());
                        }
                        return page;
                      });
  }

  absl::StatusOr<std::vector<BatchOperationRow>> LeaseDueBatchOperations(
      const std::string& owner, int limit, std::chrono::milliseconds lease) override {
    return pool_->Run(
        "LeaseDueBatchOperations",
        [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<BatchOperationRow>> {
          pqxx::work txn(conn);
          pqxx::result rows =
              txn.exec_prepared("batch_lease", owner, limit, static_cast<int64_t>(lease.count()));
          std::vector<BatchOperationRow> leased;
          for (const auto& row : rows) {
            ASSIGN_OR_RETURN(leased.emplace_back(), ReadRow(row));
          }
          txn.commit();
          return leased;
        });
  }

  absl::StatusOr<int> DeleteNamespaceBatchOperations(const std::string& namespace_id,
                                                     int limit) override {
    return pool_->Run(
        "DeleteNamespaceBatchOperations", [&](pqxx::connection_base& conn) -> absl::StatusOr<int> {
          pqxx::work txn(conn);
          pqxx::result r = txn.exec_prepared("batch_delete_namespace", namespace_id, limit);
          txn.commit();
          return static_cast<int>(r.affected_rows());
        });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<BatchOperationStore> NewBatchOperationStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresBatchOperationStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
