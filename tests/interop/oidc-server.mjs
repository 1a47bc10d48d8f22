// A real OpenID Connect provider (panva/oidc-provider) for tollgate's interop tests.
//
// Listens on 127.0.0.1 (PORT, default 0 = an ephemeral port) and prints one line,
// `LISTENING http://127.0.0.1:PORT`, once it serves. Its issuer is that URL. One client,
// `tollgate-svc` / `tollgate-secret`, may use the client_credentials grant for the resource
// `https://api.tollgate.test`, whose access tokens are RFC 9068 JWTs (`typ: at+jwt`) with the
// scopes `read` and `admin`.
//
// Key rotation on the live server: `POST /__rotate` generates a new signing key and rebuilds the
// provider with the key set [new, old] behind the same listener, so the published JWKS gains
// the new key (first, so it signs from now on) while the issuer URL and port stay the same. It
// answers with the new key's kid. `POST /__publish` adds a key to the published set without
// signing with it (last in the set), answering with its kid. `GET /__jwks_fetches` answers with
// how many requests the JWKS endpoint (`/jwks`) has had. These endpoints exist only in this
// test server.
//
// Needs oidc-provider installed in .interop/node_modules (scripts/interop-setup.sh); run as
// `NODE_PATH=.interop/node_modules node tests/interop/oidc-server.mjs` or with the module
// resolved by a symlink, as the Rust test does.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const { default: Provider } = await import(process.env.OIDC_PROVIDER_MODULE ?? 'oidc-provider');

const RESOURCE = 'https://api.tollgate.test';

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}

function build(issuer, keys) {
  const provider = new Provider(issuer, {
    jwks: { keys },
    clients: [{
      client_id: 'tollgate-svc',
      client_secret: 'tollgate-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'read admin',
    }],
    scopes: ['read', 'admin'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) {
            throw new Error(`unknown resource ${indicator}`);
          }
          return {
            scope: 'read admin',
            audience: RESOURCE,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  // Plain http on loopback: tell the provider not to insist on TLS behind a proxy.
  provider.proxy = false;
  return provider.callback();
}

let keys = [newKey()];
let jwksFetches = 0;
const server = createServer();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  let handler = build(issuer, keys);
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url === '/__rotate') {
      const key = newKey();
      keys = [key, ...keys];
      handler = build(issuer, keys);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kid: key.kid }));
      return;
    }
    if (req.method === 'POST' && req.url === '/__publish') {
      const key = newKey();
      keys = [...keys, key];
      handler = build(issuer, keys);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kid: key.kid }));
      return;
    }
    if (req.method === 'GET' && req.url === '/__jwks_fetches') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ fetches: jwksFetches }));
      return;
    }
    if (req.url === '/jwks' || req.url.startsWith('/jwks?')) {
      jwksFetches += 1;
    }
    handler(req, res);
  });
  console.log(`LISTENING ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
