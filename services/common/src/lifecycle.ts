import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.ts';

export interface ShutdownOptions {
  /** Time between readiness turning 503 and the listener closing, in milliseconds. */
  delayMs: number;
  /** Time in-flight requests get after the listener closes, in milliseconds. */
  timeoutMs: number;
}

/**
 * Readiness and graceful shutdown of one HTTP server.
 *
 * Shutdown runs in three steps. Readiness turns 503 while the listener still accepts
 * connections for `delayMs`, so the pod leaves the Service endpoints before it stops
 * serving. Then the listener closes, and in-flight requests get `timeoutMs` to finish.
 * Connections still open after that are destroyed.
 */
export class ServerLifecycle {
  readonly #server: Server;
  readonly #logger: Logger;
  readonly #options: ShutdownOptions;
  /** Open connections that have not sent a request yet. */
  readonly #unusedConnections = new Set<Socket>();
  #shuttingDown = false;
  #listenerClosed = false;
  #inFlight = 0;
  #shutdown: Promise<void> | undefined;

  constructor(server: Server, logger: Logger, options: ShutdownOptions) {
    this.#server = server;
    this.#logger = logger;
    this.#options = options;

    server.on('connection', (socket) => {
      this.#unusedConnections.add(socket);
      socket.once('close', () => this.#unusedConnections.delete(socket));
    });
    // Prepended so that the Connection header is set before Express can answer synchronously.
    server.prependListener('request', (request, response) => this.#trackRequest(request, response));
  }

  get ready(): boolean {
    return !this.#shuttingDown;
  }

  /** Shuts the server down as described on the class. Later calls return the same promise. */
  close(): Promise<void> {
    this.#shutdown ??= this.#runShutdown();
    return this.#shutdown;
  }

  #trackRequest(request: IncomingMessage, response: ServerResponse): void {
    this.#unusedConnections.delete(request.socket);
    this.#inFlight += 1;
    if (this.#shuttingDown) {
      // Clients should open their next connection to a pod that is not stopping.
      response.setHeader('Connection', 'close');
    }

    response.once('close', () => {
      this.#inFlight -= 1;
      if (this.#listenerClosed) {
        // server.close() only closes the connections that are idle when it is called. A
        // keep-alive connection that finishes its request later would otherwise stay open
        // until keepAliveTimeout and delay the server's 'close' event.
        setImmediate(() => this.#server.closeIdleConnections());
      }
    });
  }

  // Node 22's closeIdleConnections() skips connections that have not sent a request yet.
  // Some clients open those ahead of time (undici did so after an aborted request), and
  // they would hold up shutdown until the client or the deadline closes them.
  #destroyUnusedConnections(): void {
    for (const socket of this.#unusedConnections) {
      socket.destroy();
    }
  }

  async #runShutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#logger.info('shutdown started', { ...this.#options, inFlight: this.#inFlight });
    if (this.#options.delayMs > 0) {
      await sleep(this.#options.delayMs);
    }

    const closed = new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
    });
    this.#listenerClosed = true;
    this.#destroyUnusedConnections();
    this.#logger.info('listener closed', { inFlight: this.#inFlight });

    const deadline = setTimeout(() => {
      this.#logger.warn('shutdown timeout exceeded, closing open connections', {
        timeoutMs: this.#options.timeoutMs,
        inFlight: this.#inFlight,
      });
      this.#server.closeAllConnections();
    }, this.#options.timeoutMs);

    await closed;
    clearTimeout(deadline);
    this.#logger.info('server stopped');
  }
}
