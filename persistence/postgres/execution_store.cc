#include <algorithm>
#include <pqxx/transaction>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"
#include "persistence/visibility_store.h"

namespace tern::persistence::postgres {

namespace history = temporal::api::history::v1;

std::vector<PreparedStatement> ExecutionStatements() {
  return {
      {"exec_write_group",
       "SELECT tern_write_executions($1, $2, $3, $4::text[], $5::text[], $6::text[], "
       "$7::bigint[], $8::bigint[], $9::integer[], $10::bytea[], $11::integer[], $12::text[], "
       "$13::integer[], $14::text[], $15::integer[], $16::bigint[], $17::bigint[], "
       "$18::bytea[], $19::bigint[], $20::bytea[], $21::bigint[], $22::bigint[], "
       "$23::bytea[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[], "
       "$29::integer[], $30::timestamptz[], $31::timestamptz[], $32::timestamptz[], "
       "$33::bigint[], $34::bigint[], $35::bigint[], $36::bigint[], $37::text[], $38::text[], "
       "$39::text[], $40::text[], $41::jsonb[], $42::text[], $43::text[])"},
      {"exec_get",
       "SELECT db_record_version, data, encoding FROM executions WHERE shard_id = $1 AND "
       "namespace_id = $2 AND workflow_id = $3 AND run_id = $4"},
      {"current_get",
       "SELECT run_id, create_request_id, state, status FROM current_executions "
       "WHERE shard_id = $1 AND namespace_id = $2 AND workflow_id = $3"},
      {"history_read",
       "SELECT data, encoding FROM history_node WHERE shard_id = $1 AND namespace_id = $2 AND "
       "workflow_id = $3 AND run_id = $4 AND last_event_id >= $5 AND first_event_id < $6 "
       "ORDER BY first_event_id LIMIT $7"},
      {"transfer_load",
       "SELECT data, encoding FROM transfer_tasks WHERE shard_id = $1 AND task_id > $2 "
       "ORDER BY task_id LIMIT $3"},
      {"transfer_delete",
       "DELETE FROM transfer_tasks WHERE shard_id = $1 AND task_id = ANY($2::bigint[])"},
      {"timer_load",
       "SELECT data, encoding FROM timer_tasks WHERE shard_id = $1 AND (fire_time, task_id) > "
       "(timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::bigint) AND fire_time <= "
       "timestamptz 'epoch' + $4::bigint * interval '1 microsecond' "
       "ORDER BY fire_time, task_id LIMIT $5"},
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
  if (write.visibility && (write.visibility->namespace_id != s.namespace_id() ||
                           write.visibility->run_id != s.run_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the visibility row of ", RunName(s), " names another run"));
  }
  return absl::OkStatus();
}

// A row of "current_get".
CurrentExecution CurrentFromRow(const pqxx::row& row) {
  CurrentExecution current;
  current.run_id = row[0].as<std::string>();
  current.create_request_id = row[1].as<std::string>();
  current.state = static_cast<RunState>(row[2].as<int32_t>());
  current.status = row[3].as<int32_t>();
  return current;
}

// `events` as a serialized History message (its repeated `events` field), appended to `out`
// without copying them into one.
void AppendHistoryBatch(const std::vector<history::HistoryEvent>& events, std::string& out) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  constexpr uint32_t kTag = WireFormatLite::MakeTag(history::History::kEventsFieldNumber,
                                                    WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  for (const history::HistoryEvent& event : events) {
    const auto size = static_cast<uint32_t>(event.ByteSizeLong());
    const size_t at = out.size();
    out.resize(at + CodedOutputStream::VarintSize32(kTag) + CodedOutputStream::VarintSize32(size) +
               size);
    auto* p = reinterpret_cast<uint8_t*>(&out[at]);
    p = CodedOutputStream::WriteVarint32ToArray(kTag, p);
    p = CodedOutputStream::WriteVarint32ToArray(size, p);
    event.SerializeWithCachedSizesToArray(p);
  }
}

// The arguments of tern_write_executions (schema v5) for a group of writes: a column per array.
class WriteGroupArgs {
 public:
  explicit WriteGroupArgs(const std::vector<WorkflowWrite>& writes) {
    static_assert(static_cast<int>(CurrentMode::kCreate) == 1 &&
                  static_cast<int>(CurrentMode::kReplace) == 2 &&
                  static_cast<int>(CurrentMode::kUpdateState) == 3);
    int index = 0;
    std::vector<const VisibilityRecord*> visibility;
    for (const WorkflowWrite& write : writes) {
      const v1::MutableState& s = write.state;
      ++index;
      namespace_id_.Add(s.namespace_id());
      workflow_id_.Add(s.workflow_id());
      run_id_.Add(s.run_id());
      expected_version_.Add(write.expected_db_record_version);
      next_event_id_.Add(s.next_event_id());
      state_.Add(static_cast<int64_t>(write.run_state));
      data_.AddMessage(s);
      current_mode_.Add(static_cast<int64_t>(write.current_mode));
      create_request_id_.Add(s.create_request_id());
      status_.Add(static_cast<int64_t>(s.status()));
      previous_run_id_.Add(write.previous_run_id);
      if (!write.new_events.empty()) {
        history_write_.Add(index);
        history_first_.Add(write.new_events.front().event_id());
        history_last_.Add(write.new_events.back().event_id());
        history_data_.AddWritten(
            [&write](std::string& out) { AppendHistoryBatch(write.new_events, out); });
      }
      for (const v1::TransferTask& task : write.transfer_tasks) {
        transfer_id_.Add(task.task_id());
        transfer_data_.AddMessage(task);
      }
      for (const v1::TimerTask& task : write.timer_tasks) {
        timer_id_.Add(task.task_id());
        timer_fire_micros_.Add(TimerKey::Of(task).fire_micros);  // the key LoadTimerTasks pages by
        timer_data_.AddMessage(task);
      }
      if (write.visibility) visibility.push_back(write.visibility.get());
    }
    visibility_ = VisibilityColumns(visibility);
  }

  // Moves the columns into the call's parameters: call once.
  void Call(pqxx::nontransaction& txn, int32_t shard_id, int64_t range_id) && {
    std::vector<std::string>& v = visibility_;
    txn.exec_prepared(
        "exec_write_group", shard_id, range_id, std::string(kEncodingProto3),
        std::move(namespace_id_).Finish(), std::move(workflow_id_).Finish(),
        std::move(run_id_).Finish(), std::move(expected_version_).Finish(),
        std::move(next_event_id_).Finish(), std::move(state_).Finish(), data_.Finish(),
        std::move(current_mode_).Finish(), std::move(create_request_id_).Finish(),
        std::move(status_).Finish(), std::move(previous_run_id_).Finish(),
        std::move(history_write_).Finish(), std::move(history_first_).Finish(),
        std::move(history_last_).Finish(), history_data_.Finish(), std::move(transfer_id_).Finish(),
        transfer_data_.Finish(), std::move(timer_id_).Finish(),
        std::move(timer_fire_micros_).Finish(), timer_data_.Finish(), std::move(v[0]),
        std::move(v[1]), std::move(v[2]), std::move(v[3]), std::move(v[4]), std::move(v[5]),
        std::move(v[6]), std::move(v[7]), std::move(v[8]), std::move(v[9]), std::move(v[10]),
        std::move(v[11]), std::move(v[12]), std::move(v[13]), std::move(v[14]), std::move(v[15]),
        std::move(v[16]), std::move(v[17]), std::move(v[18]), std::move(v[19]));
  }

 private:
  ArrayLiteral namespace_id_, workflow_id_, run_id_, expected_version_, next_event_id_, state_;
  ByteaArray data_;
  ArrayLiteral current_mode_, create_request_id_, status_, previous_run_id_;
  ArrayLiteral history_write_, history_first_, history_last_;
  ByteaArray history_data_;
  ArrayLiteral transfer_id_;
  ByteaArray transfer_data_;
  ArrayLiteral timer_id_, timer_fire_micros_;
  ByteaArray timer_data_;
  std::vector<std::string> visibility_;  // the columns of tern_upsert_visibility
};

// The first line of a PostgreSQL error without its "ERROR:  " prefix.
absl::string_view PrimaryMessage(absl::string_view what) {
  if (absl::ConsumePrefix(&what, "ERROR:")) what = absl::StripLeadingAsciiWhitespace(what);
  return what.substr(0, what.find('\n'));
}

// The write a tern_write_executions failure names ("write N: ..."), 1-based.
std::optional<size_t> FailedWrite(absl::string_view message, size_t writes) {
  size_t index = 0;
  if (!absl::ConsumePrefix(&message, "write ") ||
      !absl::SimpleAtoi(message.substr(0, message.find(':')), &index) || index < 1 ||
      index > writes) {
    return std::nullopt;
  }
  return index - 1;
}

// What a failure raised by tern_write_executions means to the caller (schema v5 lists them).
absl::Status WriteGroupError(pqxx::nontransaction& txn, int32_t shard_id,
                             const std::vector<WorkflowWrite>& writes, const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  absl::string_view message = PrimaryMessage(e.what());
  if (state == "TF001") return FencingError(std::string(message));
  std::optional<size_t> failed = FailedWrite(message, writes.size());
  if (!state.starts_with("TC") || !failed) throw;  // not ours: the pool reports it
  const WorkflowWrite& write = writes[*failed];
  const v1::MutableState& s = write.state;
  if (state == "TC001") return ConditionFailedError(absl::StrCat(RunName(s), " already exists"));
  if (state == "TC002") {
    return ConditionFailedError(absl::StrCat(RunName(s), " is missing or no longer at ",
                                             "db_record_version ",
                                             write.expected_db_record_version));
  }
  if (state == "TC003") {
    pqxx::result rows =
        txn.exec_prepared("current_get", shard_id, s.namespace_id(), s.workflow_id());
    if (rows.empty()) {
      // Deleted since: report a plain conflict, the caller retries.
      return ConditionFailedError(
          absl::StrCat("current execution of workflow '", s.workflow_id(), "' changed"));
    }
    CurrentExecution existing = CurrentFromRow(rows[0]);
    return CurrentExecutionExistsError(
        absl::StrCat("workflow '", s.workflow_id(), "' already has a current run: run_id '",
                     existing.run_id, "', create_request_id '", existing.create_request_id,
                     "', state ", static_cast<int32_t>(existing.state), ", status ",
                     existing.status),
        existing);
  }
  if (state == "TC004") {
    return ConditionFailedError(absl::StrCat("current run of workflow '", s.workflow_id(),
                                             "' is no longer '", write.previous_run_id, "'"));
  }
  if (state == "TC005") {
    return ConditionFailedError(
        absl::StrCat("current run of workflow '", s.workflow_id(), "' is not '", s.run_id(), "'"));
  }
  return ConditionFailedError(absl::StrCat("history of ", RunName(s), ": ", message));
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
                        return CurrentFromRow(rows[0]);
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
    // One statement: it commits by itself, and when the pool repeats it after a lost
    // connection, the function finds its writes already applied (schema v5). The arguments are
    // built per attempt, as Call moves them into the statement.
    return pool_->Run("Write", [&](pqxx::connection_base& conn) {
      pqxx::nontransaction txn(conn);
      try {
        WriteGroupArgs(writes).Call(txn, shard_id, range_id);
      } catch (const pqxx::sql_error& e) {
        return WriteGroupError(txn, shard_id, writes, e);
      }
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

  absl::StatusOr<std::vector<v1::TimerTask>> LoadTimerTasks(int32_t shard_id, TimerKey after,
                                                            int64_t until_micros,
                                                            int limit) override {
    RETURN_IF_ERROR(CheckLimit(limit));
    int64_t from =
        std::clamp(after.fire_micros, TimerKey::kMinFireMicros, TimerKey::kMaxFireMicros);
    int64_t until = std::clamp(until_micros, TimerKey::kMinFireMicros, TimerKey::kMaxFireMicros);
    return pool_->Run(
        "LoadTimerTasks",
        [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<v1::TimerTask>> {
          pqxx::nontransaction txn(conn);
          return ParseTasks<v1::TimerTask>(
              txn.exec_prepared("timer_load", shard_id, from, after.task_id, until, limit));
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
