import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Returns the holderIdentity of this process: the Pod name (POD_NAME, set from the
 * downward API) or the host name, plus a random suffix, so a restarted container never
 * mistakes the Lease of its previous run for its own. client-go builds it the same way.
 */
export function leaderIdentity(env: NodeJS.ProcessEnv): string {
  return `${env.POD_NAME || hostname()}_${randomUUID()}`;
}
