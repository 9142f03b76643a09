package sdkgo_test

// Messages to a running workflow: signals, signal-with-start, queries and updates.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

func collectorResult(t *testing.T, run client.WorkflowRun, want ...string) {
	t.Helper()
	var items []string
	if err := run.Get(testContext(t), &items); err != nil {
		t.Fatalf("result: %v", err)
	}
	if !slices.Equal(items, want) {
		t.Fatalf("result = %q, want %q", items, want)
	}
}

func TestSignal(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Collector, 2)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, item := range []string{"a", "b"} {
		if err := tern.client.SignalWorkflow(ctx, run.GetID(), "", "item", item); err != nil {
			t.Fatalf("signal %q: %v", item, err)
		}
	}
	collectorResult(t, run, "a", "b")
}

func TestSignalWithStart(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	options := startOptions(t, taskQueue)
	first, err := tern.client.SignalWithStartWorkflow(ctx, options.ID, "item", "a", options, Collector, 2)
	if err != nil {
		t.Fatalf("signal-with-start (start): %v", err)
	}
	// The run is open, so the second call only signals it.
	second, err := tern.client.SignalWithStartWorkflow(ctx, options.ID, "item", "b", options, Collector, 2)
	if err != nil {
		t.Fatalf("signal-with-start (signal): %v", err)
	}
	if second.GetRunID() != first.GetRunID() {
		t.Fatalf("second signal-with-start started run %s, want the open run %s", second.GetRunID(), first.GetRunID())
	}
	collectorResult(t, first, "a", "b")
}

func TestQuery(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Collector, 2)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := tern.client.SignalWorkflow(ctx, run.GetID(), "", "item", "a"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	// The query answers from the state after the last workflow task: wait for the signal's.
	err = waitFor(testTimeout/2, func() error {
		value, err := tern.client.QueryWorkflow(ctx, run.GetID(), "", "items")
		if err != nil {
			return errStop{err}
		}
		var items []string
		if err := value.Get(&items); err != nil {
			return errStop{err}
		}
		if !slices.Equal(items, []string{"a"}) {
			return fmt.Errorf("query items = %q, want [a]", items)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("query: %v", err)
	}

	_, err = tern.client.QueryWorkflow(ctx, run.GetID(), "", "no-such-query")
	var failed *serviceerror.QueryFailed
	if !errors.As(err, &failed) || !strings.Contains(err.Error(), "unknown queryType no-such-query") {
		t.Fatalf("unknown query: error = %v (%T), want QueryFailed naming the unknown query type", err, err)
	}

	if err := tern.client.SignalWorkflow(ctx, run.GetID(), "", "item", "b"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	collectorResult(t, run, "a", "b")
}

// update runs the update "add" with `item` on the run and waits for its result.
func update(t *testing.T, run client.WorkflowRun, item string) (int, error) {
	ctx := testContext(t)
	handle, err := tern.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   run.GetID(),
		UpdateName:   "add",
		Args:         []any{item},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return 0, err
	}
	var count int
	err = handle.Get(ctx, &count)
	return count, err
}

func TestUpdate(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Collector, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	// Update the run once it is idle (TestUpdateRacingWorkflowTask covers a busy run).
	waitForEvent(ctx, t, run, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
	idle := fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events

	if _, err := update(t, run, ""); err == nil || !strings.Contains(err.Error(), "empty item") {
		t.Fatalf("update with an empty item: error = %v, want the validator's rejection", err)
	}
	// The rejection rode on a speculative workflow task, which leaves no event behind.
	if events := fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events; len(events) != len(idle) {
		t.Fatalf("after a rejected update the history has %d events, want %d", len(events), len(idle))
	}
	count, err := update(t, run, "x")
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if count != 1 {
		t.Fatalf("update returned %d, want 1 (the rejected update must not count)", count)
	}
	collectorResult(t, run, "x")
}

// An update sent right after the start races with the worker's first workflow task. Each run
// failed about one time in seven with NOT_FOUND "update <id> not found" while the first check
// could be overtaken by a rerun that did not admit the update (services/history/updates.cc).
func TestUpdateRacingWorkflowTask(t *testing.T) {
	taskQueue := startWorker(t)
	for range 20 {
		run, err := tern.client.ExecuteWorkflow(testContext(t), startOptions(t, taskQueue), Collector, 1)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		if _, err := update(t, run, ""); err == nil || !strings.Contains(err.Error(), "empty item") {
			t.Fatalf("update with an empty item: error = %v, want the validator's rejection", err)
		}
		if _, err := update(t, run, "x"); err != nil {
			t.Fatalf("update: %v", err)
		}
		collectorResult(t, run, "x")
	}
}

// Update-with-start (ExecuteMultiOperation): the first call starts the run and updates it; a
// second one with USE_EXISTING updates the same run.
func TestUpdateWithStart(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	options := startOptions(t, taskQueue)
	options.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	var runIDs []string
	for i, item := range []string{"a", "b"} {
		operation := tern.client.NewWithStartWorkflowOperation(options, Collector, 2)
		handle, err := tern.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: operation,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateName:   "add",
				Args:         []any{item},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err != nil {
			t.Fatalf("update-with-start %d: %v", i, err)
		}
		var count int
		if err := handle.Get(ctx, &count); err != nil || count != i+1 {
			t.Fatalf("update-with-start %d returned %d, %v; want %d", i, count, err, i+1)
		}
		run, err := operation.Get(ctx)
		if err != nil {
			t.Fatalf("the started run: %v", err)
		}
		runIDs = append(runIDs, run.GetRunID())
	}
	if runIDs[0] != runIDs[1] {
		t.Fatalf("runs %v: the second call must reuse the running workflow", runIDs)
	}
	var items []string
	if err := tern.client.GetWorkflow(ctx, options.ID, runIDs[0]).Get(ctx, &items); err != nil ||
		strings.Join(items, ",") != "a,b" {
		t.Fatalf("result = %v, %v; want [a b]", items, err)
	}
}
