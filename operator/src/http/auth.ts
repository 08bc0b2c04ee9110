/**
 * Authentication and authorization of metrics scrapes, as kube-rbac-proxy and
 * controller-runtime's WithAuthenticationAndAuthorization filter do them: the bearer
 * token is checked with a TokenReview, then the user it belongs to with a
 * SubjectAccessReview for the non-resource URL (path /metrics, verb get). Prometheus
 * gets that permission from a ClusterRole rule `nonResourceURLs: ["/metrics"], verbs: ["get"]`.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { METRICS_AUTH_ALLOWED_TTL_MS, METRICS_AUTH_DENIED_TTL_MS } from '../runtime/constants.ts';

export type Decision =
  | { status: 200; user: string }
  | { status: 401; reason: string }
  | { status: 403; user: string; reason: string };

export interface MetricsAuthorizerOptions {
  client: KubeClient;
  log: Logger;
  /** Non-resource URL path and verb of the SubjectAccessReview. */
  path: string;
  verb: string;
  /** Clock of the decision cache, in milliseconds; tests replace it. */
  now?: () => number;
}

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface TokenReview {
  status?: { authenticated?: boolean; user?: UserInfo; error?: string };
}

interface SubjectAccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** Bound of the decision cache; the oldest entries are dropped first. */
const MAX_CACHED = 1024;

export class MetricsAuthorizer {
  private readonly options: MetricsAuthorizerOptions;
  private readonly now: () => number;
  private readonly cache = new Map<string, { decision: Decision; expiresAt: number }>();

  constructor(options: MetricsAuthorizerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * Decides on a request with this Authorization header value. Decisions are cached per
   * token (by its SHA-256, never the token itself), allowed ones for
   * METRICS_AUTH_ALLOWED_TTL_MS and denied ones for METRICS_AUTH_DENIED_TTL_MS. A failed
   * review throws and is not cached.
   */
  async authorize(authorization: string | undefined): Promise<Decision> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) return { status: 401, reason: 'missing bearer token' };

    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.decision;

    const decision = await this.review(token);
    const ttl = decision.status === 200 ? METRICS_AUTH_ALLOWED_TTL_MS : METRICS_AUTH_DENIED_TTL_MS;
    this.cache.delete(key);
    this.cache.set(key, { decision, expiresAt: this.now() + ttl });
    if (this.cache.size > MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return decision;
  }

  /** Returns Express middleware that responds with 401, 403 or 500 itself and passes allowed requests on. */
  middleware(): RequestHandler {
    return (request, response, next) => {
      this.authorize(request.headers.authorization).then(
        (decision) => {
          if (decision.status === 200) {
            next();
            return;
          }
          this.options.log.debug('metrics request rejected', { status: decision.status, reason: decision.reason });
          if (decision.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="flywheel-metrics"');
          const text = decision.status === 401 ? 'Unauthorized' : 'Forbidden';
          response.status(decision.status).type('text/plain').send(`${text}: ${decision.reason}\n`);
        },
        (error: unknown) => {
          this.options.log.error('failed to authorize metrics request', { error });
          response.status(500).type('text/plain').send('Internal Server Error: failed to check the token with the API server\n');
        },
      );
    };
  }

  private async review(token: string): Promise<Decision> {
    const { client, path, verb } = this.options;
    let tokenReview: TokenReview;
    try {
      tokenReview = await client.request<TokenReview>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
    } catch (error) {
      throw new Error('failed to create a TokenReview for a metrics request; check that the operator may create tokenreviews', { cause: error });
    }
    const user = tokenReview.status?.user;
    if (!tokenReview.status?.authenticated || !user?.username) {
      return { status: 401, reason: tokenReview.status?.error ? 'invalid bearer token' : 'bearer token not authenticated' };
    }

    let access: SubjectAccessReview;
    try {
      access = await client.request<SubjectAccessReview>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
        },
      });
    } catch (error) {
      throw new Error(
        `failed to create a SubjectAccessReview for ${user.username}; check that the operator may create subjectaccessreviews`,
        { cause: error },
      );
    }
    if (access.status?.allowed) return { status: 200, user: user.username };
    const reason = access.status?.reason || `${user.username} may not ${verb} ${path}`;
    return { status: 403, user: user.username, reason };
  }
}
