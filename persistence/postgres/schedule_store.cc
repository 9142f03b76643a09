#include <algorithm>
#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

// next_wakeup travels as microseconds since 1970, -1 for NULL (macros: the statements must be
// string literals).
#define TERN_WAKEUP_PARAM               \
  "CASE WHEN $5::bigint < 0 THEN NULL " \
  "ELSE timestamptz 'epoch' + $5::bigint * interval '1 microsecond' END"
#define TERN_SCHEDULE_COLUMNS \
  "data, encoding, version, COALESCE((EXTRACT(EPOCH FROM next_wakeup) * 1000000)::bigint, -1)"

std::vector<PreparedStatement> ScheduleStatements() {
  return {
      {"sched_create",
       "INSERT INTO schedules (namespace_id, schedule_id, data, encoding, version, next_wakeup) "
       "VALUES ($1, $2, $3, $4, 1, " TERN_WAKEUP_PARAM ") ON CONFLICT DO NOTHING"},
      {"sched_get", "SELECT " TERN_SCHEDULE_COLUMNS
                    " FROM schedules WHERE namespace_id = $1 AND schedule_id = $2"},
      {"sched_update",
       "UPDATE schedules SET data = $3, encoding = $4, version = version + 1, "
       "next_wakeup = " TERN_WAKEUP_PARAM ", lease_owner = NULL, lease_until = NULL "
       "WHERE namespace_id = $1 AND schedule_id = $2 AND version = $6 RETURNING version"},
      {"sched_exists", "SELECT 1 FROM schedules WHERE namespace_id = $1 AND schedule_id = $2"},
      {"sched_delete", "DELETE FROM schedules WHERE namespace_id = $1 AND schedule_id = $2"},
      {"sched_lease",
       "UPDATE schedules SET lease_owner = $1, "
       "lease_until = now() + $3::bigint * interval '1 millisecond' "
       "WHERE (namespace_id, schedule_id) IN ("
       "  SELECT namespace_id, schedule_id FROM schedules "
       "  WHERE next_wakeup <= now() AND (lease_until IS NULL OR lease_until < now()) "
       "  ORDER BY next_wakeup LIMIT $2 FOR UPDATE SKIP LOCKED) "
       "RETURNING " TERN_SCHEDULE_COLUMNS},
      {"sched_next_wakeup",
       "SELECT (EXTRACT(EPOCH FROM min(next_wakeup)) * 1000000)::bigint FROM schedules"},
      {"sched_delete_namespace",
       "DELETE FROM schedules WHERE (namespace_id, schedule_id) IN ("
       "  SELECT namespace_id, schedule_id FROM schedules WHERE namespace_id = $1 LIMIT $2)"},
  };
}

#undef TERN_SCHEDULE_COLUMNS
#undef TERN_WAKEUP_PARAM

