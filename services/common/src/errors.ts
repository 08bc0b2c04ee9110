import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from './logger.ts';
import { describeError } from './logger.ts';

/** Responds with a JSON 404 to requests that matched no route. */
export const notFound: RequestHandler = (request, response) => {
  response.status(404).json({ error: 'route not found', method: request.method, path: request.path });
};

function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) {
    return undefined;
  }
  const status = error.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return status;
  }
  return undefined;
}

/**
 * Creates the last error handler. Client errors raised by middleware, such as malformed
 * JSON from express.json(), keep their 4xx status. Anything else is logged and gets a
 * 500 response that does not reveal the error.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }

    const status = clientErrorStatus(error);
    if (status !== undefined) {
      response.status(status).json({ error: 'invalid request', detail: describeError(error).error });
      return;
    }

    logger.error('request failed', { method: request.method, path: request.path, ...describeError(error) });
    response.status(500).json({ error: 'internal server error' });
  };
}
