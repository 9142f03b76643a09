package sdkgo_test

// Starting workflows and getting their results: activities (with a retry), timers, children.

import (
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

func TestStartAndResult(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Greet, "Go")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if run.GetRunID() == "" {
		t.Fatal("start returned no run id")
	}
	var greeting string
	if err := run.Get(ctx, &greeting); err != nil {
		t.Fatalf("result: %v", err)
	}
	if greeting != "Hello, Go!" {
		t.Fatalf("result = %q, want %q", greeting, "Hello, Go!")
	}
}

func TestActivityRetry(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), RetryActivity)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var attempt int32
	if err := run.Get(ctx, &attempt); err != nil {
		t.Fatalf("result: %v", err)
	}
	if attempt != 2 {
		t.Fatalf("activity succeeded on attempt %d, want 2 (fail once, then retry)", attempt)
	}
	// The retry happened on the server: one scheduled activity, started on attempt 2.
	var started []int32
	for _, e := range fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events {
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			started = append(started, a.Attempt)
		}
	}
	if len(started) != 1 || started[0] != 2 {
		t.Fatalf("ActivityTaskStarted attempts = %v, want [2]", started)
	}
}

func TestTimer(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	const sleep = time.Second
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Sleeper, sleep)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var slept time.Duration
	if err := run.Get(ctx, &slept); err != nil {
		t.Fatalf("result: %v", err)
	}
	if slept < sleep {
		t.Fatalf("workflow time passed over the timer = %s, want at least %s", slept, sleep)
	}
	var types []enumspb.EventType
	for _, e := range fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events {
		if e.EventType == enumspb.EVENT_TYPE_TIMER_STARTED || e.EventType == enumspb.EVENT_TYPE_TIMER_FIRED {
			types = append(types, e.EventType)
		}
	}
	if !slices.Equal(types, []enumspb.EventType{enumspb.EVENT_TYPE_TIMER_STARTED, enumspb.EVENT_TYPE_TIMER_FIRED}) {
		t.Fatalf("timer events = %v, want [TimerStarted TimerFired]", types)
	}
}

func TestChildWorkflow(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Parent, "child")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var result string
	if err := run.Get(ctx, &result); err != nil {
		t.Fatalf("result: %v", err)
	}
	if want := `child said "Hello, child!"`; result != want {
		t.Fatalf("result = %q, want %q", result, want)
	}
	child, err := tern.client.DescribeWorkflowExecution(ctx, run.GetID()+"-child", "")
	if err != nil {
		t.Fatalf("describe child: %v", err)
	}
	info := child.WorkflowExecutionInfo
	if info.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("child status = %s, want COMPLETED", info.Status)
	}
	if info.ParentExecution.GetWorkflowId() != run.GetID() || info.ParentExecution.GetRunId() != run.GetRunID() {
		t.Errorf("child's parent = %v, want %s/%s", info.ParentExecution, run.GetID(), run.GetRunID())
	}
}
