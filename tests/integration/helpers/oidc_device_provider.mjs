// A real OpenID Connect provider for the device authorization grant (RFC 8628) test of `cocoon
// login --device`: node-oidc-provider (panva's, OpenID Certified), from tests/js, over HTTPS with the
// test's own certificate, its device flow and development interactions on (the user signs in as
// any name with any password, and consents, on the provider's own pages).
// Usage: node oidc_device_provider.mjs PORT KEY CERT READY_FILE
import { createServer } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../js/package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const [port, keyFile, certFile, readyFile] = process.argv.slice(2);
const issuer = `https://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'cocoon-cli',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  }],
  features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email', 'offline_access'],
  issueRefreshToken: async () => true,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true }),
  }),
  ttl: { DeviceCode: 120, IdToken: 300, AccessToken: 300 },
});
provider.proxy = false;
const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, provider.callback());
server.listen(Number(port), '127.0.0.1', () => {
  writeFileSync(readyFile, 'ready\n');
  console.log(`oidc-provider with the device flow at ${issuer}`);
});
