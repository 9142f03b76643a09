// tern-worker: the internal background service (retention, namespace deletion, schedules,
// batch operations). It joins membership and serves health today; the background jobs arrive
// with their issues (see docs/architecture.md).
#pragma once

namespace tern::worker {

class WorkerService {
 public:
  void Start() {}
  void Stop() {}
};

}  // namespace tern::worker
