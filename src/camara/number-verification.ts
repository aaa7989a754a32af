// CAMARA Number Verification v2.1 from passive network authentication. The
// SP's app opens gnpay's authorization URL on the device (OIDC
// authorization-code shape: /authorize?response_type=code&client_id=<SP id>&
// redirect_uri=…&state=…&scope=…&code_challenge=…&code_challenge_method=S256)
// on the pay listener, which binds that HTTPS connection to the MSISDN the
// network says owns the tunnel, exactly as the pay page does, and redirects
// to the SP's redirect_uri with a one-time code; no user interaction, no SMS.
// The SP exchanges the code (with its PKCE verifier and its API key) at
// POST /oauth2/token for a short-lived access token bound to that MSISDN, and
// calls POST /number-verification/v2/verify or GET …/device-phone-number with it.
// A connection nobody on the Gn saw gets a code too, bound to no number: its
// token is refused with NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../store';
import type { DB } from '../store/db';
import { normalizeOrigin } from '../store/sps';
import type { Clock, Sp } from '../store/types';
import { CamaraError } from './store';

export const NV_BASE = '/number-verification/v2';
export const TOKEN_PATH = '/oauth2/token';
export const AUTHORIZE_PATH = '/authorize';
export const NV_SCOPES = [
  'openid',
  'number-verification:verify',
  'number-verification:device-phone-number:read',
] as const;

const CODE_TTL_MS = 60_000;
export const TOKEN_TTL_SECONDS = 300;

const hash = (s: string) => createHash('sha256').update(s).digest();
const b64url = (b: Buffer) => b.toString('base64url');

export interface AuthorizeRequest {
  responseType: string | null;
  clientId: string | null;
  redirectUri: string | null;
  state: string | null;
  scope: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
}

/** What /authorize answers: a page (the request cannot be trusted with a redirect) or a redirect. */
export type AuthorizeResult =
  { kind: 'error-page'; status: number; message: string } | { kind: 'redirect'; location: string; bound: boolean };

export class NumberVerification {
  private readonly insertGrant;
  private readonly takeGrant;
  private readonly insertToken;
  private readonly byToken;
  private readonly prune;

  constructor(
    db: DB,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.insertGrant = db.prepare(
      'INSERT INTO nv_grants (code_hash, sp_id, msisdn, redirect_uri, scope, code_challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.takeGrant = db.prepare('UPDATE nv_grants SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING *');
    this.insertToken = db.prepare(
      'INSERT INTO nv_tokens (token_hash, sp_id, msisdn, scope, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.byToken = db.prepare('SELECT * FROM nv_tokens WHERE token_hash = ?');
    this.prune = db.prepare('DELETE FROM nv_grants WHERE expires_at < ?');
  }

  /**
   * The authorization request of a device, on a connection bound to `msisdn`
   * (null: unbound). The client and its redirect_uri are checked before any
   * redirect (an unknown client or an unregistered redirect_uri gets a page).
   */
  authorize(q: AuthorizeRequest, msisdn: string | null): AuthorizeResult {
    const sp = q.clientId ? this.store.sps.get(q.clientId) : null;
    if (!sp || sp.revokedAt !== null) return { kind: 'error-page', status: 400, message: 'Unknown client_id.' };
    let redirect: URL;
    try {
      redirect = new URL(q.redirectUri ?? '');
      if (!sp.returnOrigins.includes(normalizeOrigin(redirect.href)) || redirect.hash)
        throw new Error('not registered');
    } catch {
      return { kind: 'error-page', status: 400, message: 'The redirect_uri is not registered for this client.' };
    }
    const back = (params: Record<string, string>) => {
      const u = new URL(redirect.href);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      if (q.state !== null) u.searchParams.set('state', q.state);
      return u.href;
    };
    if (q.responseType !== 'code')
      return { kind: 'redirect', location: back({ error: 'unsupported_response_type' }), bound: false };
    if (!q.codeChallenge || !/^[A-Za-z0-9_-]{43}$/.test(q.codeChallenge) || q.codeChallengeMethod !== 'S256') {
      return {
        kind: 'redirect',
        location: back({
          error: 'invalid_request',
          error_description: 'PKCE with code_challenge_method S256 is required',
        }),
        bound: false,
      };
    }
    const scopes = (q.scope ?? '').split(' ').filter(Boolean);
    if (
      !scopes.some((s) => s.startsWith('number-verification:')) ||
      !scopes.every((s) => (NV_SCOPES as readonly string[]).includes(s))
    ) {
      return { kind: 'redirect', location: back({ error: 'invalid_scope' }), bound: false };
    }
    const code = b64url(randomBytes(32));
    const now = this.clock();
    this.prune.run(now - 3_600_000);
    this.insertGrant.run(
      hash(code),
      sp.id,
      msisdn,
      redirect.href,
      scopes.join(' '),
      q.codeChallenge,
      now,
      now + CODE_TTL_MS,
    );
    return { kind: 'redirect', location: back({ code }), bound: msisdn !== null };
  }

  /** The code exchange: once, in time, by the client it was issued to, with the PKCE verifier. */
  token(
    sp: Sp,
    f: Record<string, string | undefined>,
  ): { access_token: string; token_type: 'Bearer'; expires_in: number; scope: string } {
    const bad = (error: string, description: string) => Object.assign(new Error(description), { oauth: error });
    if (f.grant_type !== 'authorization_code')
      throw bad('unsupported_grant_type', 'grant_type must be authorization_code');
    if (!f.code || !f.code_verifier || !f.redirect_uri)
      throw bad('invalid_request', 'code, code_verifier and redirect_uri are required');
    if (f.client_id !== undefined && f.client_id !== sp.id)
      throw bad('invalid_client', "client_id is not the API key's");
    const g = this.takeGrant.get(this.clock(), hash(f.code)) as
      | {
          sp_id: string;
          msisdn: string | null;
          redirect_uri: string;
          scope: string;
          code_challenge: string;
          expires_at: number;
        }
      | undefined;
    if (!g || g.sp_id !== sp.id || g.expires_at < this.clock() || g.redirect_uri !== f.redirect_uri)
      throw bad('invalid_grant', 'the code is unknown, used, expired or not for this client and redirect_uri');
    if (b64url(hash(f.code_verifier)) !== g.code_challenge)
      throw bad('invalid_grant', 'code_verifier does not match the code_challenge');
    const token = b64url(randomBytes(32));
    this.insertToken.run(hash(token), sp.id, g.msisdn, g.scope, this.clock() + TOKEN_TTL_SECONDS * 1000);
    return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS, scope: g.scope };
  }

  /** The token of a Number Verification call: its MSISDN (null: not network-authenticated) and scopes. */
  access(token: string | null): { spId: string; msisdn: string | null; scopes: string[] } {
    const row = token
      ? (this.byToken.get(hash(token)) as
          { sp_id: string; msisdn: string | null; scope: string; expires_at: number } | undefined)
      : undefined;
    if (!row || row.expires_at < this.clock())
      throw new CamaraError(
        401,
        'UNAUTHENTICATED',
        'Request not authenticated due to missing, invalid, or expired credentials. A new authentication is required.',
      );
    return { spId: row.sp_id, msisdn: row.msisdn, scopes: row.scope.split(' ') };
  }
}

function bearer(req: FastifyRequest): string | null {
  const m = /^Bearer[ ]+([\x21-\x7e]{1,200})$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1] ?? null;
}

