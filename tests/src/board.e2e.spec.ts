import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { createTestTopics, testKafka } from '@dvc/kafka/testing';
import { addKey, writeKeysFile, KEYS_FILE_VERSION, type KeysFile } from '@dvc/keys';
import { ProjectionStore } from '@dvc/redis';
import { CLOCK, FIGURES, PERIOD, generateBinhPhuoc2022, loadUnits, type ExpectedFigures, type ScenarioEvent } from '@dvc/scenario';
import { ev, testEvent, uniqueName, waitFor } from '@dvc/testing';
import { launchChromium, screenshotDir } from './browser.js';
import { startPrometheus, type PrivatePrometheus } from './prometheus.js';
import { TEST_PRODUCER_HEADERS, routingKey, produceAll, projectionProgress, stackEnv, startService, waitForZeroLag, type ServiceProcess } from './stack.js';

/**
 * The ops board in a real browser (Debian's Chromium through playwright-core) on the real
 * pipeline: the Bình Phước 2022 history through Kafka, the projector, the exporter (clock pinned
 * at the meeting) and a private Prometheus with the repository's rules; the board reads the
 * aggregates from that Prometheus and the lists from the projection. Every figure the page shows
 * is compared with the board's API, and the API with the article; screenshots of each view are
 * saved under the test results.
 */
