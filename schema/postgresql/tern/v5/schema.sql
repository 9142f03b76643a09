-- Tern persistence schema, version 5: a shard's writes in one statement.
--
-- tern_upsert_visibility writes visibility rows, one per element of its parallel arrays (a
-- column each), keeping a stored row whose state_transition_count is higher. The visibility
-- store calls it for batches of upserts; tern_write_executions calls it for the rows that change
-- with a group of writes.
CREATE OR REPLACE FUNCTION tern_upsert_visibility(
  v_namespace_id TEXT[], v_run_id TEXT[], v_workflow_id TEXT[], v_workflow_type TEXT[],
  v_task_queue TEXT[], v_status INTEGER[], v_start_time TIMESTAMPTZ[],
  v_execution_time TIMESTAMPTZ[], v_close_time TIMESTAMPTZ[], v_execution_duration BIGINT[],
  v_history_length BIGINT[], v_history_size_bytes BIGINT[], v_state_transition_count BIGINT[],
  v_parent_workflow_id TEXT[], v_parent_run_id TEXT[], v_root_workflow_id TEXT[],
  v_root_run_id TEXT[], v_search_attributes JSONB[], v_memo TEXT[], v_memo_encoding TEXT[])
RETURNS VOID LANGUAGE sql AS $$
  INSERT INTO executions_visibility AS v (namespace_id, run_id, workflow_id, workflow_type,
    task_queue, status, start_time, execution_time, close_time, execution_duration,
    history_length, history_size_bytes, state_transition_count, parent_workflow_id,
    parent_run_id, root_workflow_id, root_run_id, search_attributes, memo, memo_encoding)
  SELECT r.namespace_id, r.run_id, r.workflow_id, r.workflow_type, r.task_queue, r.status,
    r.start_time, r.execution_time, r.close_time, r.execution_duration, r.history_length,
    r.history_size_bytes, r.state_transition_count, r.parent_workflow_id, r.parent_run_id,
    r.root_workflow_id, r.root_run_id, r.search_attributes, decode(r.memo, 'hex'),
    r.memo_encoding
  FROM unnest(v_namespace_id, v_run_id, v_workflow_id, v_workflow_type, v_task_queue, v_status,
    v_start_time, v_execution_time, v_close_time, v_execution_duration, v_history_length,
    v_history_size_bytes, v_state_transition_count, v_parent_workflow_id, v_parent_run_id,
    v_root_workflow_id, v_root_run_id, v_search_attributes, v_memo, v_memo_encoding)
    AS r(namespace_id, run_id, workflow_id, workflow_type, task_queue, status, start_time,
      execution_time, close_time, execution_duration, history_length, history_size_bytes,
      state_transition_count, parent_workflow_id, parent_run_id, root_workflow_id, root_run_id,
      search_attributes, memo, memo_encoding)
  ON CONFLICT (namespace_id, run_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id,
    workflow_type = EXCLUDED.workflow_type, task_queue = EXCLUDED.task_queue,
    status = EXCLUDED.status, start_time = EXCLUDED.start_time,
    execution_time = EXCLUDED.execution_time, close_time = EXCLUDED.close_time,
    execution_duration = EXCLUDED.execution_duration, history_length = EXCLUDED.history_length,
    history_size_bytes = EXCLUDED.history_size_bytes,
    state_transition_count = EXCLUDED.state_transition_count,
    parent_workflow_id = EXCLUDED.parent_workflow_id, parent_run_id = EXCLUDED.parent_run_id,
    root_workflow_id = EXCLUDED.root_workflow_id, root_run_id = EXCLUDED.root_run_id,
    search_attributes = EXCLUDED.search_attributes, memo = EXCLUDED.memo,
    memo_encoding = EXCLUDED.memo_encoding
  WHERE v.state_transition_count <= EXCLUDED.state_transition_count
$$;
--
-- tern_write_executions applies a group of workflow writes of one shard (ExecutionStore::Write)
-- in one round trip: the range_id fence, then for each write the conditional insert or update of
-- its executions row, its current_executions change and its history batch, then every transfer
-- and timer task of the group, and the visibility rows that change with them (v_, as in
-- tern_upsert_visibility, when visibility is on this database). Called as a single statement, it is one transaction: any failure
-- raises and nothing is written.
--
-- Failures are raised with Tern's own SQLSTATEs; the message starts with the 1-based index of
-- the write it concerns ("write 2: ...") so that the caller can name the run:
--   TF001  the shard's range_id is not p_range_id (fenced)
--   TC001  the run exists already (insert)
--   TC002  the run is missing or not at the expected version (update)
--   TC003  the workflow id already has a current run (create)
--   TC004  the current run is not the previous run (replace)
--   TC005  the current run is not this run (state update)
--   TC006  the history batch exists already
--
-- A repeated call is harmless: when the first write finds its run already at the version and
-- state it would write, the whole group was committed by an earlier call whose answer was lost
-- (a dropped connection), and the call returns without writing.
--
-- Arrays with a w_ prefix have one element per write, in order; h_ one per history batch (with
-- h_write, the index of its write); t_ per transfer task; m_ per timer task. current_mode:
-- 0 none, 1 create, 2 replace, 3 state update (persistence::CurrentMode).
CREATE OR REPLACE FUNCTION tern_write_executions(
  p_shard_id INTEGER, p_range_id BIGINT, p_encoding TEXT,
  w_namespace_id TEXT[], w_workflow_id TEXT[], w_run_id TEXT[], w_expected_version BIGINT[],
  w_next_event_id BIGINT[], w_state INTEGER[], w_data BYTEA[], w_current_mode INTEGER[],
  w_create_request_id TEXT[], w_status INTEGER[], w_previous_run_id TEXT[],
  h_write INTEGER[], h_first_event_id BIGINT[], h_last_event_id BIGINT[], h_data BYTEA[],
  t_task_id BIGINT[], t_data BYTEA[],
  m_task_id BIGINT[], m_fire_micros BIGINT[], m_data BYTEA[],
  v_namespace_id TEXT[], v_run_id TEXT[], v_workflow_id TEXT[], v_workflow_type TEXT[],
  v_task_queue TEXT[], v_status INTEGER[], v_start_time TIMESTAMPTZ[],
  v_execution_time TIMESTAMPTZ[], v_close_time TIMESTAMPTZ[], v_execution_duration BIGINT[],
  v_history_length BIGINT[], v_history_size_bytes BIGINT[], v_state_transition_count BIGINT[],
  v_parent_workflow_id TEXT[], v_parent_run_id TEXT[], v_root_workflow_id TEXT[],
  v_root_run_id TEXT[], v_search_attributes JSONB[], v_memo TEXT[], v_memo_encoding TEXT[])
RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  owner_range BIGINT;
  n INTEGER;
BEGIN
  -- FOR SHARE holds off a new owner's range bump until this commits.
  SELECT range_id INTO owner_range FROM shards WHERE shard_id = p_shard_id FOR SHARE;
  IF owner_range IS DISTINCT FROM p_range_id THEN
    RAISE EXCEPTION 'shard % is no longer owned at range_id % (%)', p_shard_id, p_range_id,
      COALESCE('now ' || owner_range, 'no shard row') USING ERRCODE = 'TF001';
  END IF;

  FOR i IN 1 .. COALESCE(array_length(w_run_id, 1), 0) LOOP
    IF w_expected_version[i] = 0 THEN
      INSERT INTO executions (shard_id, namespace_id, workflow_id, run_id, db_record_version,
                              next_event_id, state, data, encoding)
      VALUES (p_shard_id, w_namespace_id[i], w_workflow_id[i], w_run_id[i], 1,
              w_next_event_id[i], w_state[i], w_data[i], p_encoding)
      ON CONFLICT DO NOTHING;
    ELSE
      UPDATE executions SET db_record_version = w_expected_version[i] + 1,
                            next_event_id = w_next_event_id[i], state = w_state[i],
                            data = w_data[i], encoding = p_encoding
      WHERE shard_id = p_shard_id AND namespace_id = w_namespace_id[i]
        AND workflow_id = w_workflow_id[i] AND run_id = w_run_id[i]
        AND db_record_version = w_expected_version[i];
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
      IF i = 1 AND EXISTS (
          SELECT 1 FROM executions
          WHERE shard_id = p_shard_id AND namespace_id = w_namespace_id[1]
            AND workflow_id = w_workflow_id[1] AND run_id = w_run_id[1]
            AND db_record_version = w_expected_version[1] + 1 AND data = w_data[1]) THEN
        RETURN;  -- committed by an earlier call
      END IF;
      IF w_expected_version[i] = 0 THEN
        RAISE EXCEPTION 'write %: the run exists already', i USING ERRCODE = 'TC001';
      END IF;
      RAISE EXCEPTION 'write %: the run is missing or not at version %', i,
        w_expected_version[i] USING ERRCODE = 'TC002';
    END IF;

    IF w_current_mode[i] = 1 THEN
      INSERT INTO current_executions (shard_id, namespace_id, workflow_id, run_id,
                                      create_request_id, state, status)
      VALUES (p_shard_id, w_namespace_id[i], w_workflow_id[i], w_run_id[i],
              w_create_request_id[i], w_state[i], w_status[i])
      ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n = 0 THEN
        RAISE EXCEPTION 'write %: the workflow id has a current run', i USING ERRCODE = 'TC003';
      END IF;
    ELSIF w_current_mode[i] = 2 THEN
      UPDATE current_executions SET run_id = w_run_id[i],
                                    create_request_id = w_create_request_id[i],
                                    state = w_state[i], status = w_status[i]
      WHERE shard_id = p_shard_id AND namespace_id = w_namespace_id[i]
        AND workflow_id = w_workflow_id[i] AND run_id = w_previous_run_id[i];
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n = 0 THEN
        RAISE EXCEPTION 'write %: the current run is not the previous run', i
          USING ERRCODE = 'TC004';
      END IF;
    ELSIF w_current_mode[i] = 3 THEN
      UPDATE current_executions SET state = w_state[i], status = w_status[i]
      WHERE shard_id = p_shard_id AND namespace_id = w_namespace_id[i]
        AND workflow_id = w_workflow_id[i] AND run_id = w_run_id[i];
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n = 0 THEN
        RAISE EXCEPTION 'write %: the current run is not this run', i USING ERRCODE = 'TC005';
      END IF;
    END IF;
  END LOOP;

  FOR j IN 1 .. COALESCE(array_length(h_write, 1), 0) LOOP
    INSERT INTO history_node (shard_id, namespace_id, workflow_id, run_id, first_event_id,
                              last_event_id, data, encoding)
    VALUES (p_shard_id, w_namespace_id[h_write[j]], w_workflow_id[h_write[j]],
            w_run_id[h_write[j]], h_first_event_id[j], h_last_event_id[j], h_data[j], p_encoding)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
      RAISE EXCEPTION 'write %: the history has a batch starting at event % already', h_write[j],
        h_first_event_id[j] USING ERRCODE = 'TC006';
    END IF;
  END LOOP;

  INSERT INTO transfer_tasks (shard_id, task_id, data, encoding)
  SELECT p_shard_id, t.task_id, t.data, p_encoding FROM unnest(t_task_id, t_data) AS t(task_id, data);
  INSERT INTO timer_tasks (shard_id, task_id, fire_time, data, encoding)
  SELECT p_shard_id, m.task_id, timestamptz 'epoch' + m.fire_micros * interval '1 microsecond',
         m.data, p_encoding
  FROM unnest(m_task_id, m_fire_micros, m_data) AS m(task_id, fire_micros, data);
  IF COALESCE(array_length(v_run_id, 1), 0) > 0 THEN
    PERFORM tern_upsert_visibility(v_namespace_id, v_run_id, v_workflow_id, v_workflow_type,
      v_task_queue, v_status, v_start_time, v_execution_time, v_close_time, v_execution_duration,
      v_history_length, v_history_size_bytes, v_state_transition_count, v_parent_workflow_id,
      v_parent_run_id, v_root_workflow_id, v_root_run_id, v_search_attributes, v_memo,
      v_memo_encoding);
  END IF;
END;
$$;