/** POST /oauth2/token (SP API key) and the Number Verification routes (access token) on the SP API. */
export function registerNumberVerificationRoutes(root: FastifyInstance, store: Store): void {
  // in a context of its own: the form parser of the token endpoint applies to these routes only
  void root.register(async (app) => routes(app, store));
}

function routes(app: FastifyInstance, store: Store): void {
  const nv = store.numberVerification;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.route({
    method: 'POST',
    url: TOKEN_PATH,
    config: { auth: true, operationId: 'oauth.token' },
    schema: { body: { type: 'object', additionalProperties: { type: 'string' } } },
    handler: (req, reply) => {
      try {
        return nv.token(req.sp!, req.body as Record<string, string>);
      } catch (err) {
        const e = err as Error & { oauth?: string };
        if (!e.oauth) throw err;
        reply.code(400);
        return { error: e.oauth, error_description: e.message };
      }
    },
  });
  const authed = (req: FastifyRequest, scope: string) => {
    const a = nv.access(bearer(req));
    if (!a.scopes.includes(scope))
      throw new CamaraError(403, 'PERMISSION_DENIED', `the access token lacks the scope ${scope}`);
    if (a.msisdn === null) {
      throw new CamaraError(
        403,
        'NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK',
        'Client must authenticate via the mobile network to use this service',
      );
    }
    return a.msisdn;
  };
  app.route({
    method: 'POST',
    url: `${NV_BASE}/verify`,
    config: { auth: false, operationId: 'camara.phoneNumberVerify' },
    schema: {
      body: {
        type: 'object',
        minProperties: 1,
        maxProperties: 1,
        additionalProperties: false,
        properties: {
          phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' },
          hashedPhoneNumber: { type: 'string', pattern: '^[a-fA-F0-9]{64}$' },
        },
      },
    },
    handler: (req) => {
      const msisdn = authed(req, 'number-verification:verify');
      const b = req.body as { phoneNumber?: string; hashedPhoneNumber?: string };
      const verified =
        b.phoneNumber !== undefined
          ? b.phoneNumber === `+${msisdn}`
          : [`+${msisdn}`, msisdn].some(
              (s) => createHash('sha256').update(s).digest('hex') === b.hashedPhoneNumber!.toLowerCase(),
            );
      return { devicePhoneNumberVerified: verified };
    },
  });
  app.route({
    method: 'GET',
    url: `${NV_BASE}/device-phone-number`,
    config: { auth: false, operationId: 'camara.phoneNumberShare' },
    handler: (req) => ({ devicePhoneNumber: `+${authed(req, 'number-verification:device-phone-number:read')}` }),
  });
}
