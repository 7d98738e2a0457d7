import { KeyRateLimiter } from './rate.js';

describe('rate limiter (token bucket per key, injected clock)', () => {
  let now = 1_000_000;
  const limiter = () => new KeyRateLimiter(() => now);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows a burst of ratePerMinute, then refuses with the seconds until the next request', () => {
    const rate = limiter();
    for (let i = 0; i < 3; i += 1) expect(rate.take('k', 3)).toEqual({ ok: true });
    expect(rate.take('k', 3)).toEqual({ ok: false, retryAfterSeconds: 20 });
  });

  it('refills continuously: one request per 60/rate seconds', () => {
    const rate = limiter();
    for (let i = 0; i < 3; i += 1) rate.take('k', 3);
    now += 19_999;
    expect(rate.take('k', 3)).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1;
    expect(rate.take('k', 3)).toEqual({ ok: true });
    expect(rate.take('k', 3)).toEqual({ ok: false, retryAfterSeconds: 20 });
  });

  it('never saves more than one minute of requests', () => {
    const rate = limiter();
    rate.take('k', 2);
    now += 3_600_000;
    expect(rate.take('k', 2)).toEqual({ ok: true });
    expect(rate.take('k', 2)).toEqual({ ok: true });
    expect(rate.take('k', 2).ok).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const rate = limiter();
    expect(rate.take('a', 1)).toEqual({ ok: true });
    expect(rate.take('a', 1)).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect(rate.take('b', 1)).toEqual({ ok: true });
  });

  it('a clock stepping back refills nothing', () => {
    const rate = limiter();
    rate.take('k', 1);
    now -= 120_000;
    expect(rate.take('k', 1).ok).toBe(false);
  });

  it('a lowered rate caps the saved credit', () => {
    const rate = limiter();
    rate.take('k', 100);
    expect(rate.take('k', 1)).toEqual({ ok: true });
    expect(rate.take('k', 1)).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  it('rounds Retry-After up to whole seconds, never below 1', () => {
    const rate = limiter();
    for (let i = 0; i < 7; i += 1) rate.take('k', 7);
    expect(rate.take('k', 7)).toEqual({ ok: false, retryAfterSeconds: 9 });
    now += 8_500;
    expect(rate.take('k', 7)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });
});
