#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>

namespace tern {
namespace {

thread_local LogFields current_fields;

// Appends `text` as the inside of a JSON string: quotes, backslashes and control characters
// escaped, so every json line parses whatever it holds.
void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
          dest.append(std::string_view(escaped, sizeof(escaped)));
        } else {
          dest.push_back(c);
        }
    }
  }
}

// %* in a json pattern: the message, escaped.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

// %& in a pattern: the thread's current LogFields, as `,"key":"value"` members (json) or as
// ` key=value` pairs (text; values with spaces or quotes are quoted).
class FieldsFormatter final : public spdlog::custom_flag_formatter {
 public:
  explicit FieldsFormatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogFields& f = current_fields;
    Append("namespace", f.namespace_name, dest);
    Append("workflow_id", f.workflow_id, dest);
    Append("run_id", f.run_id, dest);
    if (f.shard_id) {
      std::string id = std::to_string(*f.shard_id);
      dest.append(std::string_view(json_ ? R"(,"shard_id":)" : " shard_id="));
      dest.append(std::string_view(id));
    }
    Append("task_queue", f.task_queue, dest);
    Append("error", f.error, dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FieldsFormatter>(json_);
  }

 private:
  void Append(std::string_view key, std::string_view value, spdlog::memory_buf_t& dest) const {
    if (value.empty()) return;
    bool quote = json_ || value.find_first_of(" \"=\t\n") != std::string_view::npos;
    dest.append(std::string_view(json_ ? ",\"" : " "));
    dest.append(key);
    dest.append(std::string_view(json_ ? "\":" : "="));
    if (quote) dest.push_back('"');
    AppendJsonEscaped(value, dest);
    if (quote) dest.push_back('"');
  }

  const bool json_;
};

}  // namespace

ScopedLogFields::ScopedLogFields(const LogFields& fields) : previous_(current_fields) {
  LogFields& c = current_fields;
  if (!fields.namespace_name.empty()) c.namespace_name = fields.namespace_name;
  if (!fields.workflow_id.empty()) c.workflow_id = fields.workflow_id;
  if (!fields.run_id.empty()) c.run_id = fields.run_id;
  if (fields.shard_id) c.shard_id = fields.shard_id;
  if (!fields.task_queue.empty()) c.task_queue = fields.task_queue;
  if (!fields.error.empty()) c.error = fields.error;
}

ScopedLogFields::~ScopedLogFields() { current_fields = previous_; }

void InitLogging(const std::string& level, const std::string& format, const std::string& process,
                 const std::string& service) {
  auto logger = spdlog::stderr_color_mt(process);
  bool json = format == "json";
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<FieldsFormatter>('&', json);
  if (json) {
    // Service names are [a-z,]: safe inside the pattern as they are.
    std::string service_field = service.empty() ? "" : R"("service":")" + service + R"(",)";
    formatter->add_flag<JsonMessage>('*').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","process":"%n",)" + service_field +
        R"("thread":%t,"msg":"%*"%&})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v%&");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace tern
