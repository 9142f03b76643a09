// tern-worker: the worker service alone.
#include "services/server/process.h"

int main(int argc, char** argv) {
  return tern::server::RunProcess(tern::server::ParseProcessArgs(
      argc, argv, "tern-worker", /*allow_services=*/false, {"worker"}));
}
