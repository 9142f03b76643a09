# Unit tests of tern::history (services/history) and of the placement helpers in tern::common,
# included from tests/unit/CMakeLists.txt.
tern_test(NAME common_placement_test SRCS common_placement_test.cc DEPS tern::common LABELS unit)
tern_test(NAME history_mutable_state_test SRCS history_mutable_state_test.cc DEPS tern::history
  LABELS unit)
tern_test(NAME history_engine_test SRCS history_engine_test.cc DEPS tern::history LABELS unit)
tern_test(NAME history_cron_test SRCS history_cron_test.cc DEPS tern::history LABELS unit)
tern_test(NAME history_visibility_record_test SRCS history_visibility_record_test.cc
  DEPS tern::history LABELS unit)
tern_test(NAME history_event_state_test SRCS history_event_state_test.cc DEPS tern::history LABELS unit)
# The history APIs driven through the engine over the fixture in history_test_env.h.
tern_test(NAME history_child_test SRCS history_child_test.cc DEPS tern::history LABELS unit)
tern_test(NAME history_update_test SRCS history_update_test.cc DEPS tern::history LABELS unit)
tern_test(NAME history_query_test SRCS history_query_test.cc DEPS tern::history LABELS unit)
tern_test(NAME history_reset_test SRCS history_reset_test.cc DEPS tern::history LABELS unit)
# ShardController: shards lost to a host with a stale view come back at once.
tern_test(NAME history_shard_controller_test SRCS history_shard_controller_test.cc
  DEPS tern::history LABELS unit)
# Shard::Persist: concurrent writers share a transaction; a conflict fails only its writer.
tern_test(NAME history_group_commit_test SRCS history_group_commit_test.cc DEPS tern::history
  LABELS unit)
# EventTail: the cached newest events of a run that workflow tasks are sent from.
tern_test(NAME history_event_tail_test SRCS history_event_tail_test.cc DEPS tern::history
  LABELS unit)
# TimerQueue: timers read from the database a window at a time, each fired once.
tern_test(NAME history_timer_queue_test SRCS history_timer_queue_test.cc DEPS tern::history
  LABELS unit)
