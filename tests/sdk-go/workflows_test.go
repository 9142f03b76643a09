package sdkgo_test

// The workflows and activities the tests run, registered on every test's worker.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func registerAll(w worker.Registry) {
	for _, wf := range []any{Greet, Echo, RetryActivity, Sleeper, Collector, Parent, Cancellable} {
		w.RegisterWorkflow(wf)
	}
	for _, act := range []any{Hello, FailOnce, Cleanup} {
		w.RegisterActivity(act)
	}
}

func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 3},
	})
}

// Greet returns a greeting made by an activity.
func Greet(ctx workflow.Context, name string) (string, error) {
	var greeting string
	err := workflow.ExecuteActivity(activityOptions(ctx), Hello, name).Get(ctx, &greeting)
	return greeting, err
}

// Echo returns its input: a run of one workflow task.
func Echo(_ workflow.Context, text string) (string, error) {
	return text, nil
}

func Hello(_ context.Context, name string) (string, error) {
	return "Hello, " + name + "!", nil
}

// RetryActivity returns the attempt on which FailOnce succeeded.
func RetryActivity(ctx workflow.Context) (int32, error) {
	var attempt int32
	err := workflow.ExecuteActivity(activityOptions(ctx), FailOnce).Get(ctx, &attempt)
	return attempt, err
}

// FailOnce fails its first attempt and returns the number of the attempt that succeeds.
func FailOnce(ctx context.Context) (int32, error) {
	attempt := activity.GetInfo(ctx).Attempt
	if attempt == 1 {
		return 0, errors.New(expectedFailure + ": first attempt")
	}
	return attempt, nil
}

// Sleeper sleeps on a durable timer and returns how much workflow time passed.
func Sleeper(ctx workflow.Context, d time.Duration) (time.Duration, error) {
	start := workflow.Now(ctx)
	if err := workflow.Sleep(ctx, d); err != nil {
		return 0, err
	}
	return workflow.Now(ctx).Sub(start), nil
}

// Collector gathers items from the signal "item" and the update "add" until it has `want`,
// then returns them. The query "items" shows what it has so far; the update's validator rejects
// an empty item.
func Collector(ctx workflow.Context, want int) ([]string, error) {
	var items []string
	if err := workflow.SetQueryHandler(ctx, "items", func() ([]string, error) {
		return items, nil
	}); err != nil {
		return nil, err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, "add",
		func(_ workflow.Context, item string) (int, error) {
			items = append(items, item)
			return len(items), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, item string) error {
			if item == "" {
				return errors.New("empty item")
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	signals := workflow.GetSignalChannel(ctx, "item")
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var item string
			signals.Receive(ctx, &item)
			items = append(items, item)
		}
	})
	if err := workflow.Await(ctx, func() bool { return len(items) >= want }); err != nil {
		return nil, err
	}
	return items, nil
}

// Parent runs Greet as a child workflow with the id "<parent id>-child".
func Parent(ctx workflow.Context, name string) (string, error) {
	childCtx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID + "-child",
	})
	var greeting string
	if err := workflow.ExecuteChildWorkflow(childCtx, Greet, name).Get(ctx, &greeting); err != nil {
		return "", err
	}
	return fmt.Sprintf("child said %q", greeting), nil
}

// Cancellable waits on a long timer; when canceled it runs Cleanup in a disconnected context
// and then reports the cancellation.
func Cancellable(ctx workflow.Context) error {
	err := workflow.Sleep(ctx, time.Hour)
	if !temporal.IsCanceledError(err) {
		return fmt.Errorf("timer ended without cancellation: %w", err)
	}
	cleanupCtx, _ := workflow.NewDisconnectedContext(ctx)
	if cleanupErr := workflow.ExecuteActivity(activityOptions(cleanupCtx), Cleanup).Get(cleanupCtx, nil); cleanupErr != nil {
		return cleanupErr
	}
	return err
}

func Cleanup(context.Context) (string, error) {
	return "cleaned up", nil
}
