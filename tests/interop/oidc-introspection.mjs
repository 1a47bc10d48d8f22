// A real OAuth 2.0 authorization server (panva/oidc-provider) issuing *opaque* access tokens,
// checked by its token introspection endpoint (RFC 7662), for tollgate's introspection tests.
//
// Listens on 127.0.0.1 (PORT, default 0 = an ephemeral port) and prints one line,
// `LISTENING http://127.0.0.1:PORT`, once it serves. Its issuer is that URL.
//
// Clients:
// - `tollgate-app` / `app-secret`: the client_credentials grant, scopes `read` and `admin`;
// - `tollgate-rs` / `rs-secret` (client_secret_basic) and `tollgate-rs-post` / `rs-secret`
//   (client_secret_post): resource servers that call the introspection endpoint (by default
//   any authenticated client may introspect any token).
//
// Resources (RFC 8707 `resource`), all with opaque access tokens whose `aud` is the resource:
// `https://api.tollgate.test` (600 s tokens), `https://short.tollgate.test` (2 s tokens) and
// `https://other.tollgate.test` (600 s tokens, for "issued for another service").
//
// `GET /__introspections` answers with how many requests the introspection endpoint
// (`/token/introspection`) has had; it exists only in this test server. Revocation is at
// `/token/revocation` (features.revocation).
//
// Needs oidc-provider installed in .interop/node_modules (scripts/interop-setup.sh); the Rust
// test passes the module's path in OIDC_PROVIDER_MODULE.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const { default: Provider } = await import(process.env.OIDC_PROVIDER_MODULE ?? 'oidc-provider');

const TTL = {
  'https://api.tollgate.test': 600,
  'https://short.tollgate.test': 2,
  'https://other.tollgate.test': 600,
};

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}

function build(issuer) {
  const resourceServer = (secret, method) => ({
    client_id: secret,
    client_secret: 'rs-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: method,
  });
  const provider = new Provider(issuer, {
    jwks: { keys: [newKey()] },
    clients: [
      {
        client_id: 'tollgate-app',
        client_secret: 'app-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'read admin',
      },
      resourceServer('tollgate-rs', 'client_secret_basic'),
      resourceServer('tollgate-rs-post', 'client_secret_post'),
    ],
    scopes: ['read', 'admin'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://api.tollgate.test',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (!(indicator in TTL)) {
            throw new Error(`unknown resource ${indicator}`);
          }
          return {
            scope: 'read admin',
            audience: indicator,
            accessTokenTTL: TTL[indicator],
            accessTokenFormat: 'opaque',
          };
        },
      },
    },
  });
  // Plain http on loopback: tell the provider not to insist on TLS behind a proxy.
  provider.proxy = false;
  return provider.callback();
}

let introspections = 0;
const server = createServer();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const handler = build(issuer);
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/__introspections') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ introspections }));
      return;
    }
    if (req.url === '/token/introspection') {
      introspections += 1;
    }
    handler(req, res);
  });
  console.log(`LISTENING ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
