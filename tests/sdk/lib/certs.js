'use strict';
// Test certificates made with the openssl CLI in a directory: two unrelated CAs and leaf
// certificates signed by them. makeCerts(dir) returns the paths:
//   ca, otherCa                       CA certificates (ca.key / other-ca.key beside them)
//   server, server2                   {cert, key}: localhost / 127.0.0.1, serverAuth+clientAuth,
//                                     signed by ca (server2 is a second pair for rotation)
//   client                            {cert, key}: clientAuth, signed by ca
//   otherClient                       {cert, key}: signed by otherCa
//   otherServer                       {cert, key}: like server, signed by otherCa
//   expiredClient                     {cert, key}: signed by ca, valid only in January 2020
//   wrongName                         {cert, key}: a server certificate for other.example only
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function openssl(dir, args, input) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'], input });
}

function makeCa(dir, name, subject) {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', `${name}.key`, '-out', `${name}.pem`]);
  return path.join(dir, `${name}.pem`);
}

// A leaf certificate `name` signed by CA `ca` with `extensions` (openssl extension lines).
function issue(dir, name, ca, subject, extensions, { start, end } = {}) {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  if (!start) {
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
      '-CAcreateserial', '-days', '30', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  } else {
    // `openssl x509` cannot back-date; `openssl ca` can, with a throwaway CA database.
    const db = path.join(dir, `${name}-db`);
    fs.mkdirSync(db, { recursive: true });
    fs.writeFileSync(path.join(db, 'index.txt'), '');
    fs.writeFileSync(path.join(db, 'serial'), '1000\n');
    fs.writeFileSync(path.join(db, 'ca.cnf'), [
      '[ca]', 'default_ca = test', '[test]', `database = ${db}/index.txt`, `serial = ${db}/serial`,
      `new_certs_dir = ${db}`, 'default_md = sha256', 'policy = any', 'copy_extensions = none',
      '[any]', 'commonName = supplied', ''].join('\n'));
    openssl(dir, ['ca', '-batch', '-config', path.join(db, 'ca.cnf'), '-cert', `${ca}.pem`, '-keyfile', `${ca}.key`,
      '-startdate', start, '-enddate', end, '-extfile', `${name}.ext`, '-in', `${name}.csr`, '-out', `${name}.pem`]);
  }
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
}

function makeCerts(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const serverExt = ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth,clientAuth'];
  const clientExt = ['extendedKeyUsage=clientAuth'];
  return {
    dir,
    ca: makeCa(dir, 'ca', '/CN=Tern test CA'),
    otherCa: makeCa(dir, 'other-ca', '/CN=Unrelated test CA'),
    server: issue(dir, 'server', 'ca', '/CN=tern-server', serverExt),
    server2: issue(dir, 'server2', 'ca', '/CN=tern-server-rotated', serverExt),
    client: issue(dir, 'client', 'ca', '/CN=test-client', clientExt),
    otherClient: issue(dir, 'other-client', 'other-ca', '/CN=stranger', clientExt),
    otherServer: issue(dir, 'other-server', 'other-ca', '/CN=stranger-server', serverExt),
    expiredClient: issue(dir, 'expired-client', 'ca', '/CN=expired-client', clientExt,
      { start: '20200101000000Z', end: '20200131000000Z' }),
    wrongName: issue(dir, 'wrong-name', 'ca', '/CN=other.example',
      ['subjectAltName=DNS:other.example', 'extendedKeyUsage=serverAuth,clientAuth']),
  };
}

module.exports = { makeCerts };
