'use strict';
// Reading what Tern processes logged (JSON lines in tern.logs[name]) to see shards move.
const fs = require('node:fs');

// The part of a process's log written since its last start, or since `from` (a logLength()).
function currentLog(tern, name, from) {
  const bytes = fs.readFileSync(tern.logs[name]);
  if (from !== undefined) return bytes.subarray(from).toString('utf8');
  const text = bytes.toString('utf8');
  return text.slice(text.lastIndexOf('==== harness:'));
}

// The size of a process's log now, in bytes.
function logLength(tern, name) {
  return fs.statSync(tern.logs[name]).size;
}

// shard id -> range id of each shard a history host acquired since its last start (or `from`)
// and has not released or lost since.
function ownedShards(tern, name, from) {
  const shards = new Map();
  const events = /history: (?:shard (\d+) acquired \(range_id (\d+)|released shard (\d+)|shard (\d+) lost ownership)/g;
  for (const [, acquired, range, released, lost] of currentLog(tern, name, from).matchAll(events)) {
    if (acquired) shards.set(Number(acquired), Number(range));
    else shards.delete(Number(released ?? lost));
  }
  return shards;
}

// Whether shard ownership among the history hosts `names` has settled on all `shards` shards:
// each is held by one host, at the highest range id any host acquired it with. (A host whose
// shard a peer took and gave back during start-up churn holds a stale range until its next
// write to that shard finds out and takes it again.)
function shardOwnershipSettled(tern, names, shards) {
  const highest = new Map();
  for (const name of names) {
    for (const [, shard, range] of currentLog(tern, name).matchAll(/history: shard (\d+) acquired \(range_id (\d+)/g)) {
      highest.set(Number(shard), Math.max(highest.get(Number(shard)) ?? 0, Number(range)));
    }
  }
  const holders = new Map();
  for (const name of names) {
    for (const [shard, range] of ownedShards(tern, name)) {
      if (holders.has(shard) || range !== highest.get(shard)) return false;
      holders.set(shard, name);
    }
  }
  return holders.size === shards;
}

module.exports = { currentLog, logLength, ownedShards, shardOwnershipSettled };
