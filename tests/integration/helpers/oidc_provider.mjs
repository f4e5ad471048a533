// A real OpenID Connect provider for the tests (the npm package oauth2-mock-server, pinned in
// tests/js): discovery and JWKS over HTTPS, with RS256, ES256 and EdDSA signing keys, and ID tokens
// the tests hand cocoond. Writes the tokens into OUT (one file each), then "ready" into OUT/ready, and
// serves until SIGTERM. SIGUSR2 rotates: a new key (kid "rotated") and OUT/rotated.jwt signed by it.
//
// Usage: node oidc_provider.mjs PORT TLS_KEY TLS_CERT OUT
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../js/package.json'));
const { OAuth2Server, OAuth2Issuer } = require('oauth2-mock-server');

const [port, tlsKey, tlsCert, out] = process.argv.slice(2);
const server = new OAuth2Server(tlsKey, tlsCert);
const issuerUrl = `https://127.0.0.1:${port}`;

await server.issuer.keys.generate('RS256', { kid: 'rsa' });
await server.issuer.keys.generate('ES256', { kid: 'ec' });
await server.issuer.keys.generate('EdDSA', { kid: 'ed', crv: 'Ed25519' });
await server.start(Number(port), '127.0.0.1');
server.issuer.url = issuerUrl;

const now = () => Math.floor(Date.now() / 1000);
const alice = (payload) => {
  Object.assign(payload, {
    sub: 'u-1001', aud: 'cocoon', email: 'alice@example.com', email_verified: true,
    groups: ['developers', 'auditors'], hd: 'example.com',
  });
};
const token = (kid, change) => server.issuer.buildToken({
  kid, scopesOrTransform: (header, payload) => { alice(payload); if (change) change(payload, header); },
});
const write = (name, text) => writeFileSync(join(out, name), text);

write('alice-rsa.jwt', await token('rsa'));
write('alice-ec.jwt', await token('ec'));
write('alice-ed.jwt', await token('ed'));
write('expired.jwt', await token('rsa', (p) => { p.iat = now() - 7200; p.exp = now() - 3600; }));
write('not-yet.jwt', await token('rsa', (p) => { p.nbf = now() + 3600; }));
write('other-audience.jwt', await token('rsa', (p) => { p.aud = 'another-cluster'; }));
write('unverified-email.jwt', await token('rsa', (p) => { p.email_verified = false; }));
write('other-domain.jwt', await token('rsa', (p) => { p.hd = 'evil.example'; }));
write('no-groups.jwt', await token('ec', (p) => { delete p.groups; p.email = 'bob@example.com'; }));
// Another key claiming the same issuer and kid: a forgery the JWKS does not vouch for.
const forger = new OAuth2Issuer();
forger.url = issuerUrl;
await forger.keys.generate('RS256', { kid: 'rsa' });
write('forged.jwt', await forger.buildToken({ kid: 'rsa', scopesOrTransform: (h, p) => alice(p) }));
// alg "none": the claims of a valid token, no signature.
const [, body] = (await token('rsa')).split('.');
write('alg-none.jwt', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${body}.`);

process.on('SIGUSR2', async () => {
  await server.issuer.keys.generate('RS256', { kid: 'rotated' });
  write('rotated.jwt', await token('rotated'));
  write('rotated.ready', 'yes\n');
});
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
write('ready', `${issuerUrl}\n`);
