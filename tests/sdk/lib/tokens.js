'use strict';
// Test JWTs for global.authorization: keys made with node:crypto, a JWKS file of the trusted
// ones, and tokens signed in the test.
//   const keys = makeKeys(dir);             // keys.jwksUri: file:// URI of the trusted keys
//   keys.token({ sub: 'alice', permissions: ['default:read'] })          // RS256, valid 1 h
//   keys.token({ ... }, { alg: 'ES256' }) / { signer: 'stranger' } / { expiresIn: -60 }
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const b64url = (data) => Buffer.from(data).toString('base64url');

function makeKeys(dir, { audience = 'tern' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Not in the JWKS, but signs under the trusted RSA key's kid.
  const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk(rsa, 'rsa-1', 'RS256'), jwk(ec, 'ec-1', 'ES256')] }));
  const signers = {
    RS256: { key: rsa.privateKey, kid: 'rsa-1' },
    ES256: { key: ec.privateKey, kid: 'ec-1', dsaEncoding: 'ieee-p1363' },
    stranger: { key: stranger.privateKey, kid: 'rsa-1' },
  };
  return {
    jwksUri: `file://${jwksFile}`,
    token(claims, { alg = 'RS256', signer = alg, expiresIn = 3600, aud = audience } = {}) {
      const { key, kid, dsaEncoding } = signers[signer];
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ alg, typ: 'JWT', kid }));
      const payload = b64url(JSON.stringify({ iat: now, exp: now + expiresIn, aud, ...claims }));
      const signature = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding });
      return `${header}.${payload}.${b64url(signature)}`;
    },
  };
}

module.exports = { makeKeys };
