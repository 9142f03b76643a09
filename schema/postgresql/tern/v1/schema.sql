-- Tern persistence schema, version 1.
-- Blobs are serialized protobuf messages (tern.persistence.v1.* or temporal.api.*); the
-- encoding column beside each blob names the format ('proto3').

CREATE TABLE cluster_metadata (
  -- One row per database: the first process to start writes it, everyone else reads it.
  metadata_partition INTEGER NOT NULL DEFAULT 0 PRIMARY KEY CHECK (metadata_partition = 0),
  cluster_name TEXT NOT NULL,
  num_history_shards INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE cluster_membership (
  role INTEGER NOT NULL,
  host_id TEXT NOT NULL,
  rpc_address TEXT NOT NULL,
  session_start TIMESTAMPTZ NOT NULL,
  last_heartbeat TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (role, host_id)
);
CREATE INDEX cluster_membership_heartbeat_idx ON cluster_membership (role, last_heartbeat);

-- Bumped on every namespace create/update so caches can tell what changed.
CREATE SEQUENCE namespace_notification_version_seq;

CREATE TABLE namespaces (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data BYTEA NOT NULL,  -- tern.persistence.v1.NamespaceRecord
  encoding TEXT NOT NULL,
  notification_version BIGINT NOT NULL
);

CREATE TABLE shards (
  shard_id INTEGER NOT NULL PRIMARY KEY,
  -- Fencing token: bumped by every new owner; writes check it in the same transaction.
  range_id BIGINT NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.ShardInfo
  encoding TEXT NOT NULL
);

CREATE TABLE executions (
  shard_id INTEGER NOT NULL,
  namespace_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  -- Optimistic concurrency: every update is conditional on the version read.
  db_record_version BIGINT NOT NULL,
  next_event_id BIGINT NOT NULL,
  state INTEGER NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.MutableState
  encoding TEXT NOT NULL,
  PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id)
);

-- The run a workflow id currently points to.
CREATE TABLE current_executions (
  shard_id INTEGER NOT NULL,
  namespace_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  create_request_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  status INTEGER NOT NULL,
  PRIMARY KEY (shard_id, namespace_id, workflow_id)
);

-- One row per appended batch of history events.
CREATE TABLE history_node (
  shard_id INTEGER NOT NULL,
  namespace_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  first_event_id BIGINT NOT NULL,
  last_event_id BIGINT NOT NULL,
  data BYTEA NOT NULL,  -- temporal.api.history.v1.History
  encoding TEXT NOT NULL,
  PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, first_event_id)
);

CREATE TABLE transfer_tasks (
  shard_id INTEGER NOT NULL,
  task_id BIGINT NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.TransferTask
  encoding TEXT NOT NULL,
  PRIMARY KEY (shard_id, task_id)
);

CREATE TABLE timer_tasks (
  shard_id INTEGER NOT NULL,
  task_id BIGINT NOT NULL,
  fire_time TIMESTAMPTZ NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.TimerTask
  encoding TEXT NOT NULL,
  PRIMARY KEY (shard_id, task_id)
);
CREATE INDEX timer_tasks_fire_time_idx ON timer_tasks (shard_id, fire_time, task_id);

-- One row per task queue partition (matching).
CREATE TABLE task_queues (
  namespace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  task_type INTEGER NOT NULL,
  -- Fencing token of the partition's owner; backlog writes check it.
  range_id BIGINT NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.TaskQueueInfo
  encoding TEXT NOT NULL,
  PRIMARY KEY (namespace_id, name, task_type)
);

-- The matching backlog.
CREATE TABLE tasks (
  namespace_id TEXT NOT NULL,
  task_queue_name TEXT NOT NULL,
  task_type INTEGER NOT NULL,
  task_id BIGINT NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.MatchingTask
  encoding TEXT NOT NULL,
  PRIMARY KEY (namespace_id, task_queue_name, task_type, task_id)
);
