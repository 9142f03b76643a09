package sdkgo_test

// Reading a run's history (the SDK's iterator and raw pages) and replaying it.

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func eventIDs(events []*historypb.HistoryEvent) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.EventId
	}
	return ids
}

func TestHistoryAndReplay(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	run, err := tern.client.ExecuteWorkflow(ctx, startOptions(t, taskQueue), Greet, "replay")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("result: %v", err)
	}

	history := fetchHistory(ctx, t, run.GetID(), run.GetRunID())
	events := history.Events
	ids := eventIDs(events)
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("event ids = %v, want 1..%d", ids, len(ids))
		}
	}
	if first, last := events[0].EventType, events[len(events)-1].EventType; first != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED ||
		last != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
		t.Fatalf("history runs from %s to %s, want WorkflowExecutionStarted to WorkflowExecutionCompleted", first, last)
	}

	// The same events over several pages, following next_page_token. A page may hold more
	// events than asked: pages end on a batch boundary (the reference server counts batches).
	var paged []*historypb.HistoryEvent
	var token []byte
	pages := 0
	for {
		resp, err := tern.client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace:       namespace,
			Execution:       &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
			MaximumPageSize: 3,
			NextPageToken:   token,
		})
		if err != nil {
			t.Fatalf("history page %d: %v", pages+1, err)
		}
		pages++
		paged = append(paged, resp.History.GetEvents()...)
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	if !slices.Equal(eventIDs(paged), ids) || pages < 2 {
		t.Fatalf("paged history: %d pages with events %v, want %v over several pages", pages, eventIDs(paged), ids)
	}

	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(Greet)
	if err := replayer.ReplayWorkflowHistory(quietLogger{}, history); err != nil {
		t.Fatalf("replay with the same definition: %v", err)
	}

	changed := worker.NewWorkflowReplayer()
	changed.RegisterWorkflowWithOptions(greetWithTimer, workflow.RegisterOptions{Name: "Greet"})
	// The SDK logs the nondeterminism as a workflow panic, with a stack: keep that out.
	err = changed.ReplayWorkflowHistory(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), history)
	// TMPRL1100 is the SDK's code for a nondeterministic workflow.
	if err == nil || !strings.Contains(err.Error(), "[TMPRL1100]") {
		t.Fatalf("replay with a changed definition: error = %v, want a nondeterminism error (TMPRL1100)", err)
	}
}

// greetWithTimer is Greet changed incompatibly: a timer where Greet runs an activity.
func greetWithTimer(ctx workflow.Context, name string) (string, error) {
	err := workflow.Sleep(ctx, 1)
	return "Hello, " + name + "!", err
}
