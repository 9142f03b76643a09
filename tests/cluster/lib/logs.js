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

module.exports = { currentLog, logLength, ownedShards };
