// A real OpenID Provider on loopback for the eHerkenning login tests and for trying the flow by
// hand (docs/eherkenning.md). panva's oidc-provider (OpenID Certified) signs real ID tokens with
// the keys it is given; only the broker's login screen is replaced by the library's development
// form, where the "login" is a JSON object of the claims the token should carry, e.g.
//   {"sub": "medewerker-1", "urn:etoegang:core:LegalSubjectID": "90000011",
//    "urn:etoegang:core:LevelOfAssurance": "urn:etoegang:core:assurance-class:loa3"}
// The configuration comes from the JSON file named by OIDC_PROVIDER_CONFIG:
//   {"issuer": "http://127.0.0.1:9000", "port": 9000, "jwks": {"keys": [private JWKs]},
//    "clients": [oidc-provider client metadata], "claims": [claim names to put in ID tokens]}
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.env.OIDC_PROVIDER_CONFIG, 'utf8'));

// The claims typed at each login, by subject: the account id is the subject, as at a real provider.
const accounts = new Map();

function claimsOf(accountId) {
  if (accounts.has(accountId)) return accounts.get(accountId);
  try {
    const claims = JSON.parse(accountId);
    return claims && typeof claims === 'object' ? claims : { sub: accountId };
  } catch {
    return { sub: accountId };
  }
}

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  claims: { openid: ['sub', ...config.claims] },
  // The eHerkenning claims go into the ID token itself, as brokers send them.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [config.cookie_key || 'test-provider-cookie-key-not-secret'] },
  async findAccount(ctx, id) {
    const claims = claimsOf(id);
    return { accountId: id, async claims() { return { ...claims, sub: String(claims.sub || id) }; } };
  },
  // A first-party client: the portal's own broker client needs no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid');
    grant.addOIDCClaims(['sub', ...config.claims]);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

// The development login form, finished here: the account is the typed claims' "sub", and the
// login's amr (e.g. ["pwd", "mfa"]: how the person logged in) comes from the typed claims, as a
// real provider's would (the library's own form records only the account).
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) {
    await next();
    return;
  }
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const claims = claimsOf(form.get('login') || '');
  const accountId = String(claims.sub || form.get('login') || '');
  accounts.set(accountId, claims);
  const { amr } = claims;
  const login = { accountId, ...(Array.isArray(amr) ? { amr } : {}) };
  await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  ctx.respond = false;
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
