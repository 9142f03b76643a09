package sdkgo_test

// Ending a run from the client (cancel, terminate) and what DescribeWorkflowExecution shows.

import (
	"errors"
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

func status(t *testing.T, run client.WorkflowRun) enumspb.WorkflowExecutionStatus {
	t.Helper()
	resp, err := tern.client.DescribeWorkflowExecution(testContext(t), run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	return resp.WorkflowExecutionInfo.Status
}

func TestDescribeWorkflowExecution(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Collector, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	resp, err := tern.client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	info := resp.WorkflowExecutionInfo
	if info.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING || info.Type.GetName() != "Collector" ||
		info.TaskQueue != taskQueue || info.Execution.GetRunId() != run.GetRunID() {
		t.Fatalf("describe running run = status %s, type %q, task queue %q, run %q; want RUNNING, Collector, %q, %q",
			info.Status, info.Type.GetName(), info.TaskQueue, info.Execution.GetRunId(), taskQueue, run.GetRunID())
	}
	if err := tern.client.SignalWorkflow(ctx, run.GetID(), "", "item", "done"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	collectorResult(t, run, "done")
	if got := status(t, run); got != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status after completion = %s, want COMPLETED", got)
	}
}

func TestCancel(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Cancellable)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	// Cancel while the workflow waits on its timer.
	waitForEvent(ctx, t, run, enumspb.EVENT_TYPE_TIMER_STARTED)
	if err := tern.client.CancelWorkflow(ctx, run.GetID(), run.GetRunID()); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	err = run.Get(ctx, nil)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("result after cancel: error = %v (%T), want a CanceledError", err, err)
	}
	if got := status(t, run); got != enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
		t.Fatalf("status after cancel = %s, want CANCELED", got)
	}
	// The cleanup activity ran after the cancel request, before the run closed as canceled.
	var order []enumspb.EventType
	for _, e := range fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events {
		switch e.EventType {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
			enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
			order = append(order, e.EventType)
		}
	}
	want := []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
	}
	if !slices.Equal(order, want) {
		t.Fatalf("events = %v, want %v (cleanup activity completed between)", order, want)
	}
}

func TestTerminate(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Collector, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := tern.client.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test says stop"); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	err = run.Get(ctx, nil)
	var terminated *temporal.TerminatedError
	if !errors.As(err, &terminated) {
		t.Fatalf("result after terminate: error = %v (%T), want a TerminatedError", err, err)
	}
	if got := status(t, run); got != enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Fatalf("status after terminate = %s, want TERMINATED", got)
	}
	events := fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events
	last := events[len(events)-1].GetWorkflowExecutionTerminatedEventAttributes()
	if last.GetReason() != "test says stop" {
		t.Fatalf("last event = %v, want WorkflowExecutionTerminated with the reason given", events[len(events)-1])
	}
}
