#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

namespace history = temporal::api::history::v1;

std::vector<PreparedStatement> ExecutionStatements() {
  return {
      {"exec_shard_check", "SELECT range_id FROM shards WHERE shard_id = $1 FOR SHARE"},
      {"exec_insert",
       "INSERT INTO executions (shard_id, namespace_id, workflow_id, run_id, db_record_version, "
       "next_event_id, state, data, encoding) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8) "
       "ON CONFLICT DO NOTHING"},
      {"exec_update",
       "UPDATE executions SET db_record_version = $5::bigint + 1, next_event_id = $6, state = $7, "
       "data = $8, encoding = $9 WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3 "
       "AND run_id = $4 AND db_record_version = $5::bigint"},
      {"exec_get",
       "SELECT db_record_version, data, encoding FROM executions WHERE shard_id = $1 AND "
       "namespace_id = $2 AND workflow_id = $3 AND run_id = $4"},
      {"current_insert",
       "INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id, "
       "create_request_id, state, status) VALUES ($1, $2, $3, $4, $5, $6, $7) "
       "ON CONFLICT DO NOTHING"},
      {"current_get",
       "SELECT run_id, create_request_id, state, status FROM current_executions "
       "WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3"},
      {"current_replace",
       "UPDATE current_executions SET run_id = $4, create_request_id = $5, state = $6, "
       "status = $7 WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3 "
       "AND run_id = $8"},
      {"current_update_state",
       "UPDATE current_executions SET state = $5, status = $6 WHERE shard_id = $1 AND "
       "namespace_id = $2 AND workflow_id = $3 AND run_id = $4"},
      {"history_insert",
       "INSERT INTO history_node (shard_id, namespace_id, workflow_id, run_id, first_event_id, "
       "last_event_id, data, encoding) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
       "ON CONFLICT DO NOTHING"},
      {"history_read",
       "SELECT data, encoding FROM history_node WHERE shard_id = $1 AND namespace_id = $2 AND "
       "workflow_id = $3 AND run_id = $4 AND last_event_id >= $5 AND first_event_id < $6 "
       "ORDER BY first_event_id LIMIT $7"},
      {"transfer_insert",
       "INSERT INTO transfer_tasks (shard_id, task_id, data, encoding) VALUES ($1, $2, $3, $4)"},
      {"transfer_load",
       "SELECT data, encoding FROM transfer_tasks WHERE shard_id = $1 AND task_id > $2 "
       "ORDER BY task_id LIMIT $3"},
      {"transfer_delete",
       "DELETE FROM transfer_tasks WHERE shard_id = $1 AND task_id = ANY($2::bigint[])"},
      {"timer_insert",
       "INSERT INTO timer_tasks (shard_id, task_id, fire_time, data, encoding) VALUES ($1, $2, "
       "timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4, $5)"},
      {"timer_load",
       "SELECT data, encoding FROM timer_tasks WHERE shard_id = $1 AND task_id > $2 "
       "ORDER BY fire_time, task_id LIMIT $3"},
      {"timer_delete",
       "DELETE FROM timer_tasks WHERE shard_id = $1 AND task_id = ANY($2::bigint[])"},
      // $5: RunState::kCompleted.
      {"exec_delete_closed",
       "DELETE FROM executions WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3 "
       "AND run_id = $4 AND state = $5"},
      {"history_delete",
       "DELETE FROM history_node WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3 "
       "AND run_id = $4"},
      {"current_delete_closed",
       "DELETE FROM current_executions WHERE shard_id = $1 AND namespace_id = $2 AND "
       "workflow_id = $3 AND run_id = $4 AND state = $5"},
      {"namespace_executions_delete",
       "WITH victims AS (SELECT workflow_id, run_id FROM executions WHERE shard_id = $1 AND "
       "namespace_id = $2 LIMIT $3), "
       "history AS (DELETE FROM history_node h USING victims v WHERE h.shard_id = $1 AND "
       "h.namespace_id = $2 AND h.workflow_id = v.workflow_id AND h.run_id = v.run_id), "
       "current AS (DELETE FROM current_executions c USING victims v WHERE c.shard_id = $1 AND "
       "c.namespace_id = $2 AND c.workflow_id = v.workflow_id) "
       "DELETE FROM executions e USING victims v WHERE e.shard_id = $1 AND e.namespace_id = $2 "
       "AND e.workflow_id = v.workflow_id AND e.run_id = v.run_id"},
  };
}