describe('the ops board on the Bình Phước 2022 case, in Chromium', () => {
  const id = uniqueName('board').replace(/[^a-z0-9]/g, '');
  const env = stackEnv();
  const topic = `${id}.events`;
  const common = {
    KAFKA_BROKERS: env.kafkaBrokers,
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: topic,
    DLQ_TOPIC: `${id}.dlq`,
    REDIS_NAMESPACE: id,
    PROJECTOR_GROUP: `${id}-projector`,
  };
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const redis = new Redis(env.redisUrl);
  const keysDir = mkdtempSync(join(tmpdir(), 'dvc-board-keys-'));
  const shots = screenshotDir();
  const W = PERIOD.id;
  let events: ScenarioEvent[] = [];
  let expected: ExpectedFigures;
  let projector: ServiceProcess | undefined;
  let exporter: ServiceProcess | undefined;
  let board: ServiceProcess | undefined;
  let prom: PrivatePrometheus | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** What went wrong in the browser while the page loaded and showed its first view: failed requests, console and script errors. */
  const pageProblems: string[] = [];
  const keys: Record<'all' | 'unit' | 'replay', string> = { all: '', unit: '', replay: '' };
  /** The unit with the most open overdue dossiers at the meeting, and the unit the scoped key reads. */
  let worstUnit = '';

  const get = async (path: string, key = keys.all) => fetch(`${board!.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const getJson = async <T>(path: string, key = keys.all): Promise<T> => {
    const res = await get(path, key);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const number = (v: number) => new Intl.NumberFormat('vi-VN').format(v);
  const percent = (v: number) => new Intl.NumberFormat('vi-VN', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
  let loads = 0;
  /** Loads the page afresh at a view (the key stays in sessionStorage) and waits until it has drawn its data. */
  const open = async (hash: string) => {
    loads += 1;
    await page.goto(`${board!.url}/?load=${loads}${hash}`);
    await page.waitForFunction(`document.querySelector('#view')?.dataset.ready === 'true'`, undefined, { timeout: 30_000 });
  };
  /**
   * Opens a view until `ready` holds: Prometheus answers with what it scraped last, and a scrape
   * of the whole province that times out on a loaded machine leaves the series stale for a moment.
   */
  const openWhen = async (hash: string, ready: () => Promise<boolean>, what: string) => {
    await waitFor(
      async () => {
        await open(hash);
        return (await ready()) ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, description: what },
    );
  };
  /** The API's answer once `ready` holds for it (see openWhen). */
  const getJsonWhen = async <T>(path: string, ready: (body: T) => boolean): Promise<T> =>
    waitFor(
      async () => {
        const body = await getJson<T>(path);
        return ready(body) ? body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, description: `${path} with data` },
    );
  const figure = (name: string) => page.locator(`[data-figure="${name}"]`).innerText();
  interface Overview {
    counts: Record<string, number | null>;
    kpis: { id: string; value: number | null; met: boolean | null }[];
    balance: { left: number; right: number; open: number };
    payments: { kind: string; channel: string; count: number; vnd: number }[];
  }
  /**
   * Whether an overview has settled: every count there, the ratio rule evaluated on the same
   * counts (rule groups are evaluated one after another, so a ratio may trail its counts by one
   * evaluation), and the counts unchanged for longer than a scrape and an evaluation (on a loaded
   * machine a scrape of the exporter may still carry the figures of before the last events were
   * applied). One predicate per poll loop: it remembers the counts it saw and since when.
   */
  const settledOverview = () => {
    let seen = '';
    let seenSince = 0;
    return (o: Overview) => {
      const ratio = o.kpis.find((k) => k.id === 'overdue_ratio')?.value;
      const now = Date.now();
      const key = JSON.stringify(o.counts);
      if (key !== seen) [seen, seenSince] = [key, now];
      return (
        now - seenSince >= 25_000 &&
        Object.values(o.counts).every((v) => v !== null) &&
        o.balance.right !== null &&
        ratio === o.counts.resolvedOverdue! / o.counts.resolved!
      );
    };
  };
  /** The settled overview of each window (settledOverview), as the API answered it. */
  const overview: Record<string, Overview> = {};
  /** The whole page, and what the window shows (the README's pictures: services/board/docs). */
  const screenshot = async (name: string) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    await page.screenshot({ path: join(shots, `${name}-view.png`) });
  };

  beforeAll(async () => {
    ({ events, expected } = generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }));
    await createTestTopics(kafka, { [topic]: 6, [common.DLQ_TOPIC]: 1 });

    let file: KeysFile = { version: KEYS_FILE_VERSION, keys: [] };
    const now = new Date();
    for (const [name, units, role] of [
      ['all', '*', 'board'],
      ['replay', '*', 'replay'],
    ] as const) {
      const added = addKey(file, { id: `${id}-${name}`, units, types: '*', ratePerMinute: 100_000, role }, now);
      if (!added.ok) throw new Error(added.problems.join('; '));
      file = added.value.file;
      keys[name] = added.value.key;
    }
    writeKeysFile(join(keysDir, 'keys.json'), file);

    // The producer runs in a worker thread: Prometheus, the exporter and the board start meanwhile;
    // the projector starts once the whole history is in the topic (it then consumes in large batches).
    await Promise.all([
      produceAll(topic, events),
      (async () => {
        // A 10 s scrape interval (and timeout): a scrape of the whole province takes seconds on a loaded machine.
        prom = await startPrometheus(id, '10s');
        // bp-2022-may ended 22 days before the pinned clock: with a horizon of 21 days the exporter
        // no longer exports it (the board marks it), while the report period and the plan stay.
        exporter = await startService('exporter', { ...common, CLOCK_AS_OF: CLOCK, EXPORTER_PERIOD_DAYS_AFTER_END: '21' }, 'EXPORTER_PORT');
        prom.registerExporter(id, exporter.port);
        board = await startService(
          'board',
          { ...common, CLOCK_AS_OF: CLOCK, PROMETHEUS_URL: prom.url, BOARD_KEYS_FILE: join(keysDir, 'keys.json') },
          'BOARD_PORT',
        );
      })(),
    ]);
    projector = await startService('projector', common, 'PROJECTOR_PORT');
    await waitFor(async () => ((await projectionProgress(redis, id)).applied === events.length ? true : undefined), {
      timeoutMs: 300_000,
      intervalMs: 1_000,
      description: `all ${events.length} events applied`,
    });
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP, topic, 60_000);
    await waitFor(
      async () => {
        const applied = await prom!.query('sum(dvc_projection_events_applied_total)');
        const open = await prom!.query('dvc:dossiers_open_overdue:sum_province');
        return applied[0]?.value === events.length && open[0]?.value === FIGURES.openOverdue ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, description: 'a Prometheus scrape with every event applied' },
    );
    // Both overviews settle side by side (each waits its own 25 s of unchanged counts) while the browser starts.
    const login = async () => {
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
      page.on('response', (response) => {
        if (response.status() >= 400) pageProblems.push(`${response.status()} ${response.url()}`);
      });
      page.on('requestfailed', (request) => pageProblems.push(`failed ${request.url()}: ${request.failure()?.errorText ?? ''}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageProblems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => pageProblems.push(`script error: ${error.message}`));
      await page.goto(board!.url);
      await page.fill('#key-input', keys.all);
      await page.click('#login-form button[type=submit]');
      await page.waitForFunction(`document.querySelector('#view')?.dataset.ready === 'true'`, undefined, { timeout: 30_000 });
    };
    [overview[W], overview['14d']] = await Promise.all([
      getJsonWhen<Overview>(`/v1/overview?window=${W}`, settledOverview()),
      getJsonWhen<Overview>('/v1/overview?window=14d', settledOverview()),
      login(),
    ]);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([projector?.kill('SIGTERM'), exporter?.kill('SIGTERM'), board?.kill('SIGTERM'), prom?.stop()]);
    await new ProjectionStore(redis, id).dropNamespace();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, common.DLQ_TOPIC] }).catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
    rmSync(keysDir, { recursive: true, force: true });
  }, 120_000);

  it('is a Vietnamese page that keeps the key in sessionStorage only', async () => {
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await page.title()).toBe('Bảng điều hành dịch vụ công');
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    expect(await page.locator('#clock').innerText()).toContain('22/06/2022 17:00');
  });

  it('loaded and showed its first view without a failed request, a console error or a script error', () => {
    expect(pageProblems).toEqual([]);
  });

  it(`overview of ${W}: the article's figures, on the page as in the API`, async () => {
    const api = overview[W]!;
    expect(api.counts).toMatchObject({
      received: 40_689,
      carriedOver: 52_379,
      toResolve: 93_068,
      resolved: 43_645,
      resolvedOverdue: 1_265,
      openOverdueNow: 21,
      withdrawn: 31,
    });
    expect(api.balance).toEqual({ left: 93_068, right: 93_068, open: 49_392 });
    const overdue = api.kpis.find((k) => k.id === 'overdue_ratio')!;
    expect(overdue.value).toBeCloseTo(1_265 / 43_645, 12);
    expect(overdue.met).toBe(false);

    await openWhen(
      `#/tong-quan?window=${W}`,
      async () =>
        (await figure('received')) === number(api.counts.received!) &&
        (await figure('overdue-ratio')) === percent(overdue.value!) &&
        (await figure('open')) !== '–',
      'the overview with the settled figures',
    );
    const shown = {
      received: await figure('received'),
      resolved: await figure('resolved'),
      resolvedOverdue: await figure('resolved-overdue'),
      ratio: await figure('overdue-ratio'),
      openOverdue: await figure('open-overdue'),
      open: await figure('open'),
      withdrawn: await figure('withdrawn'),
    };
    expect(shown).toEqual({
      received: '40.689',
      resolved: '43.645',
      resolvedOverdue: '1.265',
      ratio: '2,90%',
      openOverdue: '21',
      open: '49.392',
      withdrawn: '31',
    });
    expect(shown.received).toBe(number(api.counts.received!));
    expect(shown.ratio).toBe(percent(overdue.value!));
    expect(await page.locator('[data-kpi="overdue_ratio"] .badge').innerText()).toBe('Không đạt');
    expect(await page.locator('[data-figure="balance"]').innerText()).toContain('93.068');
    await screenshot('board-overview');
  });

  it('overview of 14d (9–22 June, the rolling window at the pinned clock): the figures the reference counter recounts from the events, on the page as in the API', async () => {
    const w = expected.windows['14d']!;
    const recounted = {
      received: Object.values(w.received).reduce((a, b) => a + b, 0),
      resolved: w.resolved.on_time + w.resolved.overdue,
      resolvedOverdue: w.resolved.overdue,
      withdrawn: w.withdrawn,
    };
    // The reference counter's figures, spelled out so that a change of the scenario shows here.
    expect({ from: w.from, to: w.to, ...recounted }).toEqual({
      from: '2022-06-09',
      to: '2022-06-22',
      received: 12_155,
      resolved: 9_718,
      resolvedOverdue: 230,
      withdrawn: 20,
    });
    const api = overview['14d']!;
    // Open (now, which is the window's end) and open overdue are the case's; carried over is what the balance leaves.
    expect(api.counts).toEqual({
      ...recounted,
      carriedOver: 46_975,
      toResolve: 59_130,
      openNow: 49_392,
      openOverdueNow: 21,
    });
    expect(api.balance).toEqual({ left: 59_130, right: 59_130, open: 49_392 });
    const overdue = api.kpis.find((k) => k.id === 'overdue_ratio')!;
    expect(overdue.value).toBeCloseTo(230 / 9_718, 12);
    expect(overdue.met).toBe(false);
    expect(api.payments).toEqual(
      Object.entries(w.payments)
        .map(([key, amount]) => ({ kind: key.split(':')[0]!, channel: key.split(':')[1]!, count: amount.count, vnd: amount.vnd }))
        .sort((a, b) => a.kind.localeCompare(b.kind) || a.channel.localeCompare(b.channel)),
    );

    await openWhen(
      '#/tong-quan?window=14d',
      async () => (await figure('received')) === number(12_155) && (await figure('open')) !== '–',
      'the 14-day overview with data',
    );
    expect({
      received: await figure('received'),
      resolved: await figure('resolved'),
      resolvedOverdue: await figure('resolved-overdue'),
      ratio: await figure('overdue-ratio'),
      openOverdue: await figure('open-overdue'),
      open: await figure('open'),
      withdrawn: await figure('withdrawn'),
    }).toEqual({ received: '12.155', resolved: '9.718', resolvedOverdue: '230', ratio: '2,37%', openOverdue: '21', open: '49.392', withdrawn: '20' });
    expect(await page.locator('[data-kpi="overdue_ratio"] .badge').innerText()).toBe('Không đạt');
    expect(await page.locator('[data-figure="balance"]').innerText()).toContain('59.130');
  });

  it('ranks units by overdue share, the same units and ratios as the API', async () => {
    const api = await getJsonWhen<{
      units: { unit: string; overdueRatio: number | null; openOverdueNow: number; rag: string; integrity: Record<string, number> }[];
    }>(`/v1/ranking?window=${W}`, (r) => r.units.length > 100);
    expect(api.units.length).toBeGreaterThan(100);
    expect(api.units.reduce((n, u) => n + u.openOverdueNow, 0)).toBe(21);
    worstUnit = [...api.units].sort((a, b) => b.openOverdueNow - a.openOverdueNow || a.unit.localeCompare(b.unit))[0]!.unit;
    await openWhen(
      `#/xep-hang?window=${W}`,
      async () => (await page.locator('table[data-group] tbody tr').count()) === api.units.length,
      'the ranking with every unit',
    );
    for (const u of api.units.slice(0, 5)) {
      const cells = await page.locator(`tr[data-unit="${u.unit}"] td`).allInnerTexts();
      expect(cells[4]).toBe(u.overdueRatio === null ? '–' : percent(u.overdueRatio));
      // Results not returned are a count of now, in a column of their own; the signals column sums the window's flags.
      const { result_not_returned: notReturned = 0, ...flags } = u.integrity;
      expect(cells.slice(8)).toEqual([number(notReturned), number(Object.values(flags).reduce((a, b) => a + b, 0))]);
    }
    await screenshot('board-ranking');
  });

  it('the trend is the last 14 days of the wall clock as Prometheus recorded them, and the page says the pinned clock is not its axis', async () => {
    interface Trend {
      window: string;
      from: string;
      to: string;
      clock: { mode: string; asOf?: string };
      series: { unit: string; points: [number, number][] }[];
    }
    // The units with a 14-day share (the ratio rule is absent where nothing was resolved).
    const ranking = await getJsonWhen<{ units: { unit: string; overdueRatio: number | null }[] }>('/v1/ranking?window=14d', (r) =>
      r.units.some((u) => u.overdueRatio !== null),
    );
    const ratios = new Map(ranking.units.filter((u) => u.overdueRatio !== null).map((u) => [u.unit, u.overdueRatio]));
    const before = Date.now();
    const trend = await getJsonWhen<Trend>('/v1/trend', (t) => t.series.length === ratios.size);
    const after = Date.now();
    const to = Date.parse(trend.to);
    expect(to >= before && to <= after).toBe(true);
    expect(Date.parse(trend.from)).toBe(to - 14 * 86_400_000);
    expect(trend.clock).toEqual({ mode: 'as-of', asOf: new Date(CLOCK).toISOString() });
    const outside = trend.series.flatMap((s) => s.points.filter(([t]) => t < Date.parse(trend.from) || t > to).map(([t]) => `${s.unit}@${t}`));
    expect(outside).toEqual([]);
    // Each unit's latest point is its share in the 14-day window as of the pinned clock: the ranking's.
    const differing = trend.series.filter((s) => s.points.at(-1)![1] !== ratios.get(s.unit)).map((s) => s.unit);
    expect(differing).toEqual([]);
    console.log(`trend: ${trend.series.length} units, ${trend.series.reduce((n, s) => n + s.points.length, 0)} points from ${trend.from} to ${trend.to}`);

    await openWhen('#/xep-hang?window=14d', async () => (await page.locator('table[data-group] tbody tr').count()) > 100, 'the 14-day ranking');
    const note = await page.locator('#trend-note').innerText();
    const span = /\((\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d) – (\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d)\)/.exec(note);
    expect(note).toContain(
      'Đồng hồ của hệ thống đang cố định tại 22/06/2022 17:00, nên trục thời gian không phải ngày của hồ sơ: biểu đồ là lịch sử Prometheus đã ghi nhận trong 14 ngày vận hành gần nhất (',
    );
    expect(span).not.toBeNull();
    // The page's span is its own request's: it ends at the wall clock (to the minute), 14 days after it starts.
    const [, d1, m1, y1, t1, d2, m2, y2, t2] = span!;
    const shownFrom = Date.parse(`${y1}-${m1}-${d1}T${t1}:00+07:00`);
    const shownTo = Date.parse(`${y2}-${m2}-${d2}T${t2}:00+07:00`);
    expect(shownTo - shownFrom).toBe(14 * 86_400_000);
    expect(Math.abs(shownTo - Date.now())).toBeLessThan(5 * 60_000);
  });

  it(`meeting report of ${W}: the province line equals the article; CSV and XLSX download`, async () => {
    interface Row {
      unit: string;
      received: number;
      resolved: number;
      resolvedOverdue: number;
      overdueRatio: number;
      toResolve: number;
      open: number;
      openOverdueNow: number;
      withdrawn: number;
    }
    const api = await getJsonWhen<{ rows: Row[] }>(`/v1/report?period=${W}`, (r) => r.rows.at(-1)!.received > 0);
    const total = api.rows.at(-1)!;
    expect(total).toMatchObject({
      unit: 'toan-tinh',
      received: 40_689,
      toResolve: 93_068,
      resolved: 43_645,
      resolvedOverdue: 1_265,
      open: 49_392,
      openOverdueNow: 21,
      withdrawn: 31,
    });
    await openWhen(`#/bao-cao?period=${W}`, async () => (await page.locator('tr.total td').nth(3).innerText()) !== '0', 'the report with data');
    const cells = await page.locator('tr.total td').allInnerTexts();
    expect(cells).toEqual(['Toàn tỉnh', '', '52.379', '40.689', '93.068', '43.645', '1.265', '2,90%', '49.392', '21', '31']);
    expect(await page.locator('#report tbody tr').count()).toBe(api.rows.length - 1);
    await screenshot('board-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    expect(download.suggestedFilename()).toBe(`bao-cao-${W}.csv`);
    const csv = await waitFor(
      async () => {
        const text = await (await get(`/v1/report?period=${W}&format=csv`)).text();
        return text.includes(',40689,') ? text : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2_000, description: 'the CSV with data' },
    );
    expect(csv.split('\r\n').at(-2)).toBe(`toan-tinh,Toàn tỉnh,,52379,40689,93068,43645,1265,${1265 / 43645},49392,21,31`);
    const xlsx = await get(`/v1/report?period=${W}&format=xlsx`);
    expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(
      Buffer.from(await xlsx.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#nav').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
  });

  it("a period the exporter no longer exports is marked and shows no figure: never zeros, never today's open dossiers as open at its end", async () => {
    const MAY = 'bp-2022-may';
    const context = await getJsonWhen<{ windows: { id: string; exported: boolean | null }[] }>('/v1/context', (c) =>
      c.windows.every((w) => w.exported !== null),
    );
    expect(Object.fromEntries(context.windows.map((w) => [w.id, w.exported]))).toEqual({ '14d': true, [W]: true, [MAY]: false, 'bp-2022-14d-plan': true });
    for (const path of [`/v1/overview?window=${MAY}`, `/v1/ranking?window=${MAY}`, `/v1/report?period=${MAY}&format=csv`]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(
        new RegExp(`^kỳ '${MAY}' \\(2022-05-01 – 2022-05-31\\) không còn được bộ xuất số liệu \\(exporter\\) đưa lên Prometheus: `),
      );
    }
    for (const hash of [`#/tong-quan?window=${MAY}`, `#/xep-hang?window=${MAY}`, `#/bao-cao?period=${MAY}`]) {
      await open(hash);
      expect(await page.locator('#unexported').innerText()).toContain('đã kết thúc từ lâu nên bộ xuất số liệu không còn đưa số liệu của kỳ lên Prometheus');
      expect(await page.locator('[data-figure], table').count()).toBe(0);
      expect(await page.locator(`option[value="${MAY}"]`).innerText()).toBe('Trước chiến dịch 01/5/2022 – 31/5/2022 (không còn số liệu)');
      expect(await page.locator(`option[value="${W}"]`).innerText()).toBe('Kỳ báo cáo 01/5/2022 – 22/6/2022');
    }
    await screenshot('board-unexported-period');
    // The meeting report opens on the first period with figures.
    await open('#/bao-cao');
    expect(await page.locator('#period').inputValue()).toBe(W);
  });

  it("a unit's worklist equals the read API, and a new dossier past due shows within seconds", async () => {
    type Item = { dossierId: string; daysOverdue: number; dueAt: string };
    const before = await getJson<{ items: Item[] }>(`/v1/units/${worstUnit}/dossiers?state=overdue&limit=1000`);
    expect(before.items.length).toBeGreaterThan(0);
    await open(`#/don-vi/${worstUnit}`);
    const ids = await page.locator('table[data-list="overdue"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-dossier')));
    expect(ids).toEqual(before.items.map((i) => i.dossierId));
    await screenshot('board-worklist');
    // The paused list says since when each dossier waits for the citizen's supplement and for how
    // many days, not a due time that moves with the clock while the pause runs.
    const paused = await getJson<{ now: string; items: (Item & { pausedSince: string | null })[] }>(`/v1/units/${worstUnit}/dossiers?state=paused&limit=1`);
    expect(paused.items.length).toBe(1);
    const [first] = paused.items;
    expect(first!.pausedSince).not.toBeNull();
    const local = (iso: string, options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', ...options }).format(new Date(iso));
    const shownAt = (iso: string) =>
      `${local(iso, { day: '2-digit', month: '2-digit', year: 'numeric' })} ${local(iso, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })}`;
    const waited = Math.floor((Date.parse(paused.now) - Date.parse(first!.pausedSince!)) / 86_400_000);
    const pausedTable = page.locator('table[data-list="paused"]');
    expect(await pausedTable.locator('thead th').allInnerTexts()).toEqual(['Mã hồ sơ', 'Thủ tục', 'Tiếp nhận', 'Chờ bổ sung từ', 'Số ngày chờ']);
    expect((await pausedTable.locator(`tr[data-dossier="${first!.dossierId}"] td`).allInnerTexts()).slice(3)).toEqual([
      shownAt(first!.pausedSince!),
      waited === 0 ? '< 1' : number(waited),
    ]);

    const dossierId = `${id}-late`;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const late = ev.received(worstUnit, dossierId, '2022-06-20T08:00:00+07:00', 'online', { dueAt: '2022-06-21T17:00:00+07:00' });
    // Due eight hours before the clock: overdue less than a day, which the page writes "< 1", not 0.
    const justLate = ev.received(worstUnit, `${dossierId}-hours`, '2022-06-20T08:00:00+07:00', 'online', { dueAt: '2022-06-22T09:00:00+07:00' });
    const sentAt = Date.now();
    await producer.send({
      topic,
      acks: -1,
      messages: [late, justLate].map((e) => ({ key: routingKey(e), value: JSON.stringify(e), headers: TEST_PRODUCER_HEADERS })),
    });
    await producer.disconnect();
    await page.locator(`tr[data-dossier="${dossierId}"]`).waitFor({ timeout: 30_000 });
    const seconds = (Date.now() - sentAt) / 1000;
    console.log(`new overdue dossier shown in the worklist ${seconds.toFixed(1)} s after it was sent`);
    expect(seconds).toBeLessThan(30);
    const row = await page.locator(`tr[data-dossier="${dossierId}"] td`).allInnerTexts();
    expect(row).toEqual([dossierId, 'P-TEST', '20/06/2022 08:00', '21/06/2022 17:00', '1']);
    await page.locator(`tr[data-dossier="${dossierId}-hours"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator(`tr[data-dossier="${dossierId}-hours"] td`).allInnerTexts()).toEqual([
      `${dossierId}-hours`,
      'P-TEST',
      '20/06/2022 08:00',
      '22/06/2022 09:00',
      '< 1',
    ]);
  });

  it("a link to a unit the key cannot list names it and shows no lists: never another unit's name over empty lists", async () => {
    const missing = `${id}.nosuch`;
    await open(`#/don-vi/${missing}`);
    expect(await page.locator('#unit-unlisted').innerText()).toBe(
      `Không có đơn vị “${missing}” trong số liệu mà khóa này được xem. Hãy chọn một đơn vị trong danh sách.`,
    );
    expect(await page.locator('table[data-list]').count()).toBe(0);
    expect(await page.locator('#unit').inputValue()).toBe('');
    expect((await get(`/v1/units/${missing}/dossiers?state=overdue`)).status).toBe(404);
    // Choosing a unit from the menu shows its lists.
    await page.locator('#unit').selectOption(worstUnit);
    await page.waitForFunction(
      `document.querySelector('#view')?.dataset.ready === 'true' && document.querySelector('table[data-list="overdue"]') !== null`,
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await page.locator('#unit').inputValue()).toBe(worstUnit);
    await open(`#/don-vi/${worstUnit}`);
  });

  it('lists the online submissions not received in time, as the read API does, with their own columns', async () => {
    // Submitted online on Friday 17 June, never received: its receipt deadline (one working day) was the end of Monday 20 June.
    const dossierId = `${id}-online`;
    const submitted = testEvent(
      'vn.dvc.dossier.submitted',
      dossierId,
      { unit: worstUnit, time: '2022-06-17T08:00:00+07:00' },
      { dossierId, procedureId: 'P-TEST', submittedAt: '2022-06-17T08:00:00+07:00' },
    );
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: routingKey(submitted), value: JSON.stringify(submitted), headers: TEST_PRODUCER_HEADERS }] });
    await producer.disconnect();
    const table = page.locator('table[data-list="receipt_overdue"]');
    await table.locator(`tr[data-dossier="${dossierId}"]`).waitFor({ timeout: 30_000 });
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['Mã hồ sơ', 'Thủ tục', 'Nộp trực tuyến', 'Hạn tiếp nhận', 'Số ngày quá hạn']);
    expect(await table.locator(`tr[data-dossier="${dossierId}"] td`).allInnerTexts()).toEqual([
      dossierId,
      'P-TEST',
      '17/06/2022 08:00',
      '20/06/2022 23:59',
      '1',
    ]);
    const api = await getJson<{ items: { dossierId: string }[] }>(`/v1/units/${worstUnit}/dossiers?state=receipt_overdue&limit=100`);
    const shown = await table.locator('tbody tr[data-dossier]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-dossier')));
    expect(shown).toEqual(api.items.map((i) => i.dossierId));
  });

  it('lists the dossiers whose result was not handed back in time, as the read API does, with their own columns', async () => {
    // Resolved on Tuesday 4 January at 10:00 (the first working day of the history: 3 January was
    // New Year's compensatory day off), the result never handed back: its return deadline
    // (RESULT_RETURN_WORKING_DAYS, 2 working days) was the end of Thursday 6 January, the
    // earliest of the unit's list, so the first row of its first page.
    const dossierId = `${id}-result`;
    const received = ev.received(worstUnit, dossierId, '2022-01-04T08:00:00+07:00', 'online', { dueAt: '2022-01-11T17:00:00+07:00' });
    const resolved = ev.resolved(worstUnit, dossierId, '2022-01-04T10:00:00+07:00', true);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [received, resolved].map((e) => ({ key: routingKey(e), value: JSON.stringify(e), headers: TEST_PRODUCER_HEADERS })),
    });
    await producer.disconnect();
    const table = page.locator('table[data-list="result_not_returned"]');
    await table.locator(`tr[data-dossier="${dossierId}"]`).waitFor({ timeout: 30_000 });
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['Mã hồ sơ', 'Thủ tục', 'Giải quyết', 'Hạn trả kết quả', 'Số ngày quá hạn']);
    expect(await table.locator(`tr[data-dossier="${dossierId}"] td`).allInnerTexts()).toEqual([
      dossierId,
      'P-TEST',
      '04/01/2022 10:00',
      '06/01/2022 23:59',
      '166',
    ]);
    const api = await getJson<{ items: { dossierId: string; resolvedAt: string; dueAt: string; daysOverdue: number }[] }>(
      `/v1/units/${worstUnit}/dossiers?state=result_not_returned&limit=1000`,
    );
    const shown = await table.locator('tbody tr[data-dossier]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-dossier')));
    expect(shown).toEqual(api.items.map((i) => i.dossierId).slice(0, 100));
    expect(api.items[0]).toMatchObject({ dossierId, resolvedAt: '2022-01-04T03:00:00.000Z', dueAt: '2022-01-06T16:59:59.999Z', daysOverdue: 166 });
    // The list is the signal's dossiers: as many as the ranking counts for result_not_returned
    // (read from Prometheus, so once the exporter's next scrape has the new dossier).
    type Ranked = { units: { unit: string; integrity: Record<string, number> }[] };
    const counted = () => getJson<Ranked>('/v1/ranking?window=14d').then((r) => r.units.find((u) => u.unit === worstUnit)?.integrity.result_not_returned);
    await waitFor(async () => ((await counted()) === api.items.length ? true : undefined), {
      timeoutMs: 30_000,
      description: `the ranking's result_not_returned of ${worstUnit} to reach the list's ${api.items.length}`,
    });
  });

  it("a key scoped to one unit reads that unit only: another unit's list is 403; a replay key is 403; no key is 401", async () => {
    const file = join(keysDir, 'keys.json');
    const { readKeysFile } = await import('@dvc/keys');
    const added = addKey(readKeysFile(file), { id: `${id}-unit`, units: [worstUnit], types: '*', ratePerMinute: 1000, role: 'board' }, new Date());
    if (!added.ok) throw new Error(added.problems.join('; '));
    writeKeysFile(file, added.value.file);
    keys.unit = added.value.key;
    const other = (await getJson<{ units: { id: string }[] }>('/v1/units')).units.find((u) => u.id !== worstUnit)!.id;
    await waitFor(async () => ((await get(`/v1/units/${worstUnit}/dossiers?state=overdue`, keys.unit)).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the board reloads the keys file',
    });
    expect((await get(`/v1/units/${other}/dossiers?state=overdue`, keys.unit)).status).toBe(403);
    expect((await getJson<{ units: { id: string }[] }>('/v1/units', keys.unit)).units.map((u) => u.id)).toEqual([worstUnit]);
    expect((await get(`/v1/units/${worstUnit}/dossiers?state=overdue`, keys.replay)).status).toBe(403);
    expect((await fetch(`${board!.url}/v1/units`)).status).toBe(401);
    expect((await get(`/v1/units/${worstUnit}/dossiers?state=late`)).status).toBe(400);
  });

  it("a unit head's key opens on its unit: the unit's overdue share against its target, then its lists, not the province", async () => {
    type Line = {
      unit: string;
      resolved: number;
      resolvedOverdue: number;
      overdueRatio: number | null;
      overdueTarget: number | null;
      openOverdueNow: number;
      rag: string;
      integrity: Record<string, number>;
    };
    const line = (await getJson<{ units: Line[] }>('/v1/ranking?window=14d', keys.unit)).units.find((u) => u.unit === worstUnit)!;
    expect(line.resolved).toBeGreaterThan(0);
    await page.evaluate(`sessionStorage.setItem('dvc-board-key', ${JSON.stringify(keys.unit)})`);
    try {
      await open('');
      expect(await page.locator('#view').getAttribute('data-view')).toBe('don-vi');
      expect(await page.locator('#unit').inputValue()).toBe(worstUnit);
      await page.locator('[data-figure="unit-rag"]').waitFor({ timeout: 30_000 });
      expect(await figure('unit-resolved')).toBe(number(line.resolved));
      expect(await figure('unit-resolved-overdue')).toBe(number(line.resolvedOverdue));
      expect(await figure('unit-overdue-ratio')).toBe(line.overdueRatio === null ? '–' : percent(line.overdueRatio));
      expect(await figure('unit-rag')).toBe({ green: 'Đạt', amber: 'Gần đạt', red: 'Không đạt', none: 'Chưa có số liệu' }[line.rag]);
      expect(await figure('unit-open-overdue')).toBe(number(line.openOverdueNow));
      expect(await page.locator('#standing').innerText()).toContain(
        line.overdueTarget === null ? 'chưa có mục tiêu' : `mục tiêu dưới ${percent(line.overdueTarget)}`,
      );
      // Every KPI of the unit against the target that applies to it, as the API reads them with the
      // unit drill-down's queries; the overdue ratio is the ranking's.
      type Kpi = { id: string; value: number | null; target: number | null; comparison: 'lt' | 'ge'; met: boolean | null };
      const kpis = await getJson<{ unit: string; window: string; kpis: Kpi[] }>(`/v1/units/${worstUnit}/kpis?window=14d`, keys.unit);
      expect([kpis.unit, kpis.window, kpis.kpis.map((k) => k.id)]).toEqual([
        worstUnit,
        '14d',
        ['overdue_ratio', 'online_dossier_share', 'online_service_utilization', 'digitization_share', 'online_report_share'],
      ]);
      const ratio = kpis.kpis.find((k) => k.id === 'overdue_ratio')!;
      expect([ratio.value, ratio.target]).toEqual([line.overdueRatio, line.overdueTarget]);
      await page.locator('#unit-kpis tbody tr[data-kpi]').nth(4).waitFor({ timeout: 30_000 });
      for (const k of kpis.kpis) {
        const cells = await page.locator(`#unit-kpis tr[data-kpi="${k.id}"] td`).allInnerTexts();
        const mark = k.target === null ? 'Không áp dụng' : k.met === null ? 'Chưa có số liệu' : k.met ? 'Đạt' : 'Không đạt';
        expect(cells.slice(1)).toEqual([
          k.value === null ? '–' : percent(k.value),
          k.target === null ? '–' : `${k.comparison === 'lt' ? '<' : '≥'} ${percent(k.target)}`,
          mark,
        ]);
      }
      // The unit's integrity signals by name (the context's, which the notices use too), never by reason code.
      const { signals } = await getJson<{ signals: Record<string, string> }>('/v1/context', keys.unit);
      // The window's flags only: results not returned, a count of now, are the list "Quá hạn trả kết quả" above.
      const flags = Object.entries(line.integrity).filter(([reason]) => reason !== 'result_not_returned');
      expect(flags.length).toBeGreaterThan(0);
      expect(await page.locator('#signals').innerText()).toBe(flags.map(([reason, n]) => `${signals[reason]}: ${number(n)}`).join('; '));
      await screenshot('board-unit-head');
      // On a phone (where a notice's link is often opened) the page does not scroll sideways:
      // the dossier lists are cards, the other tables scroll inside their own boxes.
      const desk = page.viewportSize();
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await open('');
        await page.locator('[data-figure="unit-rag"]').waitFor({ timeout: 30_000 });
        expect(await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')).toEqual([390, 390]);
        // The dossier lists are cards on a phone: each value beside its column's name, the days
        // overdue in sight without scrolling the list sideways.
        const overdue = page.locator('table[data-list="overdue"]');
        const days = overdue.locator('tbody tr[data-dossier]').first().locator('td').nth(4);
        await days.waitFor({ timeout: 30_000 });
        expect(await overdue.locator('thead').isVisible()).toBe(false);
        expect(await days.getAttribute('data-label')).toBe('Số ngày quá hạn');
        const box = (await days.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(390);
        // The unit's KPIs fit too: their names wrap, the mark (last column) is in sight.
        const markCell = page.locator('#unit-kpis tr[data-kpi="overdue_ratio"] td').last();
        await markCell.waitFor({ timeout: 30_000 });
        const mark = (await markCell.boundingBox())!;
        expect(mark.x + mark.width).toBeLessThanOrEqual(390);
        await screenshot('board-unit-head-phone');
        await open('#/xep-hang?window=14d');
        expect(await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')).toEqual([390, 390]);
      } finally {
        if (desk !== null) await page.setViewportSize(desk);
      }
      // The head of a unit with no event yet is told so, not that the key may read no unit.
      const file = join(keysDir, 'keys.json');
      const { readKeysFile } = await import('@dvc/keys');
      const quiet = `${id}.quiet`;
      const added = addKey(readKeysFile(file), { id: `${id}-quiet`, units: [quiet], types: '*', ratePerMinute: 1000, role: 'board' }, new Date());
      if (!added.ok) throw new Error(added.problems.join('; '));
      writeKeysFile(file, added.value.file);
      await waitFor(async () => ((await get('/v1/units', added.value.key)).status === 200 ? true : undefined), {
        timeoutMs: 10_000,
        description: 'the board reloads the keys file',
      });
      await page.evaluate(`sessionStorage.setItem('dvc-board-key', ${JSON.stringify(added.value.key)})`);
      await open('');
      expect(await page.locator('#unit-no-data').innerText()).toBe(`Chưa có số liệu của “${quiet}”: hệ thống chưa nhận sự kiện nào của đơn vị.`);
    } finally {
      await page.evaluate(`sessionStorage.setItem('dvc-board-key', ${JSON.stringify(keys.all)})`);
    }
    // The province's key still opens on the province overview.
    await open('');
    expect(await page.locator('#view').getAttribute('data-view')).toBe('tong-quan');
  });
});
