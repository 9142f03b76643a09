#include "common/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/metrics.h"

namespace tern::metrics {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_seconds_after_boot = 0;
  double resident_bytes = 0;
};

// /proc/self/stat: utime (14), stime (15), starttime (22) in clock ticks, rss (24) in pages.
// The command name (2) is in parentheses and may hold spaces: fields are counted after it.
ProcStat ReadProcStat() {
  ProcStat stat;
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) return stat;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return stat;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int index = 3; fields >> field; ++index) {
    if (index == 14 || index == 15) stat.cpu_seconds += std::stod(field) / ticks;
    if (index == 22) stat.start_seconds_after_boot = std::stod(field) / ticks;
    if (index == 24) {
      stat.resident_bytes = std::stod(field) * static_cast<double>(sysconf(_SC_PAGESIZE));
      break;
    }
  }
  return stat;
}

double BootTime() {
  std::ifstream file("/proc/stat");
  std::string key;
  double value = 0;
  while (file >> key) {
    if (key == "btime" && file >> value) return value;
    file.ignore(1 << 20, '\n');
  }
  return 0;
}

double OpenFds() {
  std::error_code error;
  double count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

prometheus::MetricFamily Family(const Def& def, double value) {
  prometheus::MetricFamily family;
  family.name = def.name();
  family.help = def.help();
  prometheus::ClientMetric metric;
  metric.label.push_back({"service_name", ProcessServiceName()});
  if (def.type() == Type::kCounter) {
    family.type = prometheus::MetricType::Counter;
    metric.counter.value = value;
  } else {
    family.type = prometheus::MetricType::Gauge;
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  static const double boot_time = BootTime();
  ProcStat stat = ReadProcStat();
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  return {
      Family(kProcessCpuSeconds, stat.cpu_seconds),
      Family(kProcessResidentMemory, stat.resident_bytes),
      Family(kProcessOpenFds, OpenFds()),
      Family(kProcessMaxFds, static_cast<double>(limit.rlim_cur)),
      Family(kProcessStartTime, boot_time + stat.start_seconds_after_boot),
  };
}

}  // namespace tern::metrics