namespace {

std::string RunName(const v1::MutableState& s) {
  return absl::StrCat("workflow '", s.workflow_id(), "' run '", s.run_id(), "' (namespace '",
                      s.namespace_id(), "')");
}

absl::Status Validate(const WorkflowWrite& write) {
  const v1::MutableState& s = write.state;
  if (s.namespace_id().empty() || s.workflow_id().empty() || s.run_id().empty()) {
    return absl::InvalidArgumentError(
        "workflow write needs state.namespace_id, state.workflow_id and state.run_id");
  }
  if (write.expected_db_record_version < 0) {
    return absl::InvalidArgumentError("expected_db_record_version must not be negative");
  }
  if (write.current_mode == CurrentMode::kReplace && write.previous_run_id.empty()) {
    return absl::InvalidArgumentError("CurrentMode::kReplace needs previous_run_id");
  }
  for (size_t i = 1; i < write.new_events.size(); ++i) {
    if (write.new_events[i].event_id() != write.new_events[i - 1].event_id() + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "history batch of ", RunName(s), " is not contiguous: event ",
          write.new_events[i - 1].event_id(), " is followed by ", write.new_events[i].event_id()));
    }
  }
  if (!write.new_events.empty() && write.new_events.front().event_id() < 1) {
    return absl::InvalidArgumentError("history event ids start at 1");
  }
  return absl::OkStatus();
}

// Applies one WorkflowWrite inside the caller's transaction.
absl::Status ApplyWrite(pqxx::work& txn, int32_t shard_id, const WorkflowWrite& write) {
  const v1::MutableState& s = write.state;
  const std::string encoding(kEncodingProto3);
  const auto run_state = static_cast<int32_t>(write.run_state);
  const auto status = static_cast<int32_t>(s.status());

  if (write.expected_db_record_version == 0) {
    pqxx::result r = txn.exec_prepared("exec_insert", shard_id, s.namespace_id(), s.workflow_id(),
                                       s.run_id(), s.next_event_id(), run_state, Blob(s), encoding);
    if (r.affected_rows() == 0) {
      return ConditionFailedError(absl::StrCat(RunName(s), " already exists"));
    }
  } else {
    pqxx::result r = txn.exec_prepared("exec_update", shard_id, s.namespace_id(), s.workflow_id(),
                                       s.run_id(), write.expected_db_record_version,
                                       s.next_event_id(), run_state, Blob(s), encoding);
    if (r.affected_rows() == 0) {
      return ConditionFailedError(absl::StrCat(RunName(s), " is missing or no longer at ",
                                               "db_record_version ",
                                               write.expected_db_record_version));
    }
  }

  switch (write.current_mode) {
    case CurrentMode::kNone:
      break;
    case CurrentMode::kCreate: {
      pqxx::result r =
          txn.exec_prepared("current_insert", shard_id, s.namespace_id(), s.workflow_id(),
                            s.run_id(), s.create_request_id(), run_state, status);
      if (r.affected_rows() == 0) {
        pqxx::result rows =
            txn.exec_prepared("current_get", shard_id, s.namespace_id(), s.workflow_id());
        if (rows.empty()) {
          // Deleted between the two statements: report a plain conflict, the caller retries.
          return ConditionFailedError(
              absl::StrCat("current execution of workflow '", s.workflow_id(), "' changed"));
        }
        CurrentExecution existing;
        existing.run_id = rows[0][0].as<std::string>();
        existing.create_request_id = rows[0][1].as<std::string>();
        existing.state = static_cast<RunState>(rows[0][2].as<int32_t>());
        existing.status = rows[0][3].as<int32_t>();
        return CurrentExecutionExistsError(
            absl::StrCat("workflow '", s.workflow_id(), "' already has a current run: run_id '",
                         existing.run_id, "', create_request_id '", existing.create_request_id,
                         "', state ", static_cast<int32_t>(existing.state), ", status ",
                         existing.status),
            existing);
      }
      break;
    }
    case CurrentMode::kReplace: {
      pqxx::result r = txn.exec_prepared("current_replace", shard_id, s.namespace_id(),
                                         s.workflow_id(), s.run_id(), s.create_request_id(),
                                         run_state, status, write.previous_run_id);
      if (r.affected_rows() == 0) {
        return ConditionFailedError(absl::StrCat("current run of workflow '", s.workflow_id(),
                                                 "' is no longer '", write.previous_run_id, "'"));
      }
      break;
    }
    case CurrentMode::kUpdateState: {
      pqxx::result r = txn.exec_prepared("current_update_state", shard_id, s.namespace_id(),
                                         s.workflow_id(), s.run_id(), run_state, status);
      if (r.affected_rows() == 0) {
        return ConditionFailedError(absl::StrCat("current run of workflow '", s.workflow_id(),
                                                 "' is not '", s.run_id(), "'"));
      }
      break;
    }
  }

  if (!write.new_events.empty()) {
    history::History batch;
    batch.mutable_events()->Reserve(static_cast<int>(write.new_events.size()));
    for (const history::HistoryEvent& event : write.new_events) *batch.add_events() = event;
    int64_t first = write.new_events.front().event_id();
    int64_t last = write.new_events.back().event_id();
    pqxx::result r =
        txn.exec_prepared("history_insert", shard_id, s.namespace_id(), s.workflow_id(), s.run_id(),
                          first, last, Blob(batch), encoding);
    if (r.affected_rows() == 0) {
      return ConditionFailedError(absl::StrCat("history of ", RunName(s),
                                               " already has a batch starting at event ", first));
    }
  }

  for (const v1::TransferTask& task : write.transfer_tasks) {
    txn.exec_prepared("transfer_insert", shard_id, task.task_id(), Blob(task), encoding);
  }
  for (const v1::TimerTask& task : write.timer_tasks) {
    txn.exec_prepared("timer_insert", shard_id, task.task_id(), ToMicros(task.fire_time()),
                      Blob(task), encoding);
  }
  return absl::OkStatus();
}

