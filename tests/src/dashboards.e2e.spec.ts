import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ProjectionStore } from '@dvc/redis';
import { ev, postBatch, uniqueName, waitFor } from '@dvc/testing';
// The package's source, not its dist: the e2e does not depend on build order.
import { buildDashboards, panelQueries, variableQueries, type DashboardSpec, type PanelQuery } from '@dvc/dashboards';
import { REPO_ROOT, promQuery, registerScrapeTarget, scrapeMetrics, stackEnv, startService, serviceEnv, type ServiceProcess } from './stack.js';

/**
 * Every panel query of every generated Grafana dashboard, run against the real Prometheus.
 *
 * A compact history (four real units of the three levels, June 2022) goes through ingest →
 * Kafka → projector → Redis → exporter (clock pinned at 22 June 17:00) and is scraped by the real Prometheus.
 * Isolation from other tests' series: raw-metric selectors get `test_id="<id>"` through the
 * dashboards' `{{sel}}` placeholder; recording rules drop target labels, so the services run
 * with a private copy of infra/data whose targets file adds a fixed period `<id>` (June 2022)
 * with every seed target: the recording-rule series of that window are ours alone.
 *
 * Each query must succeed; queries that expect data must return at least one series (recording
 * rules need an evaluation after the scrape, hence the polling).
 */

const UNITS = [
  { unit: 'bp.stnmt', level: 'province' }, // a department
  { unit: 'bp.dongxoai', level: 'district' }, // a district desk
  { unit: 'bp.dongxoai.cnvpdd', level: 'district' }, // a land registration branch (utilization target)
  { unit: 'bp.dongxoai.tanbinh', level: 'commune' }, // a commune desk (utilization target)
] as const;

let sequence = 0;
/** Event types the shared builders do not cover. */
function envelope(type: string, subject: string, unit: string, time: string, data: Record<string, unknown>) {
  sequence += 1;
  return {
    specversion: '1.0',
    id: `${subject}-${type.split('.').pop()}-x${sequence}`,
    source: 'test/portal',
    type,
    time,
    subject,
    unitid: unit,
    data: { ...data, unitId: unit },
  };
}

const at = (day: string, hm = '08:00') => `2022-${day}T${hm}:00+07:00`;

/**
 * Per unit: a dossier carried over from May, resolved on time online and overdue on paper, open
 * in time / due soon / overdue / paused, withdrawn, digitized, extended, two supplement requests
 * (an integrity flag), a late receipt and an online submission never received; payments of both
 * kinds on both channels; reports online and offline; three published procedures (two online
 * capable); community teams at the commune. The last event is at 22 June 17:00, the pinned clock.
 */
