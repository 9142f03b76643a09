package sdkgo_test

// Service-level calls: the SDK's health check and task queue descriptions.

import (
	"fmt"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func TestCheckHealth(t *testing.T) {
	if _, err := tern.client.CheckHealth(testContext(t), &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
}

func TestGetClusterInfo(t *testing.T) {
	info, err := tern.client.WorkflowService().GetClusterInfo(testContext(t), &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		t.Fatalf("GetClusterInfo: %v", err)
	}
	// scripts/start-dev's cluster: 4 shards, everything in PostgreSQL.
	if info.ClusterName != "active" || info.HistoryShardCount != 4 ||
		info.PersistenceStore != "postgres" || info.VisibilityStore != "postgres" {
		t.Fatalf("cluster info = %v", info)
	}
	if _, ok := info.SupportedClients["temporal-go"]; !ok {
		t.Fatalf("supported clients %v do not name the Go SDK", info.SupportedClients)
	}
}

func TestDescribeTaskQueue(t *testing.T) {
	ctx, taskQueue := testContext(t), startWorker(t)
	identity := workerIdentity(taskQueue)
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		// The worker shows up once its first long poll reaches the server.
		err := waitFor(testTimeout/2, func() error {
			resp, err := tern.client.DescribeTaskQueue(ctx, taskQueue, kind)
			if err != nil {
				return errStop{err}
			}
			var seen []string
			for _, p := range resp.Pollers {
				if p.Identity == identity && p.LastAccessTime != nil {
					return nil
				}
				seen = append(seen, p.Identity)
			}
			return fmt.Errorf("pollers = %q, want %q", seen, identity)
		})
		if err != nil {
			t.Fatalf("%s task queue: %v", kind, err)
		}
	}

	other := uniqueName(t)
	resp, err := tern.client.DescribeTaskQueue(ctx, other, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		t.Fatalf("describe a queue nobody polls: %v", err)
	}
	if len(resp.Pollers) != 0 {
		t.Fatalf("a queue nobody polls has pollers %v", resp.Pollers)
	}
}
