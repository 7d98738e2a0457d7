import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { addKey, writeKeysFile, KEYS_FILE_VERSION, type KeysFile } from '@dvc/keys';
import { startFiringPrometheus, uniqueName, waitFor, type PrometheusProcess } from '@dvc/testing';
import { launchChromium, screenshotDir } from './browser.js';
import { stackEnv, startService, type ServiceProcess } from './stack.js';

/**
 * The board tells whoever opens it that its figures may be missing or out of date: a real board
 * process on a Prometheus of this test's own whose rules fire an exporter-down alert (critical),
 * a calendar warning and a unit's KPI alert, in Chromium. The province's key sees the critical
 * alert and the warning above the page; a unit head's key the critical one alone; neither sees
 * the unit's KPI alert there (that one is a notice to its head, not the system's health). Then
 * that Prometheus stops: both keys are told it does not answer.
 */
describe("the board shows the monitoring system's own alerts above every page, in Chromium", () => {
  const id = uniqueName('bhealth').replace(/[^a-z0-9]/g, '');
  const dir = mkdtempSync(join(tmpdir(), 'dvc-board-health-'));
  const env = stackEnv();
  const keys = { all: '', unit: '' };
  let prom: PrometheusProcess | undefined;
  let board: ServiceProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    prom = await startFiringPrometheus(join(dir, 'prometheus'), [
      {
        alert: 'ExporterDown',
        labels: { severity: 'critical' },
        annotations: {
          title_vi: 'Dịch vụ xuất số liệu (exporter) không hoạt động',
          summary_vi: 'Dịch vụ xuất số liệu (exporter) 127.0.0.1:9464 không hoạt động',
        },
      },
      {
        alert: 'DvcCalendarEnding',
        labels: { severity: 'warning' },
        annotations: { title_vi: 'Lịch ngày làm việc chính thức sắp hết dữ liệu', summary_vi: 'Lịch ngày làm việc chính thức chỉ có đến 31/12/2026' },
      },
      {
        alert: 'OverdueRatioAboveTarget',
        labels: { severity: 'warning', unit: 'dn.dongxoai', kpi: 'overdue_ratio' },
        annotations: { title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu' },
      },
    ]);
    let file: KeysFile = { version: KEYS_FILE_VERSION, keys: [] };
    for (const [name, units] of [
      ['all', '*'],
      ['unit', ['dn.dongxoai']],
    ] as const) {
      const added = addKey(
        file,
        { id: `${id}-${name}`, units: units === '*' ? '*' : [...units], types: '*', ratePerMinute: 100_000, role: 'board' },
        new Date(),
      );
      if (!added.ok) throw new Error(added.problems.join('; '));
      file = added.value.file;
      keys[name] = added.value.key;
    }
    writeKeysFile(join(dir, 'keys.json'), file);
    board = await startService(
      'board',
      { REDIS_URL: env.redisUrl, REDIS_NAMESPACE: id, PROMETHEUS_URL: prom.url, BOARD_KEYS_FILE: join(dir, 'keys.json') },
      'BOARD_PORT',
    );
    // Both system alerts fire at the private Prometheus' first evaluations.
    await waitFor(
      async () => {
        const res = await fetch(`${board!.url}/v1/context`, { headers: { authorization: `Bearer ${keys.all}` } });
        return ((await res.json()) as { health: unknown[] | null }).health?.length === 2 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'two system alerts in the context' },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await board?.kill('SIGTERM');
    await prom?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The health section as the page shows it once the view is ready: each block's class and its items' alert names and texts. */
  async function healthShown(key: string, shot: string): Promise<{ cls: string; heading: string; items: { alert: string; text: string }[] }[]> {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    try {
      await page.goto(board!.url);
      await page.fill('#key-input', key);
      await page.click('#login-form button[type=submit]');
      // The context has come (the health is drawn with it), whatever the view then shows of an empty namespace.
      await page.waitForFunction(`!document.querySelector('#nav').hidden`, undefined, { timeout: 30_000 });
      await page.screenshot({ path: join(screenshotDir(), shot) });
      return await page.$$eval('#health:not([hidden]) .health', (blocks) =>
        blocks.map((b) => ({
          cls: b.className,
          heading: b.querySelector('strong')?.textContent ?? '',
          items: [...b.querySelectorAll('li')].map((li) => ({ alert: li.dataset.alert ?? '', text: (li.textContent ?? '').replace(/\s+\(từ [^)]+\)$/, '') })),
        })),
      );
    } finally {
      await page.close();
    }
  }

  it("the province's key: the critical alert (figures may be missing or stale) and the warning, not the unit's KPI alert", async () => {
    expect(await healthShown(keys.all, 'board-health-province.png')).toEqual([
      {
        cls: 'health critical',
        heading: 'Số liệu dưới đây có thể thiếu hoặc đã cũ:',
        items: [{ alert: 'ExporterDown', text: 'Dịch vụ xuất số liệu (exporter) 127.0.0.1:9464 không hoạt động' }],
      },
      {
        cls: 'health warning',
        heading: 'Cảnh báo của hệ thống theo dõi:',
        items: [{ alert: 'DvcCalendarEnding', text: 'Lịch ngày làm việc chính thức chỉ có đến 31/12/2026' }],
      },
    ]);
  });

  it("a unit head's key: the critical alert alone", async () => {
    expect(await healthShown(keys.unit, 'board-health-unit.png')).toEqual([
      {
        cls: 'health critical',
        heading: 'Số liệu dưới đây có thể thiếu hoặc đã cũ:',
        items: [{ alert: 'ExporterDown', text: 'Dịch vụ xuất số liệu (exporter) 127.0.0.1:9464 không hoạt động' }],
      },
    ]);
  });

  it('says first that Prometheus does not answer: nothing is evaluated and no notice is sent while it is down', async () => {
    await prom!.stop();
    const unanswered = {
      cls: 'health critical',
      heading: 'Số liệu dưới đây có thể thiếu hoặc đã cũ:',
      items: [
        {
          alert: '',
          text: 'Hệ thống theo dõi (Prometheus) không trả lời: không chỉ tiêu nào được đánh giá và không cảnh báo nào được gửi đến lãnh đạo đơn vị cho đến khi nó hoạt động lại.',
        },
      ],
    };
    expect(await healthShown(keys.all, 'board-health-unanswered.png')).toEqual([unanswered]);
    expect(await healthShown(keys.unit, 'board-health-unanswered-unit.png')).toEqual([unanswered]);
  });
});
