// Dynamic config: the key table, both value shapes, lookup precedence, errors that name the key,
// reloading a file, and docs/dynamic-config.md matching the table.
#include "common/dynamic_config.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "common/config.h"
#include "common/dynamic_config_file.h"
#include "common/dynamic_config_keys.h"
#include "common/generated_docs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tern::dynamicconfig {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(milliseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_ = TimePoint() + std::chrono::hours(24 * 365 * 50);
};

Values Parse(const std::string& text) {
  absl::StatusOr<Values> values = ParseValuesFile(text, "dc.yaml");
  EXPECT_TRUE(values.ok()) << values.status();
  return values.ok() ? *values : Values();
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::path(testing::TempDir()) / ("tern_dc_" + RandomSuffix())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }

 private:
  static std::string RandomSuffix() {
    return std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  std::filesystem::path path_;
};

TEST(DynamicConfigKeysTest, TableIsConsistent) {
  std::set<std::string> names;
  std::string previous;
  for (size_t i = 0; i < AllKeys().size(); ++i) {
    const KeyInfo& key = AllKeys()[i];
    EXPECT_EQ(static_cast<size_t>(key.id), i);
    EXPECT_TRUE(names.insert(std::string(key.name)).second) << key.name;
    EXPECT_LT(previous, std::string(key.name)) << "keep TERN_DYNAMIC_CONFIG_KEYS sorted";
    previous = std::string(key.name);
    EXPECT_FALSE(key.doc.empty()) << key.name;
    EXPECT_EQ(FindKey(key.name), &key);
    // Every default is a valid value: it parses back from its docs spelling.
    Values values = Parse(std::string(key.name) + ": " + FormatValue(key.default_value) + "\n");
    ASSERT_EQ(values.EntriesOf(key.id).size(), 1u) << key.name;
    EXPECT_EQ(values.EntriesOf(key.id)[0].value, key.default_value) << key.name;
  }
  EXPECT_EQ(FindKey("matching.numTaskQueuePartitions"), nullptr);  // exact spelling only
}

TEST(DynamicConfigKeysTest, DefaultsOfExistingKeys) {
  Collection dc;
  EXPECT_EQ(dc.Get(kMatchingNumTaskqueuePartitions, "ns", "tq"), 4);
  EXPECT_EQ(dc.Get(kMatchingNumTaskqueueReadPartitions, "ns", "tq"), 4);
  EXPECT_EQ(dc.Get(kMatchingNumTaskqueueWritePartitions, "ns", "tq"), 4);
  EXPECT_EQ(dc.Get(kMatchingLongPollExpirationInterval, "ns", "tq"), seconds(60));
  EXPECT_EQ(dc.Get(kHistoryLongPollExpirationInterval, "ns"), seconds(20));
  EXPECT_EQ(dc.Get(kLimitBlobSizeError, "ns"), 2 * 1024 * 1024);
  EXPECT_EQ(dc.Get(kLimitMaxIDLength), 1000);
  EXPECT_EQ(dc.Get(kHistoryDefaultPageSize, "ns"), 256);
  EXPECT_EQ(dc.Get(kNamespaceMinRetention), std::chrono::hours(1));
  EXPECT_EQ(dc.Get(kLimitHistoryCountSuggestContinueAsNew, "ns"), 4096);
  EXPECT_EQ(dc.Get(kLimitHistorySizeSuggestContinueAsNew, "ns"), 4 << 20);
  EXPECT_EQ(dc.Get(kLimitHistoryCountError, "ns"), 51200);
  EXPECT_EQ(dc.Get(kLimitHistorySizeError, "ns"), 50 << 20);
  EXPECT_EQ(dc.Get(kWorkerScanInterval), seconds(10));
}

struct ShapeCase {
  std::string name;
  std::string yaml;  // a dynamic-config file
  std::string namespace_name;
  std::string task_queue;
  int want;  // matching.numTaskqueueReadPartitions for (namespace, task queue)
};

class ShapeTest : public testing::TestWithParam<ShapeCase> {};

TEST_P(ShapeTest, ReadPartitions) {
  const ShapeCase& c = GetParam();
  Collection dc(Parse(c.yaml));
  EXPECT_EQ(dc.Get(kMatchingNumTaskqueueReadPartitions, c.namespace_name, c.task_queue), c.want);
}

