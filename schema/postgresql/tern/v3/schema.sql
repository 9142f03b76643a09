-- Tern persistence schema, version 3: schedules (the Schedule API).
--
-- One row per schedule. The frontend creates, updates and deletes rows and queues patches in
-- them; tern-worker leases the rows whose next_wakeup has come, carries out what is due, and
-- writes the row back under the version it read (the conflict token of the Schedule API).
CREATE TABLE schedules (
  namespace_id TEXT NOT NULL,
  schedule_id TEXT COLLATE "C" NOT NULL,
  data BYTEA NOT NULL,  -- tern.persistence.v1.ScheduleRecord
  encoding TEXT NOT NULL,
  -- Bumped by every write: a write that names an older version loses.
  version BIGINT NOT NULL,
  -- When tern-worker must look at the schedule next; NULL: only when something changes it.
  next_wakeup TIMESTAMPTZ,
  -- The worker working on the schedule, until lease_until (a crashed worker's lease expires).
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  PRIMARY KEY (namespace_id, schedule_id)
);
CREATE INDEX schedules_next_wakeup_idx ON schedules (next_wakeup) WHERE next_wakeup IS NOT NULL;
