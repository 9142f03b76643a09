// Every RPC the frontend implements, once, with what calling it takes:
//   X(Method, role, kind)
// role: the role (common/permissions.h) the caller needs in the request's namespace, or in the
//       system for calls about no namespace; kNone for the health call every SDK makes first.
// kind: kCall (counts against frontend.rps/namespaceRPS), kLongPoll (takes a
//       frontend.namespaceCount slot in the handler instead), kAudited (a state-changing admin or
//       operator call: written to the audit log with its outcome).
// The gate (gated_services.h) wraps each listed method; an RPC the frontend does not list
// answers UNIMPLEMENTED without reaching a handler. Like Temporal's default authorizer, reads
// need read; unlike it, workers need only the worker role, and namespace changes and deletes
// need admin (docs/operations.md#authorization).
#pragma once

#define TERN_WORKFLOW_SERVICE_METHODS(X)              \
  X(GetSystemInfo, kNone, kCall)                      \
  X(GetClusterInfo, kNone, kCall)                     \
  X(RegisterNamespace, kAdmin, kAudited)              \
  X(DescribeNamespace, kRead, kCall)                  \
  X(ListNamespaces, kRead, kCall)                     \
  X(UpdateNamespace, kAdmin, kAudited)                \
  X(DeprecateNamespace, kAdmin, kAudited)             \
  X(StartWorkflowExecution, kWrite, kCall)            \
  X(SignalWithStartWorkflowExecution, kWrite, kCall)  \
  X(SignalWorkflowExecution, kWrite, kCall)           \
  X(RequestCancelWorkflowExecution, kWrite, kCall)    \
  X(TerminateWorkflowExecution, kWrite, kAudited)     \
  X(ResetWorkflowExecution, kWrite, kAudited)         \
  X(DeleteWorkflowExecution, kAdmin, kAudited)        \
  X(UpdateWorkflowExecution, kWrite, kCall)           \
  X(ExecuteMultiOperation, kWrite, kCall)             \
  X(PollWorkflowExecutionUpdate, kWrite, kLongPoll)   \
  X(QueryWorkflow, kRead, kCall)                      \
  X(DescribeWorkflowExecution, kRead, kCall)          \
  X(GetWorkflowExecutionHistory, kRead, kLongPoll)    \
  X(GetWorkflowExecutionHistoryReverse, kRead, kCall) \
  X(ListWorkflowExecutions, kRead, kCall)             \
  X(ListOpenWorkflowExecutions, kRead, kCall)         \
  X(ListClosedWorkflowExecutions, kRead, kCall)       \
  X(ScanWorkflowExecutions, kRead, kCall)             \
  X(CountWorkflowExecutions, kRead, kCall)            \
  X(GetSearchAttributes, kRead, kCall)                \
  X(DescribeTaskQueue, kRead, kCall)                  \
  X(ListTaskQueuePartitions, kRead, kCall)            \
  X(PollWorkflowTaskQueue, kWorker, kLongPoll)        \
  X(RespondWorkflowTaskCompleted, kWorker, kCall)     \
  X(RespondWorkflowTaskFailed, kWorker, kCall)        \
  X(PollActivityTaskQueue, kWorker, kLongPoll)        \
  X(RecordActivityTaskHeartbeat, kWorker, kCall)      \
  X(RecordActivityTaskHeartbeatById, kWorker, kCall)  \
  X(RespondActivityTaskCompleted, kWorker, kCall)     \
  X(RespondActivityTaskCompletedById, kWorker, kCall) \
  X(RespondActivityTaskFailed, kWorker, kCall)        \
  X(RespondActivityTaskFailedById, kWorker, kCall)    \
  X(RespondActivityTaskCanceled, kWorker, kCall)      \
  X(RespondActivityTaskCanceledById, kWorker, kCall)  \
  X(RespondQueryTaskCompleted, kWorker, kCall)        \
  X(ResetStickyTaskQueue, kWorker, kCall)             \
  X(ShutdownWorker, kWorker, kCall)                   \
  X(CreateSchedule, kWrite, kAudited)                 \
  X(DescribeSchedule, kRead, kCall)                   \
  X(UpdateSchedule, kWrite, kAudited)                 \
  X(PatchSchedule, kWrite, kAudited)                  \
  X(DeleteSchedule, kWrite, kAudited)                 \
  X(ListSchedules, kRead, kCall)                      \
  X(CountSchedules, kRead, kCall)                     \
  X(ListScheduleMatchingTimes, kRead, kCall)          \
  X(StartBatchOperation, kWrite, kAudited)            \
  X(DescribeBatchOperation, kRead, kCall)             \
  X(ListBatchOperations, kRead, kCall)                \
  X(StopBatchOperation, kWrite, kAudited)

#define TERN_OPERATOR_SERVICE_METHODS(X)      \
  X(AddSearchAttributes, kAdmin, kAudited)    \
  X(RemoveSearchAttributes, kAdmin, kAudited) \
  X(ListSearchAttributes, kRead, kCall)       \
  X(DeleteNamespace, kAdmin, kAudited)

// A handler's method for `Method` of the service whose messages are in `Package` (the
// WorkflowHandler and OperatorHandler declare theirs with it; services/frontend/call_reactor.h
// defines Reactor and CallContext).
#define TERN_HANDLER_METHOD(Package, Method)                                 \
  Reactor* Method(CallContext* ctx, const Package::Method##Request* request, \
                  Package::Method##Response* response)
