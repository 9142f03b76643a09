'use strict';
// How the bench's client and its worker process reach the frontend. `c` is the `connection` of
// the parsed options ({tls, ca, cert, key, serverName, apiKey}, every field optional); the worker
// receives it as JSON in BENCH_CONNECTION and reads the files itself.

const fs = require('node:fs');

// Options for the SDK's Connection.connect and NativeConnection.connect (they take the same).
function sdkConnectionOptions(address, c = {}) {
  const tls = c.tls && {
    ...(c.ca ? { serverRootCACertificate: fs.readFileSync(c.ca) } : {}),
    ...(c.cert ? { clientCertPair: { crt: fs.readFileSync(c.cert), key: fs.readFileSync(c.key) } } : {}),
    ...(c.serverName ? { serverNameOverride: c.serverName } : {}),
  };
  return { address, ...(tls ? { tls } : {}), ...(c.apiKey ? { apiKey: c.apiKey } : {}) };
}

// The same as flags of the tern CLI, for the commands the bench suggests. The API key is not
// repeated: the command is printed.
function cliFlags(c = {}) {
  const flag = (name, value) => (value ? [name, value] : []);
  return [
    ...(c.tls ? ['--tls'] : []),
    ...flag('--tls-ca-path', c.ca),
    ...flag('--tls-cert-path', c.cert),
    ...flag('--tls-key-path', c.key),
    ...flag('--tls-server-name', c.serverName),
    ...(c.apiKey ? ['--api-key', '$API_KEY'] : []),
  ];
}

// What the output says about the connection; never the key itself.
function describeConnection(c = {}) {
  if (!c.tls) return 'plaintext';
  const parts = [c.cert ? 'mTLS' : 'TLS', c.ca ? `CA ${c.ca}` : 'system CA roots'];
  if (c.serverName) parts.push(`server name ${c.serverName}`);
  if (c.apiKey) parts.push('API key');
  return parts.join(', ');
}

module.exports = { cliFlags, describeConnection, sdkConnectionOptions };
