/**
 * Reads and writes one coordination.k8s.io/v1 Lease. Every update carries the
 * resourceVersion that was read, so the API server rejects it with 409 Conflict when
 * another candidate wrote in between: that optimistic concurrency is what makes at most
 * one candidate win each round.
 */
import type { KubeClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import { collectionPath, LEASE, objectPath } from '../kube/resources.ts';

/** The spec of a Lease (coordination.k8s.io/v1 LeaseSpec). */
export interface LeaseSpec {
  /** Identity of the current holder; absent after the holder released the Lease. */
  holderIdentity?: string;
  /** Term the holder claims, in whole seconds. Candidates here use their own configured value. */
  leaseDurationSeconds?: number;
  /** MicroTime at which the current holder acquired the Lease. */
  acquireTime?: string;
  /** MicroTime of the holder's last renewal. */
  renewTime?: string;
  /** Number of times the Lease changed holder. */
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

const LABELS = { 'app.kubernetes.io/name': 'flywheel', 'app.kubernetes.io/component': 'leader-election' };

export class LeaseLock {
  readonly namespace: string;
  readonly name: string;
  private readonly client: KubeClient;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  /** "namespace/name", for logs and messages. */
  get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** Returns the Lease, or undefined when it does not exist. */
  async get(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>('GET', objectPath(LEASE, this.namespace, this.name), { signal });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Creates the Lease; fails with 409 Conflict when another candidate created it first. */
  create(spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    return this.client.request<Lease>('POST', collectionPath(LEASE, this.namespace), {
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace, labels: LABELS }, spec },
      signal,
    });
  }

  /**
   * Replaces the spec of `current`, on the condition that the Lease still has the
   * resourceVersion of `current`; fails with 409 Conflict otherwise.
   */
  update(current: Lease, spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    return this.client.request<Lease>('PUT', objectPath(LEASE, this.namespace, this.name), {
      body: { ...current, spec },
      signal,
    });
  }
}
