'use strict';
// A pass-through gRPC proxy between the SDK worker and tern-server that counts the history bytes
// the server sends in workflow tasks. Run as its own process (forked by bench.js with
// --history-bytes) so that its CPU is measured apart. Messages are forwarded as raw bytes; only
// PollWorkflowTaskQueue and GetWorkflowExecutionHistory are looked into, by walking the protobuf
// wire format for the fields that matter (field numbers from the protos of @temporalio/proto).
//
// IPC protocol:
//   child -> parent  {type: 'ready', port} once listening, {type: 'failed', error}
//   parent -> child  {type: 'stats', id} -> child replies {type: 'stats', id, stats}
// The child exits when the IPC channel closes or on SIGTERM (nothing to flush).
//
// Env: BENCH_UPSTREAM (tern-server's frontend host:port).

const grpc = require('@grpc/grpc-js');
const root = require('@temporalio/proto/protos/root');

const WS = 'temporal.api.workflowservice.v1';
const field = (type, name) => root.lookupType(type).fields[name].id;
const F = {
  pollTaskQueue: field(`${WS}.PollWorkflowTaskQueueRequest`, 'taskQueue'),
  taskQueueKind: field('temporal.api.taskqueue.v1.TaskQueue', 'kind'),
  pollTaskToken: field(`${WS}.PollWorkflowTaskQueueResponse`, 'taskToken'),
  pollHistory: field(`${WS}.PollWorkflowTaskQueueResponse`, 'history'),
  historyEvents: field('temporal.api.history.v1.History', 'events'),
  getHistoryHistory: field(`${WS}.GetWorkflowExecutionHistoryResponse`, 'history'),
};
const KIND_STICKY = root.lookupEnum('temporal.api.enums.v1.TaskQueueKind').values.TASK_QUEUE_KIND_STICKY;

// Top-level fields of a protobuf message: [{id, value}] where value is the Buffer of a
// length-delimited field or the number of a varint; other wire types are skipped.
function wireFields(buf) {
  const out = [];
  let pos = 0;
  const varint = () => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const b = buf[pos++];
      result += (b & 0x7f) * shift; // no bit ops: values may exceed 32 bits
      if (b < 0x80) return result;
      shift *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const id = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        out.push({ id, value: varint() });
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = varint();
        out.push({ id, value: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${tag % 8}`);
    }
  }
  return out;
}

const first = (fields, id) => fields.find((f) => f.id === id)?.value;
const eventCount = (history) => (history ? wireFields(history).filter((f) => f.id === F.historyEvents).length : 0);

const newBucket = () => ({ tasks: 0, historyBytes: 0, events: 0, responseBytes: 0 });
const stats = {
  calls: {}, // method -> calls forwarded
  workflowTasks: { normal: newBucket(), sticky: newBucket() },
  emptyPolls: 0,
  getHistory: { calls: 0, historyBytes: 0, events: 0 },
  decodeErrors: 0,
};

function count(method, request, response) {
  stats.calls[method] = (stats.calls[method] || 0) + 1;
  if (method === 'PollWorkflowTaskQueue') {
    const fields = wireFields(response);
    if (!first(fields, F.pollTaskToken)?.length) {
      stats.emptyPolls += 1;
      return;
    }
    const taskQueue = first(wireFields(request), F.pollTaskQueue);
    const kind = taskQueue ? first(wireFields(taskQueue), F.taskQueueKind) : undefined;
    const bucket = stats.workflowTasks[kind === KIND_STICKY ? 'sticky' : 'normal'];
    const history = first(fields, F.pollHistory);
    bucket.tasks += 1;
    bucket.historyBytes += history?.length ?? 0;
    bucket.events += eventCount(history);
    bucket.responseBytes += response.length;
  } else if (method === 'GetWorkflowExecutionHistory') {
    const history = first(wireFields(response), F.getHistoryHistory);
    stats.getHistory.calls += 1;
    stats.getHistory.historyBytes += history?.length ?? 0;
    stats.getHistory.events += eventCount(history);
  }
}

// Headers that belong to one HTTP/2 hop; the upstream call sets its own.
const HOP_HEADERS = ['user-agent', 'content-type', 'te', 'host', 'accept-encoding',
  'grpc-accept-encoding', 'grpc-encoding', 'grpc-timeout'];
const UNLIMITED = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
const raw = (buf) => buf;

function main() {
  const upstreamAddress = process.env.BENCH_UPSTREAM;
  if (!upstreamAddress) throw new Error('history-proxy: BENCH_UPSTREAM is not set');
  const upstream = new grpc.Client(upstreamAddress, grpc.credentials.createInsecure(), UNLIMITED);
  const server = new grpc.Server(UNLIMITED);
  const services = [
    `${WS}.WorkflowService`,
    'temporal.api.operatorservice.v1.OperatorService',
    'grpc.health.v1.Health',
  ];
  for (const name of services) {
    for (const method of Object.values(root.lookupService(name).methods)) {
      if (method.requestStream || method.responseStream) continue; // all Temporal RPCs are unary
      const path = `/${name}/${method.name}`;
      server.register(
        path,
        (call, callback) => {
          const metadata = call.metadata.clone();
          for (const h of HOP_HEADERS) metadata.remove(h);
          const forwarded = upstream.makeUnaryRequest(
            path, raw, raw, call.request, metadata, { deadline: call.getDeadline() },
            (err, response) => {
              if (err) return callback(err);
              try {
                count(method.name, call.request, response);
              } catch {
                stats.decodeErrors += 1;
              }
              return callback(null, response);
            },
          );
          call.on('cancelled', () => forwarded.cancel());
        },
        raw,
        raw,
        'unary',
      );
    }
  }
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.send({ type: 'ready', port });
  });
  process.on('message', (msg) => {
    if (msg?.type === 'stats') process.send({ type: 'stats', id: msg.id, stats });
  });
  process.on('disconnect', () => process.exit(0)); // the bench went away
}

try {
  main();
} catch (err) {
  console.error(`history-proxy: ${err.stack || err}`);
  if (process.connected) process.send({ type: 'failed', error: String(err.message || err) });
  process.exit(1);
}