constexpr char kAllLevels[] = R"yaml(
matching.numTaskqueueReadPartitions:
  - value: 1
  - value: 2
    constraints: {namespace: orders}
  - value: 3
    constraints: {taskQueueName: checkout}
  - value: 5
    constraints: {namespace: orders, taskQueueName: checkout}
)yaml";

INSTANTIATE_TEST_SUITE_P(
    Table, ShapeTest,
    testing::Values(
        ShapeCase{"Absent", "{}", "ns", "tq", 4},
        ShapeCase{"PlainScalar", "matching.numTaskqueueReadPartitions: 7\n", "ns", "tq", 7},
        ShapeCase{"ListWithoutConstraints", "matching.numTaskqueueReadPartitions: [{value: 6}]\n",
                  "ns", "tq", 6},
        ShapeCase{"NullKeepsDefault", "matching.numTaskqueueReadPartitions:\n", "ns", "tq", 4},
        ShapeCase{"NamespaceAndQueue", kAllLevels, "orders", "checkout", 5},
        ShapeCase{"QueueBeatsNamespace", kAllLevels, "other", "checkout", 3},
        ShapeCase{"Namespace", kAllLevels, "orders", "cart", 2},
        ShapeCase{"Global", kAllLevels, "other", "cart", 1},
        ShapeCase{"NoGlobalFallsToDefault",
                  "matching.numTaskqueueReadPartitions:\n"
                  "  - {value: 2, constraints: {namespace: orders}}\n",
                  "other", "tq", 4},
        // matching.numTaskqueuePartitions stands in for the read count where that has no value.
        ShapeCase{"FallbackGlobal", "matching.numTaskqueuePartitions: 8\n", "ns", "tq", 8},
        ShapeCase{"FallbackPerNamespace",
                  "matching.numTaskqueuePartitions:\n"
                  "  - {value: 8, constraints: {namespace: orders}}\n",
                  "orders", "tq", 8},
        ShapeCase{"OwnValueBeatsFallback",
                  "matching.numTaskqueuePartitions: 8\n"
                  "matching.numTaskqueueReadPartitions: 2\n",
                  "ns", "tq", 2},
        ShapeCase{"OwnGlobalBeatsSpecificFallback",
                  "matching.numTaskqueuePartitions:\n"
                  "  - {value: 8, constraints: {namespace: orders}}\n"
                  "matching.numTaskqueueReadPartitions: 2\n",
                  "orders", "tq", 2}),
    [](const testing::TestParamInfo<ShapeCase>& info) { return info.param.name; });

TEST(DynamicConfigTest, TypedValuesOfEveryShape) {
  Values values = Parse(R"yaml(
limit.maxIDLength: 300
limit.blobSizeError:
  - {value: 1024, constraints: {namespace: small}}
history.longPollExpirationInterval: 1m30s
matching.longPollExpirationInterval:
  - value: 5s
    constraints: {namespace: orders, taskQueueName: fast}
)yaml");
  Collection dc(values);
  EXPECT_EQ(dc.Get(kLimitMaxIDLength), 300);
  EXPECT_EQ(dc.Get(kLimitBlobSizeError, "small"), 1024);
  EXPECT_EQ(dc.Get(kLimitBlobSizeError, "big"), 2 * 1024 * 1024);
  EXPECT_EQ(dc.Get(kHistoryLongPollExpirationInterval, "any"), seconds(90));
  EXPECT_EQ(dc.Get(kMatchingLongPollExpirationInterval, "orders", "fast"), seconds(5));
  EXPECT_EQ(dc.Get(kMatchingLongPollExpirationInterval, "orders", "slow"), seconds(60));
}

TEST(DynamicConfigTest, MainConfigSectionTakesBothShapes) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(
services: {frontend: {}}
dynamicConfig:
  limit.maxIDLength: 200
  matching.numTaskqueueWritePartitions:
    - value: 2
      constraints: {namespace: orders, taskQueueName: checkout}
)yaml",
                                              "main.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->dynamic.Get(kLimitMaxIDLength), 200);
  EXPECT_EQ(config->dynamic.Get(kMatchingNumTaskqueueWritePartitions, "orders", "checkout"), 2);
  EXPECT_EQ(config->dynamic.Get(kMatchingNumTaskqueueWritePartitions, "orders", "cart"), 4);
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::string want;  // a fragment of the message
};

class ErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTest, NamesFileLineAndKey) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<Values> values = ParseValuesFile(c.yaml, "dc.yaml");
  ASSERT_FALSE(values.ok()) << c.yaml;
  EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(values.status().message()), HasSubstr(c.want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrorTest,
    testing::Values(
        ErrorCase{
            "UnknownKey", "limit.maxIdLength: 5\n",
            "dc.yaml:1: limit.maxIdLength: unknown key (did you mean \"limit.maxIDLength\"?)"},
        ErrorCase{"WrongType", "limit.maxIDLength: lots\n",
                  "dc.yaml:1: limit.maxIDLength: must be an integer, got \"lots\""},
        ErrorCase{"WrongTypeInList", "limit.maxIDLength:\n  - value: 5s\n",
                  "dc.yaml:2: limit.maxIDLength[0].value: must be an integer"},
        ErrorCase{"BadDuration", "worker.scanInterval: 10\n",
                  "worker.scanInterval: invalid duration \"10\": missing unit"},
        ErrorCase{"BelowRange", "limit.maxIDLength: 0\n",
                  "limit.maxIDLength: must be in 1..1048576, got 0"},
        ErrorCase{"AboveRange",
                  "matching.numTaskqueueReadPartitions:\n"
                  "  - {value: 2000, constraints: {taskQueueName: q}}\n",
                  "dc.yaml:2: matching.numTaskqueueReadPartitions[0].value: must be in 1..1024"},
        ErrorCase{"DurationBelowRange", "worker.scanInterval: 10ms\n",
                  "worker.scanInterval: must be at least 100ms"},
        ErrorCase{"GlobalKeyWithNamespace",
                  "limit.maxIDLength:\n  - {value: 5, constraints: {namespace: a}}\n",
                  "limit.maxIDLength[0].constraints: not allowed: limit.maxIDLength is a global "
                  "key"},
        ErrorCase{"NamespaceKeyWithQueue",
                  "limit.blobSizeError:\n"
                  "  - {value: 5, constraints: {namespace: a, taskQueueName: q}}\n",
                  "limit.blobSizeError[0].constraints.taskQueueName: not allowed: "
                  "limit.blobSizeError is a namespace key"},
        ErrorCase{"UnsupportedConstraint",
                  "matching.numTaskqueuePartitions:\n"
                  "  - {value: 5, constraints: {taskType: Workflow}}\n",
                  "matching.numTaskqueuePartitions[0].constraints.taskType: unknown key"},
        ErrorCase{"EmptyConstraint",
                  "limit.blobSizeError:\n  - {value: 5, constraints: {namespace: \"\"}}\n",
                  "limit.blobSizeError[0].constraints.namespace: must not be empty"},
        ErrorCase{"SameConstraintsTwice",
                  "limit.blobSizeError:\n  - {value: 5, constraints: {namespace: a}}\n"
                  "  - {value: 6, constraints: {namespace: a}}\n",
                  "dc.yaml:3: limit.blobSizeError[1]: has the same constraints as an earlier "
                  "entry"},
        ErrorCase{"MissingValue", "limit.blobSizeError:\n  - constraints: {namespace: a}\n",
                  "limit.blobSizeError[0].value: is required"},
        ErrorCase{"ListOfScalars", "limit.blobSizeError: [1, 2]\n",
                  "limit.blobSizeError: must be a single value or a list of {value, "
                  "constraints} maps"},
        ErrorCase{"UnknownEntryField", "limit.blobSizeError:\n  - {value: 5, constraint: {}}\n",
                  "limit.blobSizeError[0].constraint: unknown key"},
        ErrorCase{"TopLevelNotAMap", "- a\n", "dc.yaml: the top level must be a map"},
        ErrorCase{"BadYaml", "a: [\n", "dc.yaml:"}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(DynamicConfigTest, MainConfigErrorsNameTheSection) {
  absl::StatusOr<Config> config = ParseConfig(
      "services: {frontend: {}}\ndynamicConfig:\n  limit.blobSizeError:\n"
      "    - {value: 5, constraints: {namespace: a, taskQueueName: q}}\n",
      "main.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("main.yaml:4: dynamicConfig.limit.blobSizeError[0].constraints."
                        "taskQueueName: not allowed"));
}

TEST(DynamicConfigTest, CollectionCopiesShareUpdates) {
  Collection a;
  Collection b = a;
  Values values;
  values.Set(kLimitMaxIDLength, 42);
  values.Set(kLimitBlobSizeError, int64_t{7}, {"orders", ""});
  b.Update(values);
  EXPECT_EQ(a.Get(kLimitMaxIDLength), 42);
  EXPECT_EQ(a.Get(kLimitBlobSizeError, "orders"), 7);
  EXPECT_EQ(a.Get(kLimitBlobSizeError, "other"), 2 * 1024 * 1024);
}

TEST(DynamicConfigTest, ReadersNeverSeeAHalfUpdate) {
  Collection dc;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 1; !stop; i = i % 100 + 1) {
      Values values;
      values.Set(kMatchingNumTaskqueueReadPartitions, i);
      values.Set(kMatchingNumTaskqueueWritePartitions, i);
      dc.Update(values);
    }
  });
  for (int i = 0; i < 20000; ++i) {
    std::shared_ptr<const Values> snapshot = dc.Current();
    EXPECT_EQ(snapshot->Lookup(KeyId::kMatchingNumTaskqueueReadPartitions, "", ""),
              snapshot->Lookup(KeyId::kMatchingNumTaskqueueWritePartitions, "", ""));
  }
  stop = true;
  writer.join();
}