absl::Status CheckLimit(int limit) {
  if (limit <= 0)
    return absl::InvalidArgumentError(absl::StrCat("limit must be positive, got ", limit));
  return absl::OkStatus();
}

template <typename Task>
absl::StatusOr<std::vector<Task>> ParseTasks(const pqxx::result& rows) {
  std::vector<Task> tasks;
  tasks.reserve(rows.size());
  for (const auto& row : rows) {
    if (absl::Status status = ParseBlob(row[0], row[1], tasks.emplace_back()); !status.ok()) {
      return status;
    }
  }
  return tasks;
}

class PostgresExecutionStore final : public ExecutionStore {
 public:
  explicit PostgresExecutionStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  // Reads are single statements, so they run outside a transaction block (no BEGIN/ROLLBACK
  // round trips); every write is one transaction.

  absl::StatusOr<CurrentExecution> GetCurrentExecution(int32_t shard_id,
                                                       const std::string& namespace_id,
                                                       const std::string& workflow_id) override {
    return pool_->Run("GetCurrentExecution",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<CurrentExecution> {
                        pqxx::nontransaction txn(conn);
                        pqxx::result rows =
                            txn.exec_prepared("current_get", shard_id, namespace_id, workflow_id);
                        if (rows.empty()) {
                          return absl::NotFoundError(absl::StrCat(
                              "workflow '", workflow_id, "' has no current run (namespace '",
                              namespace_id, "')"));
                        }
                        CurrentExecution current;
                        current.run_id = rows[0][0].as<std::string>();
                        current.create_request_id = rows[0][1].as<std::string>();
                        current.state = static_cast<RunState>(rows[0][2].as<int32_t>());
                        current.status = rows[0][3].as<int32_t>();
                        return current;
                      });
  }

  absl::StatusOr<ExecutionRecord> GetExecution(int32_t shard_id, const std::string& namespace_id,
                                               const std::string& workflow_id,
                                               const std::string& run_id) override {
    return pool_->Run(
        "GetExecution", [&](pqxx::connection_base& conn) -> absl::StatusOr<ExecutionRecord> {
          pqxx::nontransaction txn(conn);
          pqxx::result rows =
              txn.exec_prepared("exec_get", shard_id, namespace_id, workflow_id, run_id);
          if (rows.empty()) {
            return absl::NotFoundError(absl::StrCat("workflow '", workflow_id, "' run '", run_id,
                                                    "' not found (namespace '", namespace_id,
                                                    "')"));
          }
          ExecutionRecord record;
          record.db_record_version = rows[0][0].as<int64_t>();
          if (absl::Status status = ParseBlob(rows[0][1], rows[0][2], record.state); !status.ok()) {
            return status;
          }
          return record;
        });
  }

