/**
 * Records core/v1 Events on objects, as `kubectl describe` shows them. A repeat of the
 * same reason and message on the same object within the aggregation window raises the
 * existing Event's count instead of creating another, as client-go's recorder does.
 */
import type { Logger } from '../log.ts';
import type { KubeClient } from './client.ts';
import { ApiError } from './errors.ts';
import { collectionPath, EVENT, objectPath } from './resources.ts';

const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_TRACKED = 4096;
const COMPONENT = 'flywheel';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type EventType = 'Normal' | 'Warning';

interface Tracked {
  name: string;
  count: number;
  lastSeen: number;
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly recent = new Map<string, Tracked>();
  private readonly host: string;

  constructor(client: KubeClient, log: Logger, host: string) {
    this.client = client;
    this.log = log;
    this.host = host;
  }

  /** Records an Event. Failures are logged, never thrown: an Event is not worth a retry. */
  async record(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = target.metadata.namespace ?? 'default';
    const key = `${namespace}/${target.kind}/${target.metadata.name}/${type}/${reason}/${message}`;
    const now = Date.now();
    const tracked = this.recent.get(key);
    try {
      if (tracked && now - tracked.lastSeen < AGGREGATION_WINDOW_MS) {
        tracked.count += 1;
        tracked.lastSeen = now;
        await this.client.request('PATCH', objectPath(EVENT, namespace, tracked.name), {
          body: { count: tracked.count, lastTimestamp: new Date(now).toISOString() },
          contentType: 'application/merge-patch+json',
        });
        return;
      }
      const created = await this.client.request<{ metadata: { name: string } }>('POST', collectionPath(EVENT, namespace), {
        body: this.newEvent(target, namespace, type, reason, message, now),
      });
      this.remember(key, { name: created.metadata.name, count: 1, lastSeen: now });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) this.recent.delete(key);
      this.log.warn('event not recorded', { reason, object: `${namespace}/${target.metadata.name}`, error });
    }
  }

  private newEvent(target: EventTarget, namespace: string, type: EventType, reason: string, message: string, now: number) {
    const timestamp = new Date(now).toISOString();
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${target.metadata.name}.`, namespace },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.metadata.name,
        namespace,
        uid: target.metadata.uid,
        resourceVersion: target.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: COMPONENT, host: this.host },
      reportingComponent: COMPONENT,
      reportingInstance: this.host,
    };
  }

  private remember(key: string, tracked: Tracked): void {
    if (this.recent.size >= MAX_TRACKED) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.set(key, tracked);
  }
}
