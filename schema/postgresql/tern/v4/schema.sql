-- Tern persistence schema, version 4: batch operations (StartBatchOperation and friends).
--
-- One row per batch job. The frontend inserts the row (refusing more running jobs per namespace
-- than frontend.MaxConcurrentBatchOperationPerNamespace) and stops it; tern-worker leases the
-- rows whose next_wakeup has come, acts on the next executions at the job's rate, and writes the
-- row back under the version it read.
CREATE TABLE batch_operations (
  namespace_id TEXT NOT NULL,
  job_id TEXT COLLATE "C" NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.BatchOperationRecord
  encoding TEXT NOT NULL,
  -- Bumped by every write: a write that names an older version loses.
  version BIGINT NOT NULL,
  -- temporal.api.enums.v1.BatchOperationState of the record (1 = running), for the per-namespace
  -- limit on running jobs.
  state INTEGER NOT NULL,
  start_time TIMESTAMPTZ NOT NULL,
  -- When tern-worker must look at the job next; NULL once it is finished or stopped.
  next_wakeup TIMESTAMPTZ,
  -- The worker working on the job, until lease_until (a crashed worker's lease expires).
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  PRIMARY KEY (namespace_id, job_id)
);
CREATE INDEX batch_operations_list_idx ON batch_operations (namespace_id, start_time DESC, job_id DESC);
CREATE INDEX batch_operations_next_wakeup_idx ON batch_operations (next_wakeup)
  WHERE next_wakeup IS NOT NULL;