  absl::Status Write(int32_t shard_id, int64_t range_id,
                     const std::vector<WorkflowWrite>& writes) override {
    for (const WorkflowWrite& write : writes) {
      RETURN_IF_ERROR(Validate(write));
    }
    return pool_->Run("Write", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      // FOR SHARE blocks a concurrent AcquireShard/RenewRange until this commits, so the check
      // holds for the whole transaction.
      pqxx::result owner = txn.exec_prepared("exec_shard_check", shard_id);
      if (owner.empty() || owner[0][0].as<int64_t>() != range_id) {
        return FencingError(
            absl::StrCat("shard ", shard_id, " is no longer owned at range_id ", range_id,
                         owner.empty() ? std::string(" (no shard row)")
                                       : absl::StrCat(" (now ", owner[0][0].as<int64_t>(), ")")));
      }
      for (const WorkflowWrite& write : writes) {
        RETURN_IF_ERROR(ApplyWrite(txn, shard_id, write));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<history::HistoryEvent>> ReadHistory(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id,
      const std::string& run_id, int64_t first_event_id, int64_t next_event_id,
      int max_events) override {
    if (max_events <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_events must be positive, got ", max_events));
    }
    return pool_->Run(
        "ReadHistory",
        [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<history::HistoryEvent>> {
          pqxx::nontransaction txn(conn);
          // Every batch overlapping the range holds at least one wanted event, so max_events
          // batches are always enough.
          pqxx::result rows = txn.exec_prepared("history_read", shard_id, namespace_id, workflow_id,
                                                run_id, first_event_id, next_event_id, max_events);
          std::vector<history::HistoryEvent> events;
          for (const auto& row : rows) {
            if (static_cast<int>(events.size()) >= max_events) break;
            history::History batch;
            if (absl::Status status = ParseBlob(row[0], row[1], batch); !status.ok()) {
              return status;
            }
            for (history::HistoryEvent& event : *batch.mutable_events()) {
              if (event.event_id() >= first_event_id && event.event_id() < next_event_id) {
                events.push_back(std::move(event));
              }
            }
          }
          return events;
        });
  }

  absl::StatusOr<std::vector<v1::TransferTask>> LoadTransferTasks(int32_t shard_id,
                                                                  int64_t after_task_id,
                                                                  int limit) override {
    RETURN_IF_ERROR(CheckLimit(limit));
    return pool_->Run(
        "LoadTransferTasks",
        [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<v1::TransferTask>> {
          pqxx::nontransaction txn(conn);
          return ParseTasks<v1::TransferTask>(
              txn.exec_prepared("transfer_load", shard_id, after_task_id, limit));
        });
  }

  absl::Status DeleteTransferTasks(int32_t shard_id,
                                   const std::vector<int64_t>& task_ids) override {
    return Delete("DeleteTransferTasks", "transfer_delete", shard_id, task_ids);
  }

  absl::StatusOr<std::vector<v1::TimerTask>> LoadTimerTasks(int32_t shard_id, int64_t after_task_id,
                                                            int limit) override {
    RETURN_IF_ERROR(CheckLimit(limit));
    return pool_->Run(
        "LoadTimerTasks",
        [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<v1::TimerTask>> {
          pqxx::nontransaction txn(conn);
          return ParseTasks<v1::TimerTask>(
              txn.exec_prepared("timer_load", shard_id, after_task_id, limit));
        });
  }

  absl::Status DeleteTimerTasks(int32_t shard_id, const std::vector<int64_t>& task_ids) override {
    return Delete("DeleteTimerTasks", "timer_delete", shard_id, task_ids);
  }

  absl::StatusOr<bool> DeleteClosedExecution(int32_t shard_id, const std::string& namespace_id,
                                             const std::string& workflow_id,
                                             const std::string& run_id) override {
    const auto completed = static_cast<int32_t>(RunState::kCompleted);
    return pool_->Run(
        "DeleteClosedExecution", [&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
          pqxx::work txn(conn);
          pqxx::result deleted = txn.exec_prepared("exec_delete_closed", shard_id, namespace_id,
                                                   workflow_id, run_id, completed);
          if (deleted.affected_rows() == 0) {
            // Absent (deleted before) or still running: either way there is nothing to delete.
            return false;
          }
          txn.exec_prepared("history_delete", shard_id, namespace_id, workflow_id, run_id);
          txn.exec_prepared("current_delete_closed", shard_id, namespace_id, workflow_id, run_id,
                            completed);
          txn.commit();
          return true;
        });
  }

  absl::StatusOr<int> DeleteNamespaceExecutions(int32_t shard_id, const std::string& namespace_id,
                                                int limit) override {
    RETURN_IF_ERROR(CheckLimit(limit));
    return pool_->Run(
        "DeleteNamespaceExecutions", [&](pqxx::connection_base& conn) -> absl::StatusOr<int> {
          pqxx::work txn(conn);
          pqxx::result r =
              txn.exec_prepared("namespace_executions_delete", shard_id, namespace_id, limit);
          txn.commit();
          return static_cast<int>(r.affected_rows());
        });
  }

 private:
  absl::Status Delete(absl::string_view what, const char* statement, int32_t shard_id,
                      const std::vector<int64_t>& task_ids) {
    if (task_ids.empty()) return absl::OkStatus();
    // One idempotent statement: it commits by itself (no BEGIN/COMMIT round trips), and the pool
    // may repeat it safely.
    return pool_->Run(what, [&](pqxx::connection_base& conn) {
      pqxx::nontransaction txn(conn);
      txn.exec_prepared(statement, shard_id, BigintArray(task_ids));
      return absl::OkStatus();
    });
  }

  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<ExecutionStore> NewExecutionStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresExecutionStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