// ---- the dynamicConfigClient file ---------------------------------------------------------------

TEST(DynamicConfigFileTest, LoadConfigReadsTheFileRelativeToTheConfig) {
  TempDir dir;
  dir.Write("dc.yaml",
            "limit.maxIDLength: 300\n"
            "matching.numTaskqueueReadPartitions:\n"
            "  - {value: 8, constraints: {namespace: orders}}\n");
  std::string main = dir.Write("tern.yaml",
                               "services: {frontend: {}}\n"
                               "dynamicConfig:\n"
                               "  limit.maxIDLength: 100\n"
                               "  history.defaultPageSize: 50\n"
                               "dynamicConfigClient: {filepath: dc.yaml, pollInterval: 5s}\n");
  absl::StatusOr<Config> config = LoadConfig(main);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->dynamic_config_client.poll_interval, seconds(5));
  EXPECT_EQ(config->dynamic_config_client.filepath, dir.Path("dc.yaml"));
  // The file's keys replace the main file's; the main file's other keys stay.
  EXPECT_EQ(config->dynamic.Get(kLimitMaxIDLength), 300);
  EXPECT_EQ(config->dynamic.Get(kHistoryDefaultPageSize, "any"), 50);
  EXPECT_EQ(config->dynamic.Get(kMatchingNumTaskqueueReadPartitions, "orders", "q"), 8);
}

TEST(DynamicConfigFileTest, BadFileAtStartIsFatalAndNamesTheKey) {
  TempDir dir;
  std::string file = dir.Write("dc.yaml", "history.defaultPageSize: 0\n");
  std::string main = dir.Write("tern.yaml",
                               "services: {frontend: {}}\n"
                               "dynamicConfigClient: {filepath: " +
                                   file + "}\n");
  absl::StatusOr<Config> config = LoadConfig(main);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr(file + ":1: history.defaultPageSize: must be in 1..1048576, got 0"));

  main = dir.Write("tern.yaml",
                   "services: {frontend: {}}\ndynamicConfigClient: {filepath: missing.yaml}\n");
  config = LoadConfig(main);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("missing.yaml"));

  EXPECT_FALSE(ParseConfig("services: {frontend: {}}\ndynamicConfigClient: {pollInterval: 10ms}\n",
                           "main.yaml")
                   .ok());
}

