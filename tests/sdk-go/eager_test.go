package sdkgo_test

// The fast paths the SDK takes by default: an activity on the workflow's own task queue comes
// back with the workflow task's completion (eager activity dispatch), and a start with
// EnableEagerStart hands the first workflow task to the client's own worker (eager workflow
// start). Neither task goes through matching, which the task queue's add rate shows.

import (
	"context"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// addRate is how many tasks a second matching received for the queue lately (DescribeTaskQueue).
func addRate(ctx context.Context, t *testing.T, taskQueue string, kind enumspb.TaskQueueType) float32 {
	t.Helper()
	resp, err := tern.client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: kind,
		ReportStats:   true,
	})
	if err != nil {
		t.Fatalf("DescribeTaskQueue: %v", err)
	}
	return resp.GetStats().GetTasksAddRate()
}

func TestEagerActivityDispatch(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Greet, "eager")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var greeting string
	if err := run.Get(ctx, &greeting); err != nil || greeting != "Hello, eager!" {
		t.Fatalf("result = %q, %v", greeting, err)
	}
	if rate := addRate(ctx, t, taskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY); rate != 0 {
		t.Fatalf("activity tasks added to matching at %v/s, want none (eager dispatch)", rate)
	}
	if rate := addRate(ctx, t, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW); rate == 0 {
		t.Fatalf("no workflow task went through matching: the add rate cannot show anything")
	}
}

func TestEagerWorkflowStart(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	options := startOptions(t, taskQueue)
	options.EnableEagerStart = true
	// One workflow task in all, so nothing but that task could reach the normal queue.
	run, err := tern.client.ExecuteWorkflow(ctx, options, Echo, "early")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	var echoed string
	if err := run.Get(ctx, &echoed); err != nil || echoed != "early" {
		t.Fatalf("result = %q, %v", echoed, err)
	}
	if rate := addRate(ctx, t, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW); rate != 0 {
		t.Fatalf("workflow tasks added to the normal queue at %v/s, want none (eager start)", rate)
	}
	history := fetchHistory(ctx, t, run.GetID(), run.GetRunID())
	if got := history.Events[2].GetEventType(); got != enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
		t.Fatalf("third event = %s, want WorkflowTaskStarted", got)
	}
}
