// The peer of the server load benchmark: node-oidc-provider issuing JWT access tokens
// (RFC 9068) on the client_credentials grant, signed with ES256 or RS256 (PEER_ALG).
// Usage: PEER_ALG=ES256 PEER_CLIENT_SECRET=... node server.js  (prints "listening on ADDR")
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const alg = process.env.PEER_ALG || 'ES256';
const secret = process.env.PEER_CLIENT_SECRET || 'peer-bench-secret-0123456789abcdef';
const port = Number(process.env.PEER_PORT || 0);
const audience = 'https://api.bench.example';

function jwk(type, opts, kid, keyAlg) {
  const { privateKey } = generateKeyPairSync(type, opts);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: keyAlg, use: 'sig' };
}
const keys = {
  ES256: jwk('ec', { namedCurve: 'P-256' }, 'es256', 'ES256'),
  RS256: jwk('rsa', { modulusLength: 2048 }, 'rs256', 'RS256'),
};
if (!keys[alg]) throw new Error(`PEER_ALG must be ES256 or RS256, not ${alg}`);

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  const issuer = `http://127.0.0.1:${bound}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'bench',
      client_secret: secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    }],
    // The signing key first, so it is the default for its alg.
    jwks: { keys: [keys[alg], ...Object.values(keys).filter((k) => k.alg !== alg)] },
    scopes: ['read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience,
          accessTokenTTL: 900,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  console.log(`listening on 127.0.0.1:${bound} (alg ${alg})`);
});
