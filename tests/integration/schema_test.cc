#include "persistence/postgres/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "persistence/postgres/postgres_stores.h"
#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

using persistence::postgres::CheckSchemaVersion;
using persistence::postgres::GetSchemaVersion;
using persistence::postgres::kSchemaVersion;
using persistence::postgres::SetupSchema;
using persistence::postgres::UpdateSchema;
using ::testing::HasSubstr;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
  }
  PostgresServer* server_ = nullptr;
};

TEST_F(SchemaTest, SetupCreatesTheDatabaseAndIsIdempotent) {
  SqlStoreConfig cfg = server_->ConfigFor("schema_setup_fresh");
  EXPECT_EQ(GetSchemaVersion(cfg).status().code(), absl::StatusCode::kNotFound);
  absl::Status missing = CheckSchemaVersion(cfg);
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("tern schema setup"));

  ASSERT_TRUE(SetupSchema(cfg).ok());
  ASSERT_EQ(GetSchemaVersion(cfg).value_or(-1), kSchemaVersion);
  EXPECT_TRUE(CheckSchemaVersion(cfg).ok());

  // Data written after the first setup survives a second setup and an update.
  auto stores = persistence::postgres::OpenPostgresStores(cfg);
  ASSERT_TRUE(stores.ok()) << stores.status();
  ASSERT_TRUE(stores->cluster_metadata->InitClusterMetadata({"active", 4}).ok());
  ASSERT_TRUE(SetupSchema(cfg).ok());
  ASSERT_TRUE(UpdateSchema(cfg).ok());
  EXPECT_EQ(GetSchemaVersion(cfg).value_or(-1), kSchemaVersion);
  auto metadata = stores->cluster_metadata->InitClusterMetadata({"other", 8});
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->cluster_name, "active");
}

TEST_F(SchemaTest, EmptyDatabaseNeedsSetup) {
  auto cfg = server_->CreateDatabase();
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(GetSchemaVersion(*cfg).value_or(-1), 0);
  absl::Status check = CheckSchemaVersion(*cfg);
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(check.message()),
              HasSubstr(absl::StrCat("database schema version 0 is not the version this binary "
                                     "expects (",
                                     kSchemaVersion, ")")));
  // update does not bootstrap: it points at setup.
  absl::Status update = UpdateSchema(*cfg);
  EXPECT_EQ(update.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(update.message()), HasSubstr("tern schema setup"));
}

TEST_F(SchemaTest, TooNewDatabaseIsRefusedNamingBothVersions) {
  auto cfg = server_->CreateDatabase();
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_TRUE(SetupSchema(*cfg).ok());
  const int future = kSchemaVersion + 2;
  ASSERT_TRUE(
      server_->Exec(*cfg, absl::StrCat("UPDATE schema_version SET curr_version = ", future)).ok());

  const std::string db_version = absl::StrCat("version ", future);
  const std::string binary_version = absl::StrCat("(", kSchemaVersion, ")");
  absl::Status check = CheckSchemaVersion(*cfg);
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(check.message()), HasSubstr(db_version));
  EXPECT_THAT(std::string(check.message()), HasSubstr(binary_version));

  for (const absl::Status& refused : {UpdateSchema(*cfg), SetupSchema(*cfg)}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(refused.message()), HasSubstr(db_version));
    EXPECT_THAT(std::string(refused.message()), HasSubstr(binary_version));
    EXPECT_THAT(std::string(refused.message()), HasSubstr("downgrade"));
  }
  EXPECT_EQ(GetSchemaVersion(*cfg).value_or(-1), future);  // untouched
}

TEST_F(SchemaTest, VersionOneDatabaseIsRefusedUntilUpdatedToVersionTwo) {
  static_assert(kSchemaVersion >= 2);
  auto cfg = server_->CreateDatabase();
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_TRUE(SetupSchema(*cfg).ok());
  // Back to what a version 1 binary left behind: none of the tables of later versions.
  ASSERT_TRUE(server_
                  ->Exec(*cfg,
                         "DROP TABLE executions_visibility; DROP TABLE schedules; DROP TABLE "
                         "batch_operations; "
                         "DELETE FROM schema_update_history WHERE version >= 2; "
                         "UPDATE schema_version SET curr_version = 1")
                  .ok());
  auto stores = persistence::postgres::OpenPostgresStores(*cfg);
  ASSERT_TRUE(stores.ok()) << stores.status();
  ASSERT_TRUE(stores->cluster_metadata->InitClusterMetadata({"active", 4}).ok());

  absl::Status stale = CheckSchemaVersion(*cfg);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stale.message()), HasSubstr("database schema version 1"));
  EXPECT_THAT(std::string(stale.message()), HasSubstr("tern schema update"));

  ASSERT_TRUE(UpdateSchema(*cfg).ok());
  EXPECT_EQ(GetSchemaVersion(*cfg).value_or(-1), kSchemaVersion);
  EXPECT_TRUE(CheckSchemaVersion(*cfg).ok());
  // The new tables are there and the old data is untouched.
  EXPECT_TRUE(server_->Exec(*cfg, "SELECT count(*) FROM executions_visibility").ok());
  EXPECT_TRUE(server_->Exec(*cfg, "SELECT count(*) FROM schedules").ok());
  EXPECT_EQ(stores->cluster_metadata->InitClusterMetadata({"other", 8})->cluster_name, "active");
}

TEST_F(SchemaTest, UnreachableServerIsUnavailable) {
  SqlStoreConfig cfg = server_->ConfigFor("postgres");
  cfg.connect_addr = "127.0.0.1:1";
  EXPECT_EQ(GetSchemaVersion(cfg).status().code(), absl::StatusCode::kUnavailable);
  auto stores = persistence::postgres::OpenPostgresStores(cfg);
  EXPECT_EQ(stores.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tern::testing