function history(): unknown[] {
  const events: unknown[] = [];
  for (const { unit } of UNITS) {
    const d = (n: number) => `${unit}-D${n}`;
    const p = (n: number) => `${unit}-P${n}`;
    const recv = (n: number, day: string, channel: string, due: string, procedure = p(2)) =>
      ev.received(unit, d(n), at(day), channel, { dueAt: due, procedureId: procedure });
    events.push(
      envelope('vn.dvc.procedure.published', p(1), unit, at('06-01'), { procedureId: p(1), onlineCapable: true }),
      envelope('vn.dvc.procedure.published', p(2), unit, at('06-01'), { procedureId: p(2), onlineCapable: true }),
      envelope('vn.dvc.procedure.published', p(3), unit, at('06-01'), { procedureId: p(3), onlineCapable: false }),
      // Carried over into June, resolved on time.
      recv(0, '05-25', 'direct', at('06-05', '17:00')),
      ev.resolved(unit, d(0), at('06-03', '10:00'), false),
      // Online, digitized, resolved on time online, fee paid online.
      recv(1, '06-10', 'online', at('06-14', '17:00'), p(1)),
      ev.digitized(unit, d(1), at('06-10', '09:00')),
      ev.resolved(unit, d(1), at('06-13', '10:00'), true),
      envelope('vn.dvc.payment.completed', `${unit}-PAY1`, unit, at('06-13', '11:00'), {
        paymentId: `${unit}-PAY1`,
        dossierId: d(1),
        kind: 'fee',
        channel: 'online',
        amountVnd: 50_000,
        paidAt: at('06-13', '11:00'),
      }),
      // Resolved after its due time: overdue.
      recv(2, '06-10', 'direct', at('06-14', '17:00')),
      ev.resolved(unit, d(2), at('06-16', '10:00'), false),
      // Open: in time, due within 24 h (digitized), overdue, paused.
      recv(3, '06-21', 'online', at('06-24', '17:00'), p(1)),
      recv(4, '06-20', 'direct', at('06-23', '10:00')),
      ev.digitized(unit, d(4), at('06-20', '09:00')),
      recv(5, '06-15', 'direct', at('06-17', '17:00')),
      recv(6, '06-20', 'direct', at('06-28', '17:00')),
      ev.supplementRequested(unit, d(6), at('06-21', '09:00')),
      // Withdrawn.
      recv(7, '06-12', 'direct', at('06-20', '17:00')),
      ev.withdrawn(unit, d(7), at('06-14', '10:00')),
      // Submitted online on Monday 13 June, received on Thursday: late receipt.
      envelope('vn.dvc.dossier.submitted', d(8), unit, at('06-13'), { dossierId: d(8), procedureId: p(1), submittedAt: at('06-13') }),
      recv(8, '06-16', 'online', at('06-20', '17:00'), p(1)),
      ev.resolved(unit, d(8), at('06-17', '10:00'), true),
      // Submitted online, never received: receipt overdue now.
      envelope('vn.dvc.dossier.submitted', d(9), unit, at('06-20'), { dossierId: d(9), procedureId: p(1), submittedAt: at('06-20') }),
      // Apology letter, resolved after the first due time: extended and overdue.
      recv(10, '06-13', 'direct', at('06-16', '17:00')),
      envelope('vn.dvc.dossier.deadline_extended', d(10), unit, at('06-16', '10:00'), {
        dossierId: d(10),
        at: at('06-16', '10:00'),
        newDueAt: at('06-18', '17:00'),
      }),
      ev.resolved(unit, d(10), at('06-17', '10:00'), false),
      // Two supplement requests: overdue and an integrity flag.
      recv(11, '06-13', 'direct', at('06-20', '17:00')),
      ev.supplementRequested(unit, d(11), at('06-14', '09:00')),
      ev.supplementReceived(unit, d(11), at('06-14', '10:00')),
      ev.supplementRequested(unit, d(11), at('06-15', '09:00')),
      ev.supplementReceived(unit, d(11), at('06-15', '10:00')),
      ev.resolved(unit, d(11), at('06-16', '10:00'), false),
      // Payments and reports.
      ev.payment(unit, `${unit}-PAY2`, at('06-14'), 'fee', 'offline', 30_000),
      ev.payment(unit, `${unit}-PAY3`, at('06-15'), 'land_obligation', 'online', 10_000_000),
      ev.payment(unit, `${unit}-PAY4`, at('06-15'), 'land_obligation', 'offline', 5_000_000),
      ev.report(unit, `${unit}-R1`, at('06-15'), 'online'),
      ev.report(unit, `${unit}-R2`, at('06-16'), 'online'),
      ev.report(unit, `${unit}-R3`, at('06-17'), 'offline'),
    );
  }
  const commune = 'bp.dongxoai.tanbinh';
  events.push(
    envelope('vn.dvc.community_team.registered', `${commune}-T1`, commune, at('06-02'), { teamId: `${commune}-T1`, teamLevel: 'commune', members: 10 }),
    envelope('vn.dvc.community_team.registered', `${commune}-T2`, commune, at('06-02'), { teamId: `${commune}-T2`, teamLevel: 'village', members: 6 }),
    // The last event in business time, at the clock the exporter is pinned to (CLOCK_AS_OF).
    ev.report(commune, `${commune}-R9`, at('06-22', '17:00'), 'online'),
  );
  return events;
}

