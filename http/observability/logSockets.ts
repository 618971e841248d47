import { ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import Koa, { type Middleware } from 'koa';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LogFilter } from '../../runtime/observability/observabilityStore';
import type { ApiDeps } from '../apiDeps';
import { authenticate, callerOf, type Caller } from '../auth';
import { Unauthorized } from '../errors';
import { DomainFailure, ValidationFailure } from '../../domain/failures';
import { guard } from '../guard';
import { readableLogs, type LogSource } from './pipelineObservabilityRouter';
import { idParam } from '../decode';

const LOG_PATH = /^\/api\/(pipelines|connectors)\/([^/]+)\/logs\/?$/;
/** The subprotocol a client names to pass its token as the next one (the contract's `["Authorization", "Bearer <token>"]`). */
const AUTH_PROTOCOL = 'Authorization';
/** Strict clients refuse a space in a subprotocol, so they send it encoded. */
const BEARER_PROTOCOL = /^Bearer(?: |%20)(.+)$/;
const BACKLOG_LINES = 100;

/** The path's id as the GET routes take it: a malformed one is a 422 at `["path", "id"]`, only a well-formed one can be unknown (404). */
const pathId = (id: string): string => idParam({ params: { id } });

export type LogSocketDeps = Pick<ApiDeps, 'views' | 'jwtKey' | 'observability' | 'logger'>;

/** Writes a plain HTTP answer on a socket that asked for an upgrade, then closes it. */
function refuse(socket: Duplex, status: number, detail: unknown): void {
  const body = JSON.stringify({ detail });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Moves a token given as subprotocol or query parameter into the Authorization header, where
 * the HTTP API's authentication reads it, and leaves only the Authorization subprotocol offered:
 * the one the server selects (a "Bearer <token>" entry would not even parse as a subprotocol).
 */
function normaliseToken(req: IncomingMessage, url: URL): void {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  if (offered.includes(AUTH_PROTOCOL)) req.headers['sec-websocket-protocol'] = AUTH_PROTOCOL;
  if (req.headers.authorization !== undefined) return;
  const token =
    offered.map((protocol) => BEARER_PROTOCOL.exec(protocol)?.[1]).find((found) => found !== undefined) ?? url.searchParams.get('token');
  if (token !== null) req.headers.authorization = `Bearer ${token}`;
}

/** A refusal as the HTTP API would answer it; anything unexpected is the server's trouble, not the caller's. */
const refusalOf = (error: unknown): { status: number; detail: unknown } | undefined => {
  if (error instanceof Unauthorized) return { status: 401, detail: 'Unauthorized' };
  if (error instanceof ValidationFailure) return { status: 422, detail: error.issues };
  if (error instanceof DomainFailure && error.error.kind === 'not_found') return { status: 404, detail: error.error.code };
  if (error instanceof DomainFailure && error.error.kind === 'forbidden') return { status: 403, detail: error.error.code };
  return undefined;
};

/**
 * The WebSocket log streams: `/api/pipelines/{id}/logs` and `/api/connectors/{id}/logs` send the
 * recent lines, then new ones as they come, one JSON text frame per line. The caller needs read
 * access to the resource, exactly as for the plain GET.
 */
export function attachLogSockets(server: Server, deps: LogSocketDeps, { pollMs = 500 }: { readonly pollMs?: number } = {}): void {
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(AUTH_PROTOCOL) ? AUTH_PROTOCOL : false),
  });
  const access = guard(deps.views);
  // The API's own authentication middleware, run on the upgrade request: a socket takes exactly
  // the tokens a request takes (signature, audience, expiry, revocation, active user).
  const authentication = authenticate(deps.jwtKey, deps.views);
  const contexts = new Koa();
  const callerOfUpgrade = async (req: IncomingMessage): Promise<Caller> => {
    const ctx = contexts.createContext(req, new ServerResponse(req));
    const chain = authentication.reduceRight<() => Promise<void>>(
      (next, middleware: Middleware) => async () => {
        await middleware(ctx, next);
      },
      async () => undefined,
    );
    await chain();
    return callerOf(ctx);
  };

  const stream = (socket: WebSocket, filter: LogFilter): void => {
    const following = deps.observability.follow(
      filter,
      (lines) => {
        for (const line of lines) socket.send(JSON.stringify(line));
      },
      {
        pollMs,
        backlog: BACKLOG_LINES,
        onError: (error) => deps.logger.warn('log stream: reading lines failed', { error: String(error) }),
      },
    );
    socket.on('close', () => following.stop());
    socket.on('error', (error) => deps.logger.debug('log stream: socket error', { error: String(error) }));
  };

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer, source: LogSource, id: string, url: URL): Promise<void> => {
    let filter: LogFilter;
    try {
      normaliseToken(req, url);
      const caller = await callerOfUpgrade(req);
      filter = await readableLogs(deps.views, access, caller, source, pathId(id));
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined) deps.logger.error('log stream: upgrade failed', { path: url.pathname, error: String(error) });
      const { status, detail } = refusal ?? { status: 503, detail: 'Service Unavailable' };
      return refuse(socket, status, detail);
    }
    sockets.handleUpgrade(req, socket, head, (ws) => stream(ws, filter));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://upgrade.invalid');
    const match = LOG_PATH.exec(url.pathname);
    if (match === null) {
      // Node closes unhandled upgrades only while nobody listens; now that this does, say so for the others.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    // A client gone during authentication must not take the process with it.
    socket.on('error', () => socket.destroy());
    void accept(req, socket, head, match[1] === 'connectors' ? 'connectors' : 'pipelines', match[2] ?? '', url);
  });
}
