# Unit tests of tern::scheduler (services/scheduler), included from tests/unit/CMakeLists.txt.
# The engine over whole specs: canonical forms, errors, fire times, DST, jitter.
tern_test(NAME scheduler_spec_test SRCS scheduler_spec_test.cc DEPS tern::scheduler LABELS unit)
# Its parts: the cron and calendar string syntax, calendar matching, the jitter hash.
tern_test(NAME scheduler_cron_string_test SRCS scheduler_cron_string_test.cc DEPS tern::scheduler
  LABELS unit)
