#include <pqxx/except>
#include <pqxx/transaction>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

std::vector<PreparedStatement> NamespaceStatements() {
  return {
      {"ns_create",
       "INSERT INTO namespaces (id, name, data, encoding, notification_version) "
       "VALUES ($1, $2, $3, $4, nextval('namespace_notification_version_seq')) "
       "ON CONFLICT DO NOTHING"},
      {"ns_get_by_name", "SELECT data, encoding FROM namespaces WHERE name = $1"},
      {"ns_get_by_id", "SELECT data, encoding FROM namespaces WHERE id = $1"},
      {"ns_update",
       "UPDATE namespaces SET name = $2, data = $3, encoding = $4, "
       "notification_version = nextval('namespace_notification_version_seq') WHERE id = $1"},
      {"ns_list",
       "SELECT name, data, encoding FROM namespaces WHERE name > $1 ORDER BY name LIMIT $2"},
      {"ns_delete", "DELETE FROM namespaces WHERE id = $1"},
  };
}

namespace {

absl::Status CheckIdentity(const v1::NamespaceRecord& record) {
  if (record.info().id().empty() || record.info().name().empty()) {
    return absl::InvalidArgumentError("namespace record needs info.id and info.name");
  }
  return absl::OkStatus();
}

class PostgresNamespaceStore final : public NamespaceStore {
 public:
  explicit PostgresNamespaceStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::Status CreateNamespace(const v1::NamespaceRecord& record) override {
    RETURN_IF_ERROR(CheckIdentity(record));
    return pool_->Run("CreateNamespace", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      pqxx::result r = txn.exec_prepared("ns_create", record.info().id(), record.info().name(),
                                         Blob(record), std::string(kEncodingProto3));
      if (r.affected_rows() == 0) {
        return absl::AlreadyExistsError(absl::StrCat("namespace name '", record.info().name(),
                                                     "' or id '", record.info().id(),
                                                     "' already exists"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<v1::NamespaceRecord> GetNamespaceByName(const std::string& name) override {
    return Get("ns_get_by_name", name, "name");
  }

  absl::StatusOr<v1::NamespaceRecord> GetNamespaceById(const std::string& id) override {
    return Get("ns_get_by_id", id, "id");
  }

  absl::Status UpdateNamespace(const v1::NamespaceRecord& record) override {
    RETURN_IF_ERROR(CheckIdentity(record));
    return pool_->Run("UpdateNamespace", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      pqxx::result r;
      try {
        r = txn.exec_prepared("ns_update", record.info().id(), record.info().name(), Blob(record),
                              std::string(kEncodingProto3));
      } catch (const pqxx::unique_violation&) {
        return absl::AlreadyExistsError(
            absl::StrCat("namespace name '", record.info().name(), "' is taken"));
      }
      if (r.affected_rows() == 0) {
        return absl::NotFoundError(
            absl::StrCat("namespace id '", record.info().id(), "' not found"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<Page> ListNamespaces(int page_size, const std::string& page_token) override {
    if (page_size <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_size must be positive, got ", page_size));
    }
    return pool_->Run("ListNamespaces", [&](pqxx::connection_base& conn) -> absl::StatusOr<Page> {
      pqxx::read_transaction txn(conn);
      // One extra row tells whether another page exists.
      pqxx::result rows = txn.exec_prepared("ns_list", page_token, page_size + 1);
      Page page;
      for (const auto& row : rows) {
        if (static_cast<int>(page.namespaces.size()) == page_size) {
          page.next_page_token = page.namespaces.back().info().name();
          break;
        }
        v1::NamespaceRecord& record = page.namespaces.emplace_back();
        RETURN_IF_ERROR(ParseBlob(row[1], row[2], record));
      }
      return page;
    });
  }

  absl::Status DeleteNamespace(const std::string& id) override {
    return pool_->Run("DeleteNamespace", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      pqxx::result r = txn.exec_prepared("ns_delete", id);
      if (r.affected_rows() == 0) {
        return absl::NotFoundError(absl::StrCat("namespace id '", id, "' not found"));
      }
      txn.commit();
      return absl::OkStatus();
    });
  }

 private:
  absl::StatusOr<v1::NamespaceRecord> Get(const char* statement, const std::string& key,
                                          absl::string_view key_name) {
    return pool_->Run(
        "GetNamespace", [&](pqxx::connection_base& conn) -> absl::StatusOr<v1::NamespaceRecord> {
          pqxx::read_transaction txn(conn);
          pqxx::result rows = txn.exec_prepared(statement, key);
          if (rows.empty()) {
            return absl::NotFoundError(
                absl::StrCat("namespace ", key_name, " '", key, "' not found"));
          }
          v1::NamespaceRecord record;
          if (absl::Status status = ParseBlob(rows[0][0], rows[0][1], record); !status.ok()) {
            return status;
          }
          return record;
        });
  }

  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::shared_ptr<NamespaceStore> NewNamespaceStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresNamespaceStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
