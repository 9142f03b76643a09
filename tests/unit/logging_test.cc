// Log lines (common/logging.h): JSON lines parse whatever the message and fields hold (quotes,
// backslashes, newlines and control characters are escaped), carry the fields a line is about,
// and text lines end with them as key=value.
#include "common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace tern {
namespace {

// Runs `log`, returns the one line it wrote to stderr (without its newline).
template <typename Fn>
std::string CaptureLine(Fn log) {
  testing::internal::CaptureStderr();
  log();
  spdlog::default_logger()->flush();
  std::string line = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  if (!line.empty()) line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per message: " << line;
  return line;
}

class LoggingTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { InitLogging("info", "json", "logging-test", "history"); }
};

TEST_F(LoggingTest, JsonLinesParseWhateverTheMessageHolds) {
  const std::string message = "workflow id \"order-7\" failed: C:\\path\nnext line\ttab \x01 end";
  auto parsed = nlohmann::json::parse(CaptureLine([&] { spdlog::warn("{}", message); }));
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["process"], "logging-test");
  EXPECT_EQ(parsed["service"], "history");
  EXPECT_TRUE(parsed.contains("ts"));
  EXPECT_FALSE(parsed.contains("error")) << "a line about nothing carries no fields";
}

TEST_F(LoggingTest, JsonLinesCarryTheirFieldsAsMembers) {
  const std::string error = "UNAVAILABLE: host \"10.0.0.7\"\nretrying";
  auto parsed = nlohmann::json::parse(CaptureLine([&] {
    Log(spdlog::level::warn,
        {.namespace_name = "orders",
         .workflow_id = "order-7",
         .run_id = "0f8e",
         .shard_id = 3,
         .task_queue = "billing",
         .error = error},
        "history: task failed (attempt {})", 2);
  }));
  EXPECT_EQ(parsed["msg"], "history: task failed (attempt 2)");
  EXPECT_EQ(parsed["namespace"], "orders");
  EXPECT_EQ(parsed["workflow_id"], "order-7");
  EXPECT_EQ(parsed["run_id"], "0f8e");
  EXPECT_EQ(parsed["shard_id"], 3);
  EXPECT_EQ(parsed["task_queue"], "billing");
  EXPECT_EQ(parsed["error"], error);
}

TEST_F(LoggingTest, ScopesNestFieldByFieldAndEndWithTheirScope) {
  std::string line;
  {
    ScopedLogFields shard({.shard_id = 5});
    line = CaptureLine(
        [] { Log(spdlog::level::info, {.workflow_id = "w", .run_id = "r"}, "history: applied"); });
  }
  auto inner = nlohmann::json::parse(line);
  EXPECT_EQ(inner["shard_id"], 5);
  EXPECT_EQ(inner["workflow_id"], "w");
  EXPECT_EQ(inner["run_id"], "r");

  auto after = nlohmann::json::parse(CaptureLine([] { spdlog::info("history: idle"); }));
  EXPECT_FALSE(after.contains("shard_id"));
  EXPECT_FALSE(after.contains("workflow_id"));
}

TEST_F(LoggingTest, DisabledLevelsWriteNothing) {
  testing::internal::CaptureStderr();
  Log(spdlog::level::debug, {.shard_id = 1}, "history: debug detail");
  spdlog::default_logger()->flush();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(TextLoggingTest, TextLinesEndWithKeyValueFields) {
  InitLogging("info", "text", "logging-text-test");
  auto line = CaptureLine([] {
    Log(spdlog::level::warn, {.shard_id = 2, .task_queue = "billing", .error = "lease lost"},
        "matching: partition unloaded");
  });
  EXPECT_NE(line.find("matching: partition unloaded shard_id=2 task_queue=billing "
                      "error=\"lease lost\""),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace tern
