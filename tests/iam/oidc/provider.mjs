// A real OpenID Connect provider (oidc-provider, certified) for tests/iam/oidc_test.cc.
// Listens on 127.0.0.1 on a free port and prints "READY <port>" on stdout once it serves.
// Issues JWT access tokens with the client_credentials grant:
//   client iotwins-test / test-secret; resource urn:iotwins:es256 or urn:iotwins:rs256 picks
//   the signing algorithm (audience "iotwins"), urn:other gives audience "other".
//   Every token carries groups ["ops", "/plant-a", "bad group!"] (the test maps them).
// POST /test/rotate makes new signing keys (new kids, listed first so they sign) and keeps the
// old ones published, as a provider rotating its keys does; it answers the new kids.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

let generation = 0;
function makeKeys() {
  generation += 1;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return [
    { ...ec, kid: `ec-${generation}`, use: 'sig', alg: 'ES256' },
    { ...rsa, kid: `rsa-${generation}`, use: 'sig', alg: 'RS256' },
  ];
}

function configuration(keys) {
  return {
    clients: [{
      client_id: 'iotwins-test',
      client_secret: 'test-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys },
    scopes: ['api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:iotwins:es256',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const alg = resource === 'urn:iotwins:rs256' ? 'RS256' : 'ES256';
          return {
            scope: 'api',
            audience: resource === 'urn:other' ? 'other' : 'iotwins',
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ groups: ['ops', '/plant-a', 'bad group!'] }),
  };
}

let keys = makeKeys();
let provider;
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/test/rotate') {
    const fresh = makeKeys();
    keys = [...fresh, ...keys];
    provider = new Provider(provider.issuer, configuration(keys));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kids: fresh.map((k) => k.kid) }));
    return;
  }
  provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  provider = new Provider(`http://127.0.0.1:${port}`, configuration(keys));
  process.stdout.write(`READY ${port}\n`);
});

// The test's end of stdout closing means the test is gone: stop with it.
process.stdout.on('error', () => process.exit(0));