describe('Grafana dashboards: every panel query against the real Prometheus', () => {
  const id = uniqueName('dash').replace(/[^a-z0-9]/g, '');
  const period = id; // a fixed period of our own: recording-rule series of this window are ours alone
  const env = stackEnv();
  const common = {
    ...serviceEnv(id),
    DATA_DIR: '',
  };
  const events = history();
  const dashboards = buildDashboards();
  const redis = new Redis(env.redisUrl);
  const cleanups: (() => void)[] = [];
  let dataDir = '';
  let ingest: ServiceProcess | undefined;
  let projector: ServiceProcess | undefined;
  let exporter: ServiceProcess | undefined;

  /** A file_sd target of the dvc-services job with our test_id (projector, ingest). */
  const registerService = (name: string, port: number) => {
    const file = join(env.targetsDir, `test-${id}-${name}.json`);
    writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { job: `dvc-${name}`, test_id: id } }]));
    return () => rmSync(file, { force: true });
  };

  beforeAll(async () => {
    // A private copy of infra/data with the test period carrying every seed target.
    dataDir = mkdtempSync(join(tmpdir(), `${id}-data-`));
    const source = join(REPO_ROOT, 'infra', 'data');
    symlinkSync(join(source, 'calendar'), join(dataDir, 'calendar'));
    copyFileSync(join(source, 'units.json'), join(dataDir, 'units.json'));
    copyFileSync(join(source, 'procedures.json'), join(dataDir, 'procedures.json'));
    const targets = JSON.parse(readFileSync(join(source, 'targets.json'), 'utf8')) as {
      periods: { id: string; name: string; from: string; to: string }[];
      targets: { windows: string[] }[];
    };
    targets.periods.push({ id: period, name: 'dashboards e2e', from: '2022-06-01', to: '2022-06-30' });
    for (const t of targets.targets) t.windows.push(period);
    writeFileSync(join(dataDir, 'targets.json'), JSON.stringify(targets, null, 2));
    common.DATA_DIR = dataDir;

    const started = Date.now();
    projector = await startService('projector', { ...common, PROJECTOR_GROUP: `${id}-projector` }, 'PROJECTOR_PORT');
    exporter = await startService('exporter', { ...common, CLOCK_AS_OF: at('06-22', '17:00') }, 'EXPORTER_PORT');
    ingest = await startService('ingest', { ...common, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT');
    await waitFor(async () => ((await fetch(`${ingest!.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
    cleanups.push(registerScrapeTarget(id, exporter.port), registerService('projector', projector.port), registerService('ingest', ingest.port));

    const res = await postBatch(ingest.url, events);
    expect(res.status).toBe(202);
    // A batch sent twice: its events are counted as duplicates, not applied again.
    const again = await postBatch(ingest.url, events.slice(0, 5));
    expect(again.status).toBe(202);
    await waitFor(
      async () => {
        let applied = 0;
        let duplicates = 0;
        for (const [series, value] of await scrapeMetrics(exporter!.url)) {
          if (series.startsWith('dvc_projection_events_applied_total')) applied += value;
          if (series.startsWith('dvc_projection_events_duplicate_total')) duplicates += value;
        }
        return applied === events.length && duplicates === 5 ? true : undefined;
      },
      { timeoutMs: 60_000, description: `${events.length} events applied, 5 duplicates` },
    );
    console.log(`dashboards e2e: ${events.length} events applied in ${Date.now() - started} ms`);
  }, 180_000);

  afterAll(async () => {
    for (const cleanup of cleanups) cleanup();
    await Promise.all([ingest?.kill('SIGTERM'), projector?.kill('SIGTERM'), exporter?.kill('SIGTERM')]);
    await new ProjectionStore(redis, id).dropNamespace();
    redis.disconnect();
    if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const spec = (uid: string): DashboardSpec => {
    const found = dashboards.find((d) => d.uid === uid);
    if (found === undefined) throw new Error(`no dashboard ${uid}`);
    return found;
  };
  const matchers = () => `test_id="${id}"`;

  /** Runs one query; waits (rules evaluate after the scrape) until it has data when data is expected. */
  const run = async (q: PanelQuery, timeoutMs = 120_000) => {
    const where = `${q.dashboard} panel ${q.panelId} ${q.refId} (${q.title}): ${q.expr}`;
    let result = await promQuery(q.expr).catch((error: Error) => {
      throw new Error(`${where}\n  failed: ${error.message}`);
    });
    if (q.expectData && result.length === 0) {
      result = await waitFor(
        async () => {
          const r = await promQuery(q.expr);
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs, intervalMs: 1_000, description: where },
      ).catch(() => []);
    }
    return { where, result };
  };

  const checkAll = async (queries: PanelQuery[]) => {
    const empty: string[] = [];
    for (const q of queries) {
      const { where, result } = await run(q);
      if (q.expectData && result.length === 0) empty.push(where);
    }
    expect(empty).toEqual([]);
  };

  it('has panels on all three dashboards', () => {
    expect(dashboards.map((d) => d.uid)).toEqual(['dvc-province-overview', 'dvc-unit-drilldown', 'dvc-pipeline-health']);
  });

  it('province overview: every query succeeds, with data, for the test window', async () => {
    await checkAll(panelQueries(spec('dvc-province-overview'), { window: period }, { matchers: matchers(), rateInterval: '1m' }));
  }, 240_000);

  it('province overview: the balance panel balances and the targets are drawn', async () => {
    const queries = panelQueries(spec('dvc-province-overview'), { window: period }, { matchers: matchers() });
    const value = async (panelId: number, refId: string) => {
      const q = queries.find((x) => x.panelId === panelId && x.refId === refId)!;
      const { result } = await run({ ...q, expectData: true });
      return result[0]?.value;
    };
    // Per unit: 1 carried over + 10 received = 6 resolved + 4 open + 1 withdrawn.
    expect(await value(127, 'C')).toBe(UNITS.length);
    expect(await value(127, 'A')).toBe(11 * UNITS.length);
    expect(await value(127, 'B')).toBe(11 * UNITS.length);
    // 3 of 6 resolved overdue in every unit.
    expect(await value(101, 'A')).toBe(0.5);
    expect(await value(101, 'B')).toBe(0.01);
    expect(await value(102, 'B')).toBe(0.25);
    expect(await value(106, 'B')).toBe(1);
    expect(await value(107, 'B')).toBe(0.8);
  }, 240_000);

  it.each(UNITS.map((u) => [u.unit, u.level]))(
    'unit drill-down for %s (%s): every query succeeds, with data',
    async (unit, level) => {
      await checkAll(panelQueries(spec('dvc-unit-drilldown'), { window: period, level, unit }, { matchers: matchers(), rateInterval: '1m' }));
    },
    240_000,
  );

  it('unit drill-down: the unit variable lists the units of the chosen level', async () => {
    const [, , unitVar] = variableQueries(spec('dvc-unit-drilldown'), { level: 'district' });
    expect(unitVar?.query).toBe('label_values(dvc_dossiers_received{level="district"}, unit)');
    // label_values(<selector>, unit) is Prometheus's label-values API with a match[].
    const res = await fetch(
      `${env.prometheusUrl}/api/v1/label/unit/values?match[]=${encodeURIComponent(`dvc_dossiers_received{level="district",test_id="${id}"}`)}`,
    );
    const body = (await res.json()) as { status: string; data: string[] };
    expect(body.status).toBe('success');
    expect(body.data.sort()).toEqual(['bp.dongxoai', 'bp.dongxoai.cnvpdd']);
  });

  it('pipeline health: every query succeeds, with data', async () => {
    await checkAll(panelQueries(spec('dvc-pipeline-health'), {}, { matchers: matchers(), rateInterval: '1m' }));
  }, 240_000);

  it('every query also runs on the rolling window 14d and the Bình Phước report period (no query errors)', async () => {
    for (const window of ['14d', 'bp-2022-report']) {
      const queries = [
        ...panelQueries(spec('dvc-province-overview'), { window }, { matchers: matchers(), rateInterval: '1m' }),
        ...panelQueries(spec('dvc-unit-drilldown'), { window, level: 'commune', unit: 'bp.dongxoai.tanbinh' }, { matchers: matchers(), rateInterval: '1m' }),
      ];
      for (const q of queries) await promQuery(q.expr);
    }
  }, 120_000);
});
