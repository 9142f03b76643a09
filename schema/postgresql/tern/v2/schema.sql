-- Tern persistence schema, version 2: the visibility store (ListWorkflowExecutions and friends).
--
-- One row per workflow run, written by history's visibility transfer tasks (upserts that never
-- replace a newer row: see state_transition_count) and read by the frontend's list and count
-- RPCs. The columns are the ones the list-filter translation targets (visibility/postgres.h);
-- predefined and custom search attributes live in search_attributes by name.

CREATE TABLE executions_visibility (
  namespace_id TEXT NOT NULL,
  run_id TEXT COLLATE "C" NOT NULL,
  -- Keyword columns compare bytewise, like Elasticsearch keywords.
  workflow_id TEXT COLLATE "C" NOT NULL,
  workflow_type TEXT COLLATE "C" NOT NULL,
  task_queue TEXT COLLATE "C" NOT NULL,
  status INTEGER NOT NULL,  -- temporal.api.enums.v1.WorkflowExecutionStatus
  start_time TIMESTAMPTZ NOT NULL,
  execution_time TIMESTAMPTZ NOT NULL,
  close_time TIMESTAMPTZ,  -- NULL while running
  execution_duration BIGINT,  -- nanoseconds from execution_time to close_time, NULL while running
  history_length BIGINT NOT NULL,
  history_size_bytes BIGINT NOT NULL,
  -- The run's state transition count when the row was built: an upsert only replaces a row
  -- built from an older (or the same) state, so a late task never overwrites newer data.
  state_transition_count BIGINT NOT NULL,
  parent_workflow_id TEXT COLLATE "C",
  parent_run_id TEXT COLLATE "C",
  root_workflow_id TEXT COLLATE "C" NOT NULL,
  root_run_id TEXT COLLATE "C" NOT NULL,
  -- Attribute name -> value; an attribute that is not set has no key (visibility/postgres.h).
  search_attributes JSONB NOT NULL DEFAULT '{}',
  memo BYTEA,  -- temporal.api.common.v1.Memo, NULL when the run has none
  memo_encoding TEXT,
  PRIMARY KEY (namespace_id, run_id)
);

-- The default listing order: running first (COALESCE to the largest timestamp), then newest
-- start, then run id. Pages continue with a row comparison on the same three keys, so a page is
-- a bounded index range scan whatever the table size.
CREATE INDEX executions_visibility_default_order_idx ON executions_visibility (
  namespace_id, (COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)) DESC,
  start_time DESC, run_id DESC);

-- Equality filters keep the default order after the filtered column.
CREATE INDEX executions_visibility_workflow_id_idx ON executions_visibility (
  namespace_id, workflow_id, (COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)) DESC,
  start_time DESC, run_id DESC);
CREATE INDEX executions_visibility_workflow_type_idx ON executions_visibility (
  namespace_id, workflow_type, (COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)) DESC,
  start_time DESC, run_id DESC);
CREATE INDEX executions_visibility_status_idx ON executions_visibility (
  namespace_id, status, (COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)) DESC,
  start_time DESC, run_id DESC);
CREATE INDEX executions_visibility_task_queue_idx ON executions_visibility (
  namespace_id, task_queue, (COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)) DESC,
  start_time DESC, run_id DESC);

-- Range filters on time.
CREATE INDEX executions_visibility_start_time_idx ON executions_visibility (
  namespace_id, start_time DESC);
CREATE INDEX executions_visibility_close_time_idx ON executions_visibility (
  namespace_id, close_time DESC);

-- `=` and `IN` on predefined and custom attributes translate to JSONB containment (@>).
CREATE INDEX executions_visibility_search_attributes_idx ON executions_visibility
  USING GIN (search_attributes jsonb_path_ops);
