import { connect } from 'node:net';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from '@dvc/config';
import {
  DEFAULT_HTTP_LIMITS,
  closeServer,
  createHttpServer,
  createRateLimiter,
  httpLimits,
  httpSpec,
  listen,
  LINGER,
  readBody,
  sendJson,
  sendText,
  type HttpLimits,
  type HttpRefusal,
} from './http.js';

describe('createRateLimiter (token bucket per client address)', () => {
  it('lets a burst through, refuses the next request with the wait, and refills at the sustained rate', () => {
    let t = 0;
    const limiter = createRateLimiter(2, 3, () => t);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    t = 499;
    expect(limiter.take('a').allowed).toBe(false);
    t = 500; // one token back at 2 per second
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps one bucket per address', () => {
    const limiter = createRateLimiter(1, 1, () => 0);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const limiter = createRateLimiter(0.1, 1, () => 0);
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('never tracks more than maxClients addresses, forgetting full buckets first', () => {
    let t = 0;
    const limiter = createRateLimiter(1, 2, () => t, 100);
    for (let i = 0; i < 1000; i++) limiter.take(`10.0.${Math.floor(i / 256)}.${i % 256}`);
    expect(limiter.size()).toBeLessThanOrEqual(100);
    t = 10_000; // every bucket is full again: all forgettable
    limiter.take('late');
    expect(limiter.size()).toBeLessThanOrEqual(100);
    expect(limiter.take('late').allowed).toBe(true);
    expect(limiter.take('late').allowed).toBe(false);
  });
});

describe('httpSpec and httpLimits', () => {
  it('defaults to no rate limit, a 16 KiB header cap and 10 s / 30 s timeouts', () => {
    expect(httpLimits(loadConfig(httpSpec, {}))).toEqual(DEFAULT_HTTP_LIMITS);
  });

  it('reads the rate limit; a burst of 0 means one second of the rate', () => {
    const limits = httpLimits(loadConfig(httpSpec, { HTTP_RATE_LIMIT_PER_SECOND: '50' }));
    expect(limits).toMatchObject({ ratePerSecond: 50, burst: 50 });
    expect(httpLimits(loadConfig(httpSpec, { HTTP_RATE_LIMIT_PER_SECOND: '5', HTTP_RATE_LIMIT_BURST: '20' })).burst).toBe(20);
  });

  it('names invalid values and a header timeout longer than the request timeout', () => {
    expect(() => loadConfig(httpSpec, { HTTP_RATE_LIMIT_PER_SECOND: '-1', HTTP_MAX_HEADER_BYTES: 'lots' })).toThrow(
      /HTTP_RATE_LIMIT_PER_SECOND must be between 0 and 1000000, got -1[\s\S]*HTTP_MAX_HEADER_BYTES must be an integer, got 'lots'/,
    );
    expect(() => httpLimits(loadConfig(httpSpec, { HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '5000' }))).toThrow(ConfigError);
  });
});

/** A server on a loopback port with the given limits; refusals recorded. */
async function serve(limits: HttpLimits, now?: () => number) {
  const refusals: HttpRefusal[] = [];
  const errors: unknown[] = [];
  const server: Server = createHttpServer(
    {
      '/echo': async (req, res) => {
        const body = await readBody(req, 1024);
        if (body.ok) sendJson(res, 200, { bytes: body.body.length });
        else sendJson(res, 413, { error: 'too large' }, { connection: 'close' });
      },
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    (error) => errors.push(error),
    { limits, onRefused: (r) => refusals.push(r), ...(now === undefined ? {} : { now }) },
  );
  const port = await listen(server, 0, '127.0.0.1');
  return { server, url: `http://127.0.0.1:${port}`, port, refusals, errors };
}

/** Writes raw bytes on a fresh connection and resolves with everything the server sent before closing. */
function raw(port: number, chunks: string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(received) : reject(e)));
    let i = 0;
    const next = () => {
      const chunk = chunks[i++];
      if (chunk === undefined || socket.destroyed) return;
      socket.write(chunk);
      setTimeout(next, gapMs);
    };
    socket.on('connect', next);
  });
}