TEST(DynamicConfigFileTest, ExampleFileLoads) {
  absl::StatusOr<Values> values =
      LoadValuesFile(std::string(TERN_SOURCE_DIR) + "/config/dynamicconfig.yaml");
  ASSERT_TRUE(values.ok()) << values.status();
  Collection dc(*values);
  EXPECT_EQ(dc.Get(kMatchingNumTaskqueueReadPartitions, "orders", "checkout"), 8);
  EXPECT_EQ(dc.Get(kLimitBlobSizeError, "sandbox"), 524288);
}

class FileWatcherTest : public testing::Test {
 protected:
  FileWatcherTest() {
    base_.Set(kHistoryDefaultPageSize, 50);
    path_ = dir_.Write("dc.yaml", "limit.maxIDLength: 300\n");
  }
  TempDir dir_;
  std::string path_;
  Values base_;
  Collection dc_;
  FakeClock clock_;
  Executor timers_{1, "dc-test"};
};

TEST_F(FileWatcherTest, PollPublishesChangesAndKeepsValuesOnABadFile) {
  FileWatcher watcher(path_, seconds(10), base_, dc_, clock_, timers_);
  ASSERT_TRUE(watcher.Poll().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 300);
  EXPECT_EQ(dc_.Get(kHistoryDefaultPageSize, "ns"), 50);  // from the main config

  dir_.Write("dc.yaml", "limit.maxIDLength: 400\nhistory.defaultPageSize: 60\n");
  ASSERT_TRUE(watcher.Poll().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 400);
  EXPECT_EQ(dc_.Get(kHistoryDefaultPageSize, "ns"), 60);

  // A bad file: the reason names the file, line and key; the values stay.
  dir_.Write("dc.yaml", "limit.maxIDLength: 500\nhistory.defaultPageSize: -1\n");
  absl::Status status = watcher.Poll();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(path_ + ":2: history.defaultPageSize: must be in 1.."));
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 400);
  EXPECT_EQ(dc_.Get(kHistoryDefaultPageSize, "ns"), 60);

  // A missing file: the values stay too.
  std::filesystem::remove(path_);
  EXPECT_FALSE(watcher.Poll().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 400);

  // Fixed: applied; a key removed from the file goes back to the main config's value.
  dir_.Write("dc.yaml", "limit.maxIDLength: 600\n");
  ASSERT_TRUE(watcher.Poll().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 600);
  EXPECT_EQ(dc_.Get(kHistoryDefaultPageSize, "ns"), 50);
}

TEST_F(FileWatcherTest, PollIfDueFollowsTheClock) {
  FileWatcher watcher(path_, seconds(10), base_, dc_, clock_, timers_);
  ASSERT_TRUE(watcher.PollIfDue().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 1000);  // not due yet
  clock_.Advance(seconds(10));
  ASSERT_TRUE(watcher.PollIfDue().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 300);
  dir_.Write("dc.yaml", "limit.maxIDLength: 700\n");
  clock_.Advance(seconds(9));
  ASSERT_TRUE(watcher.PollIfDue().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 300);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(watcher.PollIfDue().ok());
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 700);
}

TEST_F(FileWatcherTest, TimerReloadsWhenTheClockSaysSo) {
  FileWatcher watcher(path_, seconds(1), base_, dc_, clock_, timers_);
  watcher.Start();
  // Advance the clock until the timer has polled (the timer ticks every second of real time).
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (dc_.Get(kLimitMaxIDLength) != 300 && std::chrono::steady_clock::now() < deadline) {
    clock_.Advance(seconds(1));
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(dc_.Get(kLimitMaxIDLength), 300);
  watcher.Stop();
  watcher.Stop();  // idempotent
}

// ---- docs ---------------------------------------------------------------------------------------

TEST(DynamicConfigDocsTest, DocsListEveryKey) {
  std::string path = std::string(TERN_SOURCE_DIR) + "/docs/dynamic-config.md";
  auto section = SectionText(ReadTextFile(path), {kDocsBegin, kDocsEnd});
  ASSERT_TRUE(section.has_value()) << path << " lacks " << kDocsBegin << " or " << kDocsEnd;
  EXPECT_EQ(*section, KeysMarkdown())
      << "docs/dynamic-config.md is out of date; run build/bin/tern-dynamic-config-docs "
         "--update docs/dynamic-config.md";
}

}  // namespace
}  // namespace tern::dynamicconfig
