'use strict';
// A network in which a test can cut Tern processes off. The processes that stay connected
// (and PostgreSQL) use the hub address, 10.213.N.254 on the loopback device (N from the test's
// pid); each isolated process runs in a network namespace of its own, joined to the test's by a
// veth pair (10.213.N.(4i+1) outside, 10.213.N.(4i+2) inside, where it binds) and routed to the
// hub through it. cut() takes the link down, so every packet between the isolated process and
// the rest is lost (no reset), as in a real network partition; restore() brings it back.
// Needs root (ip netns); destroy() removes the namespaces, the veth pairs and the hub address.
const { execFileSync } = require('node:child_process');

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

class IsolatedHost {
  constructor(net, index) {
    const id = `${process.pid % 100000}x${index}`;
    this.ns = `tern${id}`;
    this.outerLink = `tv${id}`; // at most 15 characters
    this.innerLink = `tn${id}`;
    this.outerAddress = `${net}.${4 * index + 1}`;
    this.address = `${net}.${4 * index + 2}`;
  }

  create(hub) {
    ip('netns', 'add', this.ns);
    this.created = true;
    ip('link', 'add', this.outerLink, 'type', 'veth', 'peer', 'name', this.innerLink);
    ip('link', 'set', this.innerLink, 'netns', this.ns);
    ip('addr', 'add', `${this.outerAddress}/30`, 'dev', this.outerLink);
    ip('link', 'set', this.outerLink, 'up');
    ip('-n', this.ns, 'addr', 'add', `${this.address}/30`, 'dev', this.innerLink);
    ip('-n', this.ns, 'link', 'set', this.innerLink, 'up');
    ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    ip('-n', this.ns, 'route', 'add', `${hub}/32`, 'via', this.outerAddress);
  }

  // [file, args] that run `bin args` inside the namespace (ip execs it: the pid is the program's).
  wrap(bin, args) {
    return ['ip', ['netns', 'exec', this.ns, bin, ...args]];
  }

  cut() {
    ip('link', 'set', this.outerLink, 'down');
  }

  restore() {
    ip('link', 'set', this.outerLink, 'up');
  }

  destroy() {
    if (!this.created) return;
    this.created = false;
    try {
      ip('netns', 'del', this.ns); // takes the veth pair with it
    } catch (err) {
      console.error(`netns: deleting ${this.ns}: ${err.stderr || err.message}`);
    }
  }
}

class IsolatedNetwork {
  // `names`: the processes to isolate.
  constructor(names) {
    const net = `10.213.${process.pid % 256}`;
    this.hub = `${net}.254`;
    this.trustedNet = `${net}.0/24`;
    this.hosts = new Map(names.map((name, i) => [name, new IsolatedHost(net, i)]));
  }

  create() {
    ip('addr', 'add', `${this.hub}/32`, 'dev', 'lo');
    this.hubAdded = true;
    for (const host of this.hosts.values()) host.create(this.hub);
  }

  host(name) {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`${name} is not isolated (startTern's isolate option)`);
    return host;
  }

  destroy() {
    for (const host of this.hosts.values()) host.destroy();
    if (!this.hubAdded) return;
    this.hubAdded = false;
    try {
      ip('addr', 'del', `${this.hub}/32`, 'dev', 'lo');
    } catch (err) {
      console.error(`netns: removing ${this.hub}: ${err.stderr || err.message}`);
    }
  }
}

function canIsolate() {
  return process.getuid?.() === 0;
}

module.exports = { IsolatedNetwork, canIsolate };
