#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

std::vector<PreparedStatement> ShardStatements() {
  return {
      {"shard_insert",
       "INSERT INTO shards (shard_id, range_id, data, encoding) VALUES ($1, 0, $2, $3) "
       "ON CONFLICT DO NOTHING"},
      {"shard_lock", "SELECT range_id, data, encoding FROM shards WHERE shard_id = $1 FOR UPDATE"},
      {"shard_take",
       "UPDATE shards SET range_id = range_id + 1, data = $2, encoding = $3 WHERE shard_id = $1 "
       "RETURNING range_id"},
      {"shard_renew",
       "UPDATE shards SET range_id = range_id + 1 WHERE shard_id = $1 AND range_id = $2 "
       "RETURNING range_id"},
      {"shard_update_info",
       "UPDATE shards SET data = $3, encoding = $4 WHERE shard_id = $1 AND range_id = $2"},
  };
}

namespace {

absl::Status ShardFenced(int32_t shard_id, int64_t range_id) {
  return FencingError(absl::StrCat("shard ", shard_id, " is no longer owned at range_id ", range_id,
                                   " (another host acquired it)"));
}

class PostgresShardStore final : public ShardStore {
 public:
  explicit PostgresShardStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<ShardLease> AcquireShard(int32_t shard_id,
                                          const std::string& owner_host) override {
    return pool_->Run(
        "AcquireShard", [&](pqxx::connection_base& conn) -> absl::StatusOr<ShardLease> {
          pqxx::work txn(conn);
          v1::ShardInfo initial;
          initial.set_shard_id(shard_id);
          txn.exec_prepared("shard_insert", shard_id, Blob(initial), std::string(kEncodingProto3));
          pqxx::row row = txn.exec_prepared1("shard_lock", shard_id);
          ShardLease lease;
          if (absl::Status status = ParseBlob(row[1], row[2], lease.info); !status.ok())
            return status;
          lease.info.set_shard_id(shard_id);
          lease.info.set_owner_host(owner_host);
          *lease.info.mutable_updated_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
          pqxx::row taken = txn.exec_prepared1("shard_take", shard_id, Blob(lease.info),
                                               std::string(kEncodingProto3));
          lease.range_id = taken[0].as<int64_t>();
          txn.commit();
          return lease;
        });
  }

  absl::StatusOr<int64_t> RenewRange(int32_t shard_id, int64_t expected_range_id) override {
    return pool_->Run("RenewRange", [&](pqxx::connection_base& conn) -> absl::StatusOr<int64_t> {
      // In a transaction although it is one statement: the bump is not idempotent, and a
      // connection lost before COMMIT rolls it back, so the pool's retry cannot apply it twice.
      pqxx::work txn(conn);
      pqxx::result rows = txn.exec_prepared("shard_renew", shard_id, expected_range_id);
      if (rows.empty()) return ShardFenced(shard_id, expected_range_id);
      int64_t range_id = rows[0][0].as<int64_t>();
      txn.commit();
      return range_id;
    });
  }

  absl::Status UpdateShardInfo(int32_t shard_id, int64_t range_id,
                               const v1::ShardInfo& info) override {
    return pool_->Run("UpdateShardInfo", [&](pqxx::connection_base& conn) {
      // One idempotent statement: it commits by itself, and the pool may repeat it safely.
      pqxx::nontransaction txn(conn);
      pqxx::result r = txn.exec_prepared("shard_update_info", shard_id, range_id, Blob(info),
                                         std::string(kEncodingProto3));
      if (r.affected_rows() == 0) return ShardFenced(shard_id, range_id);
      return absl::OkStatus();
    });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<ShardStore> NewShardStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresShardStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
