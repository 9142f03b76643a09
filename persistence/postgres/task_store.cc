#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

std::vector<PreparedStatement> TaskStatements() {
  return {
      {"tq_insert",
       "INSERT INTO task_queues (namespace_id, name, task_type, range_id, data, encoding) "
       "VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT DO NOTHING"},
      {"tq_take",
       "UPDATE task_queues SET range_id = range_id + 1 WHERE namespace_id = $1 AND name = $2 AND "
       "task_type = $3 RETURNING range_id, data, encoding"},
      {"tq_update",
       "UPDATE task_queues SET data = $5, encoding = $6 WHERE namespace_id = $1 AND name = $2 AND "
       "task_type = $3 AND range_id = $4"},
      // FOR SHARE holds off a concurrent lease until the tasks are in. The count is 1 when the
      // range still holds (the tasks are in, now or from an earlier call whose answer was lost),
      // 0 when another host leased the queue (nothing is written).
      {"task_insert_fenced",
       "WITH owner AS (SELECT 1 FROM task_queues WHERE namespace_id = $1 AND name = $2 AND "
       "task_type = $3 AND range_id = $4 FOR SHARE), "
       "inserted AS (INSERT INTO tasks (namespace_id, task_queue_name, task_type, task_id, data, "
       "encoding) SELECT $1, $2, $3, t.task_id, t.data, $7 FROM owner, "
       "unnest($5::bigint[], $6::bytea[]) AS t(task_id, data) ON CONFLICT DO NOTHING) "
       "SELECT count(*) FROM owner"},
      {"task_get",
       "SELECT task_id, data, encoding FROM tasks WHERE namespace_id = $1 AND "
       "task_queue_name = $2 AND task_type = $3 AND task_id > $4 ORDER BY task_id LIMIT $5"},
      {"task_delete",
       "DELETE FROM tasks WHERE namespace_id = $1 AND task_queue_name = $2 AND task_type = $3 "
       "AND task_id = ANY($4::bigint[])"},
      {"task_count",
       "SELECT count(*) FROM tasks WHERE namespace_id = $1 AND task_queue_name = $2 AND "
       "task_type = $3"},
      {"namespace_tasks_delete", "DELETE FROM tasks WHERE namespace_id = $1"},
      {"namespace_task_queues_delete", "DELETE FROM task_queues WHERE namespace_id = $1"},
  };
}

namespace {

std::string QueueName(const TaskQueueKey& key) {
  return absl::StrCat("task queue '", key.name, "' (namespace '", key.namespace_id, "', type ",
                      key.task_type, ")");
}

absl::Status QueueFenced(const TaskQueueKey& key, int64_t range_id) {
  return FencingError(absl::StrCat(QueueName(key), " is no longer owned at range_id ", range_id,
                                   " (another host leased it)"));
}

class PostgresTaskStore final : public TaskStore {
 public:
  explicit PostgresTaskStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<TaskQueueLease> LeaseTaskQueue(const TaskQueueKey& key) override {
    return pool_->Run(
        "LeaseTaskQueue", [&](pqxx::connection_base& conn) -> absl::StatusOr<TaskQueueLease> {
          pqxx::work txn(conn);
          v1::TaskQueueInfo initial;
          initial.set_namespace_id(key.namespace_id);
          initial.set_name(key.name);
          initial.set_task_type(
              static_cast<temporal::api::enums::v1::TaskQueueType>(key.task_type));
          txn.exec_prepared("tq_insert", key.namespace_id, key.name, key.task_type, Blob(initial),
                            std::string(kEncodingProto3));
          pqxx::row row = txn.exec_prepared1("tq_take", key.namespace_id, key.name, key.task_type);
          TaskQueueLease lease;
          lease.range_id = row[0].as<int64_t>();
          if (absl::Status status = ParseBlob(row[1], row[2], lease.info); !status.ok()) {
            return status;
          }
          txn.commit();
          return lease;
        });
  }

  absl::Status UpdateTaskQueue(const TaskQueueKey& key, int64_t range_id,
                               const v1::TaskQueueInfo& info) override {
    return pool_->Run("UpdateTaskQueue", [&](pqxx::connection_base& conn) {
      // One idempotent statement: it commits by itself, and the pool may repeat it safely.
      pqxx::nontransaction txn(conn);
      pqxx::result r = txn.exec_prepared("tq_update", key.namespace_id, key.name, key.task_type,
                                         range_id, Blob(info), std::string(kEncodingProto3));
      if (r.affected_rows() == 0) return QueueFenced(key, range_id);
      return absl::OkStatus();
    });
  }

  absl::Status CreateTasks(const TaskQueueKey& key, int64_t range_id,
                           const std::vector<BacklogTask>& tasks) override {
    std::vector<int64_t> ids;
    ByteaArray blobs;
    for (const BacklogTask& task : tasks) {
      ids.push_back(task.task_id);
      blobs.AddMessage(task.task);
    }
    return pool_->Run("CreateTasks", [&](pqxx::connection_base& conn) {
      // One idempotent statement: it commits by itself, and the pool may repeat it safely.
      pqxx::nontransaction txn(conn);
      pqxx::row owned = txn.exec_prepared1("task_insert_fenced", key.namespace_id, key.name,
                                           key.task_type, range_id, BigintArray(ids),
                                           blobs.Finish(), std::string(kEncodingProto3));
      if (owned[0].as<int64_t>() == 0) return QueueFenced(key, range_id);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<BacklogTask>> GetTasks(const TaskQueueKey& key, int64_t after_task_id,
                                                    int limit) override {
    if (limit <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("limit must be positive, got ", limit));
    }
    return pool_->Run(
        "GetTasks", [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<BacklogTask>> {
          pqxx::nontransaction txn(conn);  // one statement: no BEGIN/ROLLBACK round trips
          pqxx::result rows = txn.exec_prepared("task_get", key.namespace_id, key.name,
                                                key.task_type, after_task_id, limit);
          std::vector<BacklogTask> tasks;
          tasks.reserve(rows.size());
          for (const auto& row : rows) {
            BacklogTask& task = tasks.emplace_back();
            task.task_id = row[0].as<int64_t>();
            if (absl::Status status = ParseBlob(row[1], row[2], task.task); !status.ok()) {
              return status;
            }
          }
          return tasks;
        });
  }

  absl::Status DeleteTasks(const TaskQueueKey& key, const std::vector<int64_t>& task_ids) override {
    if (task_ids.empty()) return absl::OkStatus();
    return pool_->Run("DeleteTasks", [&](pqxx::connection_base& conn) {
      // One idempotent statement: it commits by itself, and the pool may repeat it safely.
      pqxx::nontransaction txn(conn);
      txn.exec_prepared("task_delete", key.namespace_id, key.name, key.task_type,
                        BigintArray(task_ids));
      return absl::OkStatus();
    });
  }

  absl::Status DeleteNamespaceTaskQueues(const std::string& namespace_id) override {
    return pool_->Run("DeleteNamespaceTaskQueues", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared("namespace_tasks_delete", namespace_id);
      txn.exec_prepared("namespace_task_queues_delete", namespace_id);
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<int64_t> CountTasks(const TaskQueueKey& key) override {
    return pool_->Run("CountTasks", [&](pqxx::connection_base& conn) -> absl::StatusOr<int64_t> {
      pqxx::read_transaction txn(conn);
      return txn.exec_prepared1("task_count", key.namespace_id, key.name, key.task_type)[0]
          .as<int64_t>();
    });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<TaskStore> NewTaskStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresTaskStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
