/** Starts and stops the operator's HTTP servers (metrics and probes) on a configured address. */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { BindAddress } from '../config.ts';

/** A certificate and key in PEM, read once at start-up. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface RunningServer {
  /** Base URL of the bound address, with the port the system chose when 0 was asked. */
  url: string;
  /** Stops accepting connections and waits for open requests, at most `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Listens on `address` with `handler`. `setting` names the option that chose the
 * address, for the error message when the address is taken or invalid.
 */
export async function listen(setting: string, address: BindAddress, handler: RequestListener, tls?: TlsFiles): Promise<RunningServer> {
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host || undefined, port: address.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const formatted = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    throw new Error(`failed to listen on ${formatted} (--${setting}); choose a free address, or 0 to switch the server off`, { cause: error });
  }

  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${bound.port}`,
    close: (timeoutMs) => close(server, timeoutMs),
  };
}

function close(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    // Since Node.js 19, close() also ends idle keep-alive connections; busy ones get the timeout.
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
