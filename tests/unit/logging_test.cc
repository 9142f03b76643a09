// JSON log lines (common/logging.h) parse whatever the message holds: quotes, backslashes,
// newlines and control characters are escaped.
#include "common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace tern {
namespace {

TEST(LoggingTest, JsonLinesParseWhateverTheMessageHolds) {
  InitLogging("info", "json", "logging-test", "history");
  const std::string message = "workflow id \"order-7\" failed: C:\\path\nnext line\ttab \x01 end";
  testing::internal::CaptureStderr();
  spdlog::warn("{}", message);
  spdlog::default_logger()->flush();
  std::string line = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(line.empty());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per message: " << line;
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["process"], "logging-test");
  EXPECT_EQ(parsed["service"], "history");
  EXPECT_TRUE(parsed.contains("ts"));
}

}  // namespace
}  // namespace tern
