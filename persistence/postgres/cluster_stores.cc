// ClusterMetadataStore and MembershipStore.
#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

std::vector<PreparedStatement> ClusterStatements() {
  return {
      {"cm_init",
       "INSERT INTO cluster_metadata (metadata_partition, cluster_name, num_history_shards) "
       "VALUES (0, $1, $2) ON CONFLICT DO NOTHING"},
      {"cm_get",
       "SELECT cluster_name, num_history_shards FROM cluster_metadata "
       "WHERE metadata_partition = 0"},
      {"member_heartbeat",
       "INSERT INTO cluster_membership "
       "(role, host_id, rpc_address, session_start, last_heartbeat) "
       "VALUES ($1, $2, $3, timestamptz 'epoch' + $4::bigint * interval '1 microsecond', now()) "
       "ON CONFLICT (role, host_id) DO UPDATE SET rpc_address = EXCLUDED.rpc_address, "
       "session_start = EXCLUDED.session_start, last_heartbeat = EXCLUDED.last_heartbeat"},
      {"member_list",
       "SELECT host_id, rpc_address, "
       "(extract(epoch from session_start) * 1000000)::bigint, "
       "(extract(epoch from last_heartbeat) * 1000000)::bigint "
       "FROM cluster_membership "
       "WHERE role = $1 AND last_heartbeat > now() - $2::bigint * interval '1 millisecond' "
       "ORDER BY host_id"},
      {"member_remove", "DELETE FROM cluster_membership WHERE role = $1 AND host_id = $2"},
  };
}

namespace {

class PostgresClusterMetadataStore final : public ClusterMetadataStore {
 public:
  explicit PostgresClusterMetadataStore(std::shared_ptr<ConnectionPool> pool)
      : pool_(std::move(pool)) {}

  absl::StatusOr<ClusterMetadata> InitClusterMetadata(const ClusterMetadata& proposed) override {
    return pool_->Run(
        "InitClusterMetadata", [&](pqxx::connection_base& conn) -> absl::StatusOr<ClusterMetadata> {
          pqxx::work txn(conn);
          txn.exec_prepared("cm_init", proposed.cluster_name, proposed.num_history_shards);
          pqxx::row row = txn.exec_prepared1("cm_get");
          ClusterMetadata stored;
          stored.cluster_name = row[0].as<std::string>();
          stored.num_history_shards = row[1].as<int32_t>();
          txn.commit();
          return stored;
        });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

class PostgresMembershipStore final : public MembershipStore {
 public:
  explicit PostgresMembershipStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::Status Heartbeat(const Member& member) override {
    if (member.host_id.empty()) return absl::InvalidArgumentError("member needs a host_id");
    return pool_->Run("Heartbeat", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared("member_heartbeat", static_cast<int32_t>(member.role), member.host_id,
                        member.rpc_address, ToMicros(member.session_start));
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<Member>> ListLiveMembers(Role role,
                                                      std::chrono::milliseconds max_age) override {
    return pool_->Run(
        "ListLiveMembers", [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<Member>> {
          pqxx::read_transaction txn(conn);
          pqxx::result rows = txn.exec_prepared("member_list", static_cast<int32_t>(role),
                                                static_cast<int64_t>(max_age.count()));
          std::vector<Member> members;
          members.reserve(rows.size());
          for (const auto& row : rows) {
            Member& m = members.emplace_back();
            m.role = role;
            m.host_id = row[0].as<std::string>();
            m.rpc_address = row[1].as<std::string>();
            m.session_start = FromMicros(row[2].as<int64_t>());
            m.last_heartbeat = FromMicros(row[3].as<int64_t>());
          }
          return members;
        });
  }

  absl::Status RemoveMember(Role role, const std::string& host_id) override {
    return pool_->Run("RemoveMember", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared("member_remove", static_cast<int32_t>(role), host_id);
      txn.commit();
      return absl::OkStatus();
    });
  }

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<ClusterMetadataStore> NewClusterMetadataStore(
    std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresClusterMetadataStore>(std::move(pool));
}

std::shared_ptr<MembershipStore> NewMembershipStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresMembershipStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
