'use strict';
// Frontend rate limits (dynamic config frontend.namespaceRPS, frontend.namespaceCount): a burst
// above a namespace's rate gets RESOURCE_EXHAUSTED with a ResourceExhaustedFailure (RPS_LIMIT)
// while another namespace is unaffected, the SDKs retry it so every workflow still completes,
// and parked long polls are capped per namespace apart from the rate.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { Client, Connection } = require('@temporalio/client');

const {
  decodeFields, dumpLogsOnFailure, grpcStatusDetails, startTern, startWorker, uniqueName,
} = require('./lib/harness');
const { scrape, total } = require('./lib/metrics');

const RESOURCE_EXHAUSTED = 8;
const RPS_LIMIT = 1;
const CONCURRENT_LIMIT = 2;
const SCOPE_NAMESPACE = 1;

// {cause, scope} of a RESOURCE_EXHAUSTED error's ResourceExhaustedFailure, or undefined.
function exhaustedDetail(err) {
  const detail = grpcStatusDetails(err).find((d) => d.typeName === 'temporal.api.errordetails.v1.ResourceExhaustedFailure');
  if (!detail) return undefined;
  const fields = decodeFields(detail.value);
  return { cause: fields.find((f) => f.field === 1)?.value, scope: fields.find((f) => f.field === 2)?.value };
}

describe('rate limits', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  const limited = uniqueName('limited');
  const polls = uniqueName('polls');
  let tern;
  let raw; // a connection without the SDK's retries, to see each refusal
  before(async () => {
    tern = await startTern({
      metrics: true,
      dynamicConfig: {
        'frontend.namespaceRPS': `[{value: 20, constraints: {namespace: "${limited}"}}]`,
        'frontend.namespaceBurstRatio': `[{value: 1.0, constraints: {namespace: "${limited}"}}]`,
        'frontend.namespaceCount': `[{value: 2, constraints: {namespace: "${polls}"}}]`,
      },
    });
    raw = await Connection.connect({ address: tern.address, interceptors: [] });
    for (const namespace of [limited, polls]) {
      await raw.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86400 } });
    }
  });
  after(async () => {
    await raw?.close();
    await tern?.stop();
  });

  it('refuses a burst above the namespace rate with RPS_LIMIT and leaves other namespaces alone', async () => {
    const burst = (namespace) => Promise.all(Array.from({ length: 60 },
      () => raw.workflowService.describeNamespace({ namespace }).then(() => null, (err) => err)));
    const results = await burst(limited);
    const refused = results.filter(Boolean);
    // 20 tokens at the start, plus what refills while the burst is sent.
    assert.ok(refused.length >= 30, `only ${refused.length} of 60 refused`);
    for (const err of refused) {
      assert.equal(err.code, RESOURCE_EXHAUSTED, String(err));
      assert.match(err.details, new RegExp(`namespace "${limited}" may make 20 requests per second of this frontend \\(frontend.namespaceRPS\\)`));
      assert.deepEqual(exhaustedDetail(err), { cause: RPS_LIMIT, scope: SCOPE_NAMESPACE });
    }
    assert.deepEqual((await burst('default')).filter(Boolean), []);
  });

  it('still completes every workflow through the SDK retries', async () => {
    const taskQueue = uniqueName('limited-q');
    const worker = await startWorker({ ...tern, namespace: limited }, { taskQueue });
    const connection = await Connection.connect({ address: tern.address });
    const refusals = async () => total(await scrape(tern.metricsUrl), 'service_errors_resource_exhausted',
      { namespace: limited });
    const refusedBefore = await refusals();
    try {
      const client = new Client({ connection, namespace: limited });
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => client.workflow.execute('timerOnly', {
        taskQueue, workflowId: uniqueName(`limited-${i}`), args: [10],
      })));
      assert.equal(results.length, 25);
      assert.equal(worker.failed, undefined);
      // The limit did bite: the SDKs retried refused calls to get there.
      assert.ok(await refusals() > refusedBefore, 'no call of the SDKs was refused');
    } finally {
      await connection.close();
      await worker.stop();
    }
  });

  it('caps parked long polls per namespace with CONCURRENT_LIMIT', async () => {
    const poll = (namespace, ms) => raw.withDeadline(Date.now() + ms, () => raw.workflowService.pollActivityTaskQueue({
      namespace, taskQueue: { name: uniqueName('idle') }, identity: 'rate-limit-test',
    })).then(() => null, (err) => err);
    // Three polls at once: the frontend may take them in any order, but only two park.
    const [results, otherNamespace] = await Promise.all([
      Promise.all([poll(polls, 3000), poll(polls, 3000), poll(polls, 3000)]),
      poll('default', 3000),
    ]);
    const refused = results.filter(Boolean);
    assert.equal(refused.length, 1, refused.map(String).join('\n'));
    const [third] = refused;
    assert.equal(third.code, RESOURCE_EXHAUSTED, String(third));
    assert.match(third.details, /has 2 parked on this frontend, the most it may \(frontend.namespaceCount\)/);
    assert.equal(exhaustedDetail(third).cause, CONCURRENT_LIMIT);
    // Another namespace polled meanwhile.
    assert.equal(otherNamespace, null);
    // The slots come back once the frontend has seen the parked polls end.
    let again;
    const deadline = Date.now() + 10_000;
    do {
      again = await poll(polls, 500);
    } while (again !== null && Date.now() < deadline);
    assert.equal(again, null);
  });
});