namespace {

int64_t WakeupMicros(std::optional<Timestamp> wakeup) {
  return wakeup ? std::max<int64_t>(0, ToMicros(*wakeup)) : -1;
}

// A row of `columns` above.
absl::StatusOr<ScheduleRow> ReadRow(const pqxx::row& row) {
  ScheduleRow out;
  RETURN_IF_ERROR(ParseBlob(row[0], row[1], out.record));
  out.version = row[2].as<int64_t>();
  int64_t wakeup = row[3].as<int64_t>();
  if (wakeup >= 0) out.next_wakeup = FromMicros(wakeup);
  return out;
}

std::string Name(const std::string& schedule_id) {
  return absl::StrCat("schedule '", schedule_id, "'");
}

class PostgresScheduleStore final : public ScheduleStore {
 public:
  explicit PostgresScheduleStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::Status CreateSchedule(const v1::ScheduleRecord& record,
                              std::optional<Timestamp> next_wakeup) override {
    return pool_->Run("CreateSchedule", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      pqxx::result r =
          txn.exec_prepared("sched_create", record.namespace_id(), record.schedule_id(),
                            Blob(record), std::string(kEncodingProto3), WakeupMicros(next_wakeup));
      if (r.affected_rows() == 0) {
        return absl::AlreadyExistsError(absl::StrCat(Name(record.schedule_id()), " exists"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<ScheduleRow> GetSchedule(const std::string& namespace_id,
                                          const std::string& schedule_id) override {
    return pool_->Run(
        "GetSchedule", [&](pqxx::connection_base& conn) -> absl::StatusOr<ScheduleRow> {
          pqxx::read_transaction txn(conn);
          pqxx::result rows = txn.exec_prepared("sched_get", namespace_id, schedule_id);
          if (rows.empty()) {
            return absl::NotFoundError(absl::StrCat(Name(schedule_id), " not found"));
          }
          return ReadRow(rows[0]);
        });
  }

  absl::StatusOr<int64_t> UpdateSchedule(const v1::ScheduleRecord& record, int64_t expected_version,
                                         std::optional<Timestamp> next_wakeup) override {
    return pool_->Run(
        "UpdateSchedule", [&](pqxx::connection_base& conn) -> absl::StatusOr<int64_t> {
          pqxx::work txn(conn);
          pqxx::result r = txn.exec_prepared(
              "sched_update", record.namespace_id(), record.schedule_id(), Blob(record),
              std::string(kEncodingProto3), WakeupMicros(next_wakeup), expected_version);
          if (r.empty()) {
            pqxx::result exists =
                txn.exec_prepared("sched_exists", record.namespace_id(), record.schedule_id());
            if (exists.empty()) {
              return absl::NotFoundError(absl::StrCat(Name(record.schedule_id()), " not found"));
            }
            return ConditionFailedError(absl::StrCat(Name(record.schedule_id()),
                                                     " changed since version ", expected_version));
          }
          int64_t version = r[0][0].as<int64_t>();
          txn.commit();
          return version;
        });
  }

  absl::Status DeleteSchedule(const std::string& namespace_id,
                              const std::string& schedule_id) override {
    return pool_->Run("DeleteSchedule", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      pqxx::result r = txn.exec_prepared("sched_delete", namespace_id, schedule_id);
      if (r.affected_rows() == 0) {
        return absl::NotFoundError(absl::StrCat(Name(schedule_id), " not found"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<ScheduleRow>> LeaseDueSchedules(
      const std::string& owner, int limit, std::chrono::milliseconds lease) override {
    return pool_->Run("LeaseDueSchedules",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<ScheduleRow>> {
                        pqxx::work txn(conn);
                        pqxx::result rows = txn.exec_prepared("sched_lease", owner, limit,
                                                              static_cast<int64_t>(lease.count()));
                        std::vector<ScheduleRow> leased;
                        for (const auto& row : rows) {
                          ASSIGN_OR_RETURN(leased.emplace_back(), ReadRow(row));
                        }
                        txn.commit();
                        return leased;
                      });
  }

  absl::StatusOr<std::optional<Timestamp>> NextWakeup() override {
    return pool_->Run("NextScheduleWakeup",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::optional<Timestamp>> {
                        pqxx::read_transaction txn(conn);
                        pqxx::result rows = txn.exec_prepared("sched_next_wakeup");
                        if (rows.empty() || rows[0][0].is_null()) return std::optional<Timestamp>();
                        return std::optional<Timestamp>(FromMicros(rows[0][0].as<int64_t>()));
                      });
  }

  absl::StatusOr<int> DeleteNamespaceSchedules(const std::string& namespace_id,
                                               int limit) override {
    return pool_->Run(
        "DeleteNamespaceSchedules", [&](pqxx::connection_base& conn) -> absl::StatusOr<int> {
          pqxx::work txn(conn);
          pqxx::result r = txn.exec_prepared("sched_delete_namespace", namespace_id, limit);
          txn.commit();
          return static_cast<int>(r.affected_rows());
        });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<ScheduleStore> NewScheduleStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresScheduleStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
