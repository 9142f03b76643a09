package sdkgo_test

// Helpers shared by the tests: waiting for a condition, a worker per test, unique ids and a
// logger that keeps the SDK's output readable.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// testTimeout bounds every client call a test makes, so a hung call fails the test.
const testTimeout = 60 * time.Second

// errStop ends waitFor at once with its error.
type errStop struct{ error }

// waitFor polls check until it returns nil or the timeout passes; the last error is returned.
func waitFor(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		var stop errStop
		if errors.As(err, &stop) {
			return stop.error
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName is a workflow id or task queue name no other test (or run) uses.
func uniqueName(t *testing.T) string {
	return t.Name() + "-" + uuid.NewString()[:8]
}

// startWorker runs a worker with every workflow and activity of this package on a new task
// queue, until the test ends, and returns the queue.
func startWorker(t *testing.T) string {
	t.Helper()
	taskQueue := uniqueName(t)
	w := worker.New(tern.client, taskQueue, worker.Options{Identity: workerIdentity(taskQueue)})
	registerAll(w)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	t.Cleanup(w.Stop)
	return taskQueue
}

func workerIdentity(taskQueue string) string {
	return "worker@" + taskQueue
}

func startOptions(t *testing.T, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: uniqueName(t), TaskQueue: taskQueue}
}

func describeNamespace(name string) *workflowservice.DescribeNamespaceRequest {
	return &workflowservice.DescribeNamespaceRequest{Namespace: name}
}

// fetchHistory reads a run's whole history through the SDK's iterator.
func fetchHistory(ctx context.Context, t *testing.T, id, runID string) *historypb.History {
	t.Helper()
	iter := tern.client.GetWorkflowHistory(ctx, id, runID, false, 0)
	history := &historypb.History{}
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		history.Events = append(history.Events, event)
	}
	return history
}

// waitForEvent waits until the run's history has an event of the given type.
func waitForEvent(ctx context.Context, t *testing.T, run client.WorkflowRun, eventType enumspb.EventType) {
	t.Helper()
	err := waitFor(testTimeout/2, func() error {
		for _, e := range fetchHistory(ctx, t, run.GetID(), run.GetRunID()).Events {
			if e.EventType == eventType {
				return nil
			}
		}
		return fmt.Errorf("no %s event yet", eventType)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// quietLogger prints the SDK's warnings and errors, except about failures the tests cause on
// purpose (their messages contain expectedFailure) and polls cut short by worker.Stop (the SDK
// sometimes warns "Failed to poll for task" with "worker stopping" at the end of a test).
type quietLogger struct{}

const expectedFailure = "expected failure"

var quietMessages = []string{expectedFailure, "worker stopping"}

func (quietLogger) Debug(string, ...any)               {}
func (quietLogger) Info(string, ...any)                {}
func (l quietLogger) Warn(msg string, keyvals ...any)  { l.print("WARN", msg, keyvals) }
func (l quietLogger) Error(msg string, keyvals ...any) { l.print("ERROR", msg, keyvals) }

func (quietLogger) print(level, msg string, keyvals []any) {
	line := fmt.Sprintf("%s %s %v", level, msg, keyvals)
	for _, quiet := range quietMessages {
		if strings.Contains(line, quiet) {
			return
		}
	}
	fmt.Fprintln(os.Stderr, "sdk:", line)
}