describe('createHttpServer edge limits (loopback server)', () => {
  let t = 0;
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve({ ratePerSecond: 1, burst: 2, maxHeaderBytes: 2048, headersTimeoutMs: 1000, requestTimeoutMs: 1000 }, () => t);
  });
  afterAll(() => closeServer(s.server));

  it('answers 429 with Retry-After past the burst, counts it, spares health probes, and lets the client back after the wait', async () => {
    const post = () => fetch(`${s.url}/echo`, { method: 'POST', body: 'abc' });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ error: 'too many requests from this address; retry in 1 s' });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(s.refusals).toEqual(['rate_limited']);
    t += 1000;
    expect((await post()).status).toBe(200);
  });

  it('answers 431 to a header block over the cap, and counts it', async () => {
    t += 10_000;
    const before = s.refusals.length;
    const answer = await raw(s.port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(s.refusals.slice(before)).toEqual(['headers_too_large']);
  });

  it('answers 400 to a malformed request line, and counts it', async () => {
    const before = s.refusals.length;
    const answer = await raw(s.port, ['NOT HTTP AT ALL\r\n\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(s.refusals.slice(before)).toEqual(['bad_request']);
  });

  it('cuts off a client that sends its headers too slowly (408), and keeps serving others', async () => {
    t += 10_000;
    const before = s.refusals.length;
    const slow = raw(s.port, ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 1\r\n', 'X-C: 1\r\n', 'X-D: 1\r\n'], 600);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(await slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(s.refusals.slice(before)).toEqual(['timeout']);
  });

  it('cuts off a body that trickles past the request timeout, without crashing the route', async () => {
    t += 10_000;
    const head = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n';
    const answer = await raw(s.port, [head, 'a', 'b', 'c', 'd', 'e', 'f'], 400);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(s.refusals.at(-1)).toBe('timeout');
    t += 10_000;
    expect((await fetch(`${s.url}/echo`, { method: 'POST', body: 'ok' })).status).toBe(200);
  });
});

describe('createHttpServer without a rate limit', () => {
  it('never answers 429', async () => {
    const s = await serve(DEFAULT_HTTP_LIMITS);
    try {
      const statuses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${s.url}/healthz`).then((r) => r.status)));
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect((await fetch(`${s.url}/nowhere`)).status).toBe(404);
      expect(s.refusals).toEqual([]);
    } finally {
      await closeServer(s.server);
    }
  });
});

describe('readBody past the limit (loopback server)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve(DEFAULT_HTTP_LIMITS);
  });
  afterAll(() => closeServer(s.server));

  it('drains an oversized body before refusing it, so a client still sending reads the 413 and not a broken pipe', async () => {
    // A slow sender: the headers declare 2 MiB (limit 1 KiB), then the body comes in 16 pieces.
    const piece = 'x'.repeat(128 * 1024);
    const socket = connect(s.port, '127.0.0.1');
    const outcome = await new Promise<{ writeError: string | undefined; sentPieces: number; answer: string }>((resolve) => {
      let answer = '';
      let sentPieces = 0;
      let writeError: string | undefined;
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('error', (e: NodeJS.ErrnoException) => (writeError = e.code));
      socket.on('close', () => resolve({ writeError, sentPieces, answer: answer.slice(0, answer.indexOf('\r\n')) }));
      socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${16 * piece.length}\r\n\r\n`);
      const next = () => {
        if (socket.destroyed || sentPieces === 16) return;
        socket.write(piece, (error) => {
          if (error !== null && error !== undefined) return;
          sentPieces += 1;
          setTimeout(next, 10);
        });
      };
      next();
    });
    expect(outcome).toEqual({ writeError: undefined, sentPieces: 16, answer: 'HTTP/1.1 413 Payload Too Large' });
    expect((await fetch(`${s.url}/echo`, { method: 'POST', body: 'abc' })).status).toBe(200);
  });

  it('refuses at once, without reading, a body declared larger than the limit plus what it drains', async () => {
    const declared = 1024 + LINGER.bytes + 1;
    const socket = connect(s.port, '127.0.0.1');
    const statusLine = await new Promise<string>((resolve, reject) => {
      let received = '';
      socket.on('data', (d) => {
        received += d.toString();
        if (received.includes('\r\n')) resolve(received.slice(0, received.indexOf('\r\n')));
      });
      socket.on('error', reject);
      socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\nabc`);
    });
    socket.destroy();
    expect(statusLine).toBe('HTTP/1.1 413 Payload Too Large');
  });
});

describe('createHttpServer with prefix routes', () => {
  it('answers a path under a prefix from its route, an exact route first, anything else 404', async () => {
    const server = createHttpServer({ '/items/exact': (_req, res) => sendText(res, 200, 'exact') }, () => undefined, {
      prefixRoutes: [['/items/', (req, res) => sendText(res, 200, `prefix ${req.url ?? ''}`)]],
    });
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return [res.status, await res.text()];
      };
      expect(await get('/items/exact')).toEqual([200, 'exact']);
      expect(await get('/items/u1/list?x=1')).toEqual([200, 'prefix /items/u1/list?x=1']);
      expect((await get('/other'))[0]).toBe(404);
    } finally {
      await closeServer(server);
    }
  });
});
