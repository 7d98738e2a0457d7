import { Redis } from 'ioredis';
import { ProjectionStore } from '@dvc/redis';
import { buildDashboards, panelQueries } from '@dvc/dashboards';
import { createUnitDirectory } from '@dvc/domain';
import { liveOverdueReader, parseAlertmanagerPayload, renderNotice, UNTITLED_ALERT, worklistUnits, type OverdueReading } from '@dvc/notifier';
import { createLiveView } from '@dvc/read-model';
import { ev, uniqueName, waitFor } from '@dvc/testing';
import { createTestTopics, testKafka } from '@dvc/kafka/testing';
import { CLOCK, FIGURES, PERIOD, generateBinhPhuoc2022, loadUnits, type ExpectedFigures, type ScenarioEvent } from '@dvc/scenario';
import { evaluationChainDepth, startPrometheus, type ActiveAlert, type PrivatePrometheus } from './prometheus.js';
import {
  TEST_PRODUCER_HEADERS,
  routingKey,
  produceAll,
  scrapeMetrics,
  stackEnv,
  startService,
  projectionProgress,
  waitForZeroLag,
  type ServiceProcess,
} from './stack.js';

/**
 * The June 2022 Bình Phước meeting, replayed: the scenario's whole history (about 450k events
 * for the province's real unit directory) goes straight into Kafka, the projector and the
 * exporter (event-time clock) run as processes, and every figure of the meeting is read back
 * from a real Prometheus and compared with the article: the exporter's series, and the
 * recording rule that carries each figure of the article (shared/metrics/README.md). The
 * Prometheus is the test's own (./prometheus.ts: the repository's rules, only this exporter
 * scraped), so the rules' values, window-less "now" figures included, are this history's alone.
 */
describe('Bình Phước 1 May – 22 June 2022: the meeting figures through Kafka → projector → exporter → Prometheus', () => {
  const id = uniqueName('bp').replace(/[^a-z0-9]/g, '');
  const env = stackEnv();
  const topic = `${id}.events`;
  const dlq = `${id}.dlq`;
  const common = {
    KAFKA_BROKERS: env.kafkaBrokers,
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: topic,
    DLQ_TOPIC: dlq,
    REDIS_NAMESPACE: id,
    PROJECTOR_GROUP: `${id}-projector`,
  };
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const redis = new Redis(env.redisUrl);
  let events: ScenarioEvent[] = [];
  let expected: ExpectedFigures;
  let projector: ServiceProcess | undefined;
  let exporter: ServiceProcess | undefined;
  let prom: PrivatePrometheus | undefined;

  const sel = `test_id="${id}"`;
  const W = `window="${PERIOD.id}"`;
  const W14 = `window="14d"`;
  const MAY = 'bp-2022-may';

  /** Applied counts straight from the projection's meta hashes. */
  const applied = async () => (await projectionProgress(redis, id)).applied;

  /** The single value of an instant query, or undefined when it has no (or several) series. */
  const value = async (query: string): Promise<number | undefined> => {
    const result = await prom!.query(query);
    return result.length === 1 ? result[0]?.value : undefined;
  };

  /** Polls Prometheus briefly (everything is already scraped) and compares with a readable message. */
  const expectValue = async (query: string, wanted: number, timeoutMs = 8_000) => {
    let last: number | undefined;
    await waitFor(
      async () => {
        last = await value(query);
        return last === wanted ? true : undefined;
      },
      { timeoutMs, intervalMs: 500, description: query },
    ).catch(() => undefined);
    expect({ query, value: last ?? 'no series' }).toEqual({ query, value: wanted });
  };

  /**
   * The notices of the active alerts as the notifier writes them: grouped as Alertmanager groups
   * them (infra/alertmanager/alertmanager.yml), each group's webhook payload parsed and rendered
   * by the notifier's own code with the given worklists, the clock at the case's instant.
   */
  const renderActiveNotices = (active: readonly ActiveAlert[], reading?: Pick<OverdueReading, 'worklists'>) => {
    const by = ['alertname', 'unit', 'level', 'window'];
    const groups = new Map<string, ActiveAlert[]>();
    for (const a of active) {
      const key = by.map((l) => `${l}=${a.labels[l] ?? ''}`).join(',');
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    const units = createUnitDirectory(loadUnits());
    return [...groups].map(([groupKey, alerts]) => {
      const labels = alerts[0]!.labels;
      const parsed = parseAlertmanagerPayload({
        version: '4',
        groupKey,
        status: 'firing',
        receiver: 'dvc-notifier',
        groupLabels: Object.fromEntries(by.flatMap((l) => (labels[l] === undefined ? [] : [[l, labels[l]]]))),
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: prom!.url,
        alerts: alerts.map((a) => ({ status: 'firing', labels: a.labels, annotations: a.annotations, startsAt: a.activeAt, endsAt: '0001-01-01T00:00:00Z' })),
      });
      if (!parsed.ok) throw new Error(`${groupKey}: ${parsed.problems.join('; ')}`);
      const notice = renderNotice({
        payload: parsed.payload,
        units,
        worklists: reading?.worklists ?? new Map(),
        dashboardUrl: 'http://grafana.example/d/dvc-unit-drilldown',
        now: Date.parse(CLOCK),
        asOf: Date.parse(CLOCK),
      });
      return { groupKey, name: labels.alertname ?? '', title: alerts[0]!.annotations.title_vi ?? UNTITLED_ALERT, notice };
    });
  };

  beforeAll(async () => {
    const started = Date.now();
    ({ events, expected } = generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }));
    console.log(`scenario: ${events.length} events generated and self-checked in ${Date.now() - started} ms`);
    await createTestTopics(kafka, { [topic]: 6, [dlq]: 1 });

    // The whole history is in the topic before the projector starts: it then consumes in
    // large batches instead of competing with the producer for the CPU. Prometheus and the
    // exporter start meanwhile (the producer runs in a worker thread).
    const produceStart = Date.now();
    const [producedInMs] = await Promise.all([
      produceAll(topic, events).then(() => Date.now() - produceStart),
      (async () => {
        prom = await startPrometheus(id);
        // As the demo runs (scripts/start.sh): the clock pinned at the instant the figures are computed at.
        exporter = await startService('exporter', { ...common, CLOCK_AS_OF: CLOCK }, 'EXPORTER_PORT');
        prom.registerExporter(id, exporter.port);
      })(),
    ]);

    const applyStart = Date.now();
    projector = await startService('projector', common, 'PROJECTOR_PORT');
    await waitFor(async () => ((await applied()) === events.length ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 1_000,
      description: `all ${events.length} events applied`,
    });
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP, topic, 60_000);
    // A scrape taken after the last write: every event counted, the clock at 22 June 17:00.
    await waitFor(
      async () => {
        const total = await value(`sum(dvc_projection_events_applied_total{${sel}})`);
        const clock = await value(`dvc_exporter_clock_timestamp_seconds{${sel}}`);
        return total === events.length && clock === Date.parse(CLOCK) / 1000 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, description: 'a Prometheus scrape with every event applied' },
    );
    console.log(
      `produced in ${producedInMs} ms (Prometheus and the exporter started meanwhile); projector started, everything applied and scraped in ${Date.now() - applyStart} ms`,
    );
  }, 420_000);

  afterAll(async () => {
    await Promise.all([projector?.kill('SIGTERM'), exporter?.kill('SIGTERM'), prom?.stop()]);
    await new ProjectionStore(redis, id).dropNamespace();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
  }, 120_000);

  it('generates the figures of the meeting (self-checked by the reference counter)', () => {
    expect(expected).toMatchObject({
      received: FIGURES.received,
      carriedOver: FIGURES.carriedOver,
      resolved: FIGURES.resolved,
      resolvedOverdue: FIGURES.resolvedOverdue,
      open: FIGURES.open,
      openOverdue: FIGURES.openOverdue,
      withdrawn: FIGURES.withdrawn,
      clock: CLOCK,
      feeOnline: FIGURES.feeOnline,
      landObligationOnline: FIGURES.landObligationOnline,
      reports: { online: FIGURES.reportsOnline },
      teams: FIGURES.teams,
      provinceUtilization: { onlineCapable: 271, withOnlineDossiers: 259, ratio: 0.9557 },
    });
    expect(expected.landObligationOnline.vnd).toBeGreaterThanOrEqual(75_000_000_000);
    expect(expected.events).toBe(events.length);
  });

  it('applies every event once and dead-letters none', async () => {
    await expectValue(`sum(dvc_projection_events_applied_total{${sel}})`, events.length);
    const projectorMetrics = await scrapeMetrics(projector!.url);
    const rejected = [...projectorMetrics].filter(([series]) => series.startsWith('dvc_projector_events_rejected_total'));
    expect(rejected.reduce((sum, [, n]) => sum + n, 0)).toBe(0);
  });

  describe(`period window ${PERIOD.id}`, () => {
    it('40,689 dossiers received', async () => {
      await expectValue(`sum(dvc_dossiers_received{${sel},${W}})`, 40_689);
    });
    it('52,379 dossiers carried over', async () => {
      await expectValue(`sum(dvc_dossiers_carried_over{${sel},${W}})`, 52_379);
    });
    it('43,645 dossiers resolved, 1,265 of them overdue: 2.90%', async () => {
      await expectValue(`sum(dvc_dossiers_resolved{${sel},${W}})`, 43_645);
      await expectValue(`sum(dvc_dossiers_resolved{${sel},${W},timeliness="overdue"})`, 1_265);
      await expectValue(`round(sum(dvc_dossiers_resolved{${sel},${W},timeliness="overdue"}) / sum(dvc_dossiers_resolved{${sel},${W}}), 0.0001)`, 0.029);
    });
    it('31 dossiers withdrawn', async () => {
      await expectValue(`sum(dvc_dossiers_withdrawn{${sel},${W}})`, 31);
    });
    it('113 online fee payments, 17,000,000 VND', async () => {
      await expectValue(`sum(dvc_payments{${sel},${W},kind="fee",channel="online"})`, 113);
      await expectValue(`sum(dvc_payments_vnd{${sel},${W},kind="fee",channel="online"})`, 17_000_000);
    });
    it(`4,889 online land-obligation payments, ${FIGURES.landObligationOnline.vnd.toLocaleString('en-US')} VND (over 75 billion)`, async () => {
      await expectValue(`sum(dvc_payments{${sel},${W},kind="land_obligation",channel="online"})`, 4_889);
      await expectValue(`sum(dvc_payments_vnd{${sel},${W},kind="land_obligation",channel="online"})`, expected.landObligationOnline.vnd);
    });
    it('13 reports submitted online', async () => {
      await expectValue(`sum(dvc_reports_submitted{${sel},${W},channel="online"})`, 13);
    });
    it('province online-service utilization 259 / 271 = 95.57%', async () => {
      await expectValue(`sum(dvc_procedures_online_capable{${sel},level="province"})`, 271);
      await expectValue(`sum(dvc_procedures_with_online_dossiers{${sel},${W},level="province"})`, 259);
      await expectValue(
        `round(sum(dvc_procedures_with_online_dossiers{${sel},${W},level="province"}) / sum(dvc_procedures_online_capable{${sel},level="province"}), 0.0001)`,
        0.9557,
      );
    });
    it('balances: carried over + received = resolved + open + withdrawn', async () => {
      const carried = await value(`sum(dvc_dossiers_carried_over{${sel},${W}})`);
      const received = await value(`sum(dvc_dossiers_received{${sel},${W}})`);
      const resolved = await value(`sum(dvc_dossiers_resolved{${sel},${W}})`);
      const open = await value(`sum(dvc_dossiers_open{${sel}})`);
      const withdrawn = await value(`sum(dvc_dossiers_withdrawn{${sel},${W}})`);
      expect({ carried, received, resolved, open, withdrawn }).toEqual({
        carried: 52_379,
        received: 40_689,
        resolved: 43_645,
        open: 49_392,
        withdrawn: 31,
      });
      expect((carried ?? 0) + (received ?? 0)).toBe((resolved ?? 0) + (open ?? 0) + (withdrawn ?? 0));
    });
  });

  describe('now (event-time clock 22 June 2022 17:00)', () => {
    it('49,392 dossiers still in progress, 21 of them overdue', async () => {
      await expectValue(`sum(dvc_dossiers_open{${sel}})`, 49_392);
      await expectValue(`sum(dvc_dossiers_open{${sel},state="overdue"})`, 21);
      await expectValue(`sum(dvc_dossiers_open{${sel},state="paused"})`, expected.openPaused);
      await expectValue(`sum(dvc_dossiers_open{${sel},state="in_time"})`, expected.openInTime);
    });
    it('per level, open and overdue as the reference counter says', async () => {
      for (const [level, figures] of Object.entries(expected.byLevel)) {
        await expectValue(`sum(dvc_dossiers_open{${sel},level="${level}"})`, figures.open);
        await expectValue(`sum(dvc_dossiers_open{${sel},level="${level}",state="overdue"})`, figures.openOverdue);
      }
    });
    it('community technology teams: 111 commune-level (1,080 members), 844 village-level (5,520 members)', async () => {
      await expectValue(`sum(dvc_community_teams{${sel},team_level="commune"})`, 111);
      await expectValue(`sum(dvc_community_team_members{${sel},team_level="commune"})`, 1_080);
      await expectValue(`sum(dvc_community_teams{${sel},team_level="village"})`, 844);
      await expectValue(`sum(dvc_community_team_members{${sel},team_level="village"})`, 5_520);
    });
  });

  describe('rolling window 14d (9–22 June), recounted independently from the events', () => {
    const w = () => expected.windows['14d']!;
    it('received by channel', async () => {
      for (const channel of ['online', 'direct', 'postal'] as const) {
        await expectValue(`sum(dvc_dossiers_received{${sel},${W14},channel="${channel}"})`, w().received[channel] ?? 0);
      }
    });
    it('resolved by timeliness, processed online, withdrawn, digitized', async () => {
      await expectValue(`sum(dvc_dossiers_resolved{${sel},${W14},timeliness="on_time"})`, w().resolved.on_time);
      await expectValue(`sum(dvc_dossiers_resolved{${sel},${W14},timeliness="overdue"})`, w().resolved.overdue);
      await expectValue(`sum(dvc_dossiers_resolved{${sel},${W14},processing="online"})`, w().processedOnline);
      await expectValue(`sum(dvc_dossiers_withdrawn{${sel},${W14}})`, w().withdrawn);
      await expectValue(`sum(dvc_dossiers_digitized{${sel},${W14}})`, w().digitized);
    });
    it('payments and reports', async () => {
      for (const [key, amount] of Object.entries(w().payments)) {
        const [kind, channel] = key.split(':');
        await expectValue(`sum(dvc_payments{${sel},${W14},kind="${kind}",channel="${channel}"})`, amount.count);
        await expectValue(`sum(dvc_payments_vnd{${sel},${W14},kind="${kind}",channel="${channel}"})`, amount.vnd);
      }
      await expectValue(`sum(dvc_reports_submitted{${sel},${W14},channel="online"})`, w().reports.online);
      await expectValue(`sum(dvc_reports_submitted{${sel},${W14},channel="offline"})`, w().reports.offline);
    });
  });

  describe('every figure of the article under the recording rule named for it (table in shared/metrics/README.md)', () => {
    const R = `window="${PERIOD.id}"`;
    // Recording rules answer after the evaluation that follows the scrape.
    const rule = (query: string, wanted: number) => expectValue(query, wanted, 30_000);
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

    it('online services that received dossiers at province level: 259 / 271 = 95.57%; every unit of the province is another figure', async () => {
      await rule(`dvc:online_service_utilization:province_level{${R}}`, 259 / 271);
      await rule(`round(dvc:online_service_utilization:province_level{${R}}, 0.0001)`, 0.9557);
      await rule(`dvc:online_service_utilization:by_level{${R},level="province"}`, 259 / 271);
      const wide = total(expected.procedures.withOnlineDossiers) / total(expected.procedures.onlineCapable);
      expect(wide).toBeLessThan(0.9);
      await rule(`dvc:online_service_utilization:province_wide{${R}}`, wide);
      expect(await value(`dvc:online_service_utilization:province{${R}}`)).toBeUndefined();
    });
    it('40,689 received, 52,379 carried over, 93,068 to resolve', async () => {
      await rule(`dvc:dossiers_received:sum_province{${R}}`, 40_689);
      await rule(`dvc:dossiers_carried_over:sum_province{${R}}`, 52_379);
      await rule(`dvc:dossiers_to_resolve:sum_province{${R}}`, 93_068);
    });
    it('43,645 resolved, 1,265 of them overdue: 2.9%', async () => {
      await rule(`dvc:dossiers_resolved:sum_province{${R}}`, 43_645);
      await rule(`dvc:dossiers_overdue:sum_province{${R}}`, 1_265);
      await rule(`dvc:overdue_ratio:province{${R}}`, 1_265 / 43_645);
      await rule(`round(dvc:overdue_ratio:province{${R}}, 0.001)`, 0.029);
    });
    it('49,392 still in progress, 21 of them overdue; 31 neither (withdrawn)', async () => {
      await rule('dvc:dossiers_open:sum_province', 49_392);
      await rule('dvc:dossiers_open_overdue:sum_province', 21);
      await rule(`dvc:dossiers_withdrawn:sum_province{${R}}`, 31);
      await expectValue(`sum(dvc_dossiers_open_at_end{${sel},${W}})`, 49_392);
    });
    it('3.78% overdue before 1 June (window bp-2022-may), down 0.88 points by 22 June', async () => {
      const may = expected.resolvedByMonth['2022-05']!;
      expect(may).toEqual({ resolved: 24_000, overdue: 907, processedOnline: 21_643 });
      await rule(`dvc:dossiers_resolved:sum_province{window="${MAY}"}`, 24_000);
      await rule(`dvc:dossiers_overdue:sum_province{window="${MAY}"}`, 907);
      await rule(`dvc:overdue_ratio:province{window="${MAY}"}`, 907 / 24_000);
      await rule(`round(dvc:overdue_ratio:province{window="${MAY}"}, 0.0001)`, 0.0378);
      await rule(`round(100 * (dvc:overdue_ratio:province{${R}} - on () dvc:overdue_ratio:province{window="${MAY}"}), 0.01)`, -0.88);
    });
    it('processed online: 90.18% when the campaign began (May), 100% by 22 June (14 days to 22 June)', async () => {
      await rule(`dvc:dossiers_processed_online:sum_province{window="${MAY}"}`, 21_643);
      await rule(`dvc:processed_online_share:province{window="${MAY}"}`, 21_643 / 24_000);
      await rule(`round(dvc:processed_online_share:province{window="${MAY}"}, 0.0001)`, 0.9018);
      const w = expected.windows['14d']!;
      expect(w.processedOnline).toBe(w.resolved.on_time + w.resolved.overdue);
      await rule(`dvc:dossiers_processed_online:sum_province{${W14}}`, w.processedOnline);
      await rule(`dvc:processed_online_share:province{${W14}}`, 1);
    });
    it('13 reports received by GRIS', async () => {
      await rule(`dvc:reports_submitted_online:sum_province{${R}}`, 13);
    });
    it('113 online fee payments for 17,000,000 VND; 4,889 online land-obligation payments for over 75,000,000,000 VND', async () => {
      await rule(`dvc:payments:sum_province{${R},kind="fee",channel="online"}`, 113);
      await rule(`dvc:payments_vnd:sum_province{${R},kind="fee",channel="online"}`, 17_000_000);
      await rule(`dvc:payments:sum_province{${R},kind="land_obligation",channel="online"}`, 4_889);
      await rule(`dvc:payments_vnd:sum_province{${R},kind="land_obligation",channel="online"}`, FIGURES.landObligationOnline.vnd);
      expect(FIGURES.landObligationOnline.vnd).toBeGreaterThan(75_000_000_000);
    });
    it('111 commune-level community teams with 1,080 members, 844 village-level with 5,520', async () => {
      await rule('dvc:community_teams:sum_province{team_level="commune"}', 111);
      await rule('dvc:community_team_members:sum_province{team_level="commune"}', 1_080);
      await rule('dvc:community_teams:sum_province{team_level="village"}', 844);
      await rule('dvc:community_team_members:sum_province{team_level="village"}', 5_520);
    });
  });

  it("titles every notice of the case's alerts with the rule's Vietnamese title, never the alert name", async () => {
    // With the clock at 22 June many units' 14-day overdue shares are above 1%: the alerts are
    // active (pending or firing) one evaluation after the recording rules they read.
    let active: ActiveAlert[] = [];
    await waitFor(
      async () => {
        active = await prom!.alerts();
        return active.some((a) => a.labels.alertname === 'OverdueRatioAboveTarget') ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, description: 'the overdue-ratio alerts of the case active' },
    );
    const wrong: string[] = [];
    const names = new Map<string, number>();
    for (const { groupKey, name, title, notice } of renderActiveNotices(active)) {
      names.set(name, (names.get(name) ?? 0) + 1);
      const heading = notice.text.split('\n').find((line) => line.startsWith('CẢNH BÁO: '));
      if (title === UNTITLED_ALERT || notice.subject.includes(name) || !notice.subject.includes(`: ${title}`) || heading !== `CẢNH BÁO: ${title}`) {
        wrong.push(`${groupKey}: subject "${notice.subject}", heading "${heading ?? ''}"`);
      }
    }
    console.log(`notices of the case's active alerts by alert name: ${JSON.stringify(Object.fromEntries(names))}`);
    expect(wrong).toEqual([]);
    expect(names.get('OverdueRatioAboveTarget')).toBeGreaterThan(0);
  });

  it('answers every dashboard panel query without error, with data where the scenario has it', async () => {
    const errors: string[] = [];
    const expectingData: { where: string; expr: string }[] = [];
    for (const spec of buildDashboards()) {
      const queries = panelQueries(spec, { window: PERIOD.id, level: 'province', unit: 'bp.stnmt' }, { matchers: sel, rateInterval: '1m' });
      for (const q of queries) {
        const where = `${q.dashboard}#${q.panelId} ${q.title}`;
        try {
          await prom!.query(q.expr);
        } catch (error) {
          errors.push(`${where}: ${(error as Error).message}`);
        }
        // Pipeline panels need the ingest and projector scraped, which this test does not do
        // (tests/src/dashboards.e2e.spec.ts covers them); the business panels must show data.
        if (q.expectData && spec.uid !== 'dvc-pipeline-health') expectingData.push({ where, expr: q.expr });
      }
    }
    expect(errors).toEqual([]);
    // Recording rules answer after their next evaluation.
    let empty: string[] = [];
    await waitFor(
      async () => {
        empty = [];
        for (const q of expectingData) if ((await prom!.query(q.expr)).length === 0) empty.push(q.where);
        return empty.length === 0 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, description: 'data on every business panel' },
    ).catch(() => undefined);
    expect(empty).toEqual([]);
  });

  describe('bad input changes nothing: the issue-10 events sent into the running case', () => {
    const unit = 'bp.stnmt';
    const inCase = new Date(Date.parse(CLOCK) - 86_400_000).toISOString();
    const bad = [
      ev.received(unit, `${id}-2099`, '2099-01-01T00:00:00+07:00', 'online', { processingDays: 5 }),
      ev.received(unit, `${id}-1990`, '1990-01-01T08:00:00+07:00', 'online', { processingDays: 5 }),
      ev.received(`bp.x${id.slice(-8)}`, `${id}-NEW`, inCase, 'direct', { processingDays: 3 }),
      ...Array.from({ length: 500 }, (_, i) =>
        ev.received(`rnd.${id.slice(-6)}.${((i * 2_654_435_761) % 2 ** 32).toString(36)}`, `${id}-RND-${i}`, inCase, 'online', { processingDays: 5 }),
      ),
    ];
    /** What people see: the exported figures, the figures' rules, the alerts and the notices with their named overdue dossiers. */
    const observe = async () => {
      const exported = [...(await scrapeMetrics(exporter!.url))].filter(([series]) =>
        /^dvc_(dossiers|payments|reports|procedures|community|unknown_units)/.test(series),
      );
      const line = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
      // The windowed burn-rate rules and alerts (increase over the last minutes) move with the wall clock by design.
      const rules = (await prom!.query('{__name__=~"dvc:.+", __name__!~"dvc:.+:(increase|last).+"}')).map((r) => `${line(r.metric)} ${r.value}`).sort();
      const active = (await prom!.alerts()).filter((a) => !/Burn/.test(a.labels.alertname ?? ''));
      const live = createLiveView({ redis, base: id, clock: { mode: 'as-of', asOfMs: Date.parse(CLOCK) }, wall: Date.now });
      // The worklists the notifier reads for these alerts (worklistUnits).
      const reading = await liveOverdueReader(redis, live, 10_000).read(worklistUnits(active.map((a) => ({ status: 'firing', labels: a.labels }))));
      // The annotation lines carry the value Prometheus saw at its own last evaluation of each alert,
      // which trails the rules by an evaluation or more; the figures themselves are compared above.
      const notices = renderActiveNotices(active, reading)
        .map(
          ({ notice }) =>
            `${notice.subject}\n${notice.text
              .split('\n')
              .filter((line) => !/^(Giá trị so với mục tiêu|Tóm tắt|Chi tiết): /.test(line))
              .join('\n')}`,
        )
        .sort();
      return {
        exported: Object.fromEntries(exported),
        rules,
        alerts: active.map((a) => line(a.labels)).sort(),
        notices,
        firing: active.filter((a) => a.state === 'firing').map((a) => line(a.labels)),
      };
    };

    /** The parts of an observation that must be equal before and after (not the alerts' states: a pending alert fires once its `for:` has passed). */
    const comparable = ({ exported, rules, alerts, notices }: Awaited<ReturnType<typeof observe>>) => JSON.stringify({ exported, rules, alerts, notices });

    /**
     * An observation that the rules have caught up with: a first look, then as many rounds of rule
     * evaluation as a scraped value needs to reach an alert (every rule group evaluated after the
     * previous round ended: the per-unit rules, the aggregates read from them, the alerts read from
     * both; evaluationChainDepth), then a second look, repeated until two such looks agree. An
     * alert becomes active at the first evaluation of its group that reads its inputs, and the
     * alerting group may take longer than the interval (each active alert's annotations run
     * queries), so looks a fixed time apart may both catch the alert set still filling up.
     */
    const settled = async (what: string) => {
      const depth = evaluationChainDepth(await prom!.ruleGroups());
      const deadline = Date.now() + 240_000;
      let last = await observe();
      for (let looks = 2; ; looks++) {
        const groups = await prom!.evaluationRounds(depth, Date.now(), Math.max(deadline - Date.now(), 1));
        const next = await observe();
        if (comparable(next) === comparable(last)) {
          const slowest = groups.reduce((a, b) => (b.tookMs > a.tookMs ? b : a));
          console.log(
            `${what}: settled after ${looks} looks, ${depth} rounds of rule evaluation apart (slowest group ${slowest.name}: ${Math.round(slowest.tookMs)} ms an evaluation)`,
          );
          return next;
        }
        if (Date.now() > deadline) throw new Error(`${what}: no two equal observations ${depth} rounds of rule evaluation apart in 240 s`);
        last = next;
      }
    };

    it('dead-letters the 2099 and 1990 events, the unknown unit and the 500 random unit ids; every figure, alert and notice stays as it was', async () => {
      const before = await settled('before the bad events');
      const beforeAt = Date.now();
      expect(before.alerts.some((a) => a.includes('"OverdueRatioAboveTarget"'))).toBe(true);
      expect(before.notices.some((n) => n.includes('hồ sơ quá hạn lâu nhất'))).toBe(true);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: bad.map((e) => ({ key: routingKey(e), value: JSON.stringify(e), headers: TEST_PRODUCER_HEADERS })) });
      await producer.disconnect();
      const sentAt = Date.now();
      const rejected = async (code: string) =>
        (await scrapeMetrics(projector!.url)).get(`dvc_projector_events_rejected_total{stage="admission",code="${code}"}`) ?? 0;
      await waitFor(async () => ((await rejected('unknown-unit')) === 501 ? true : undefined), {
        timeoutMs: 60_000,
        description: '501 unknown-unit events dead-lettered',
      });
      await waitForZeroLag(kafka, common.PROJECTOR_GROUP, topic, 60_000);
      expect({ future: await rejected('future-time'), past: await rejected('before-history-start'), unknown: await rejected('unknown-unit') }).toEqual({
        future: 1,
        past: 1,
        unknown: 501,
      });
      expect(await applied()).toBe(events.length);
      // A scrape and two rule evaluations after the last rejection, so the figures below are the new ones.
      await waitFor(async () => (((await value(`timestamp(dvc_exporter_clock_timestamp_seconds{${sel}})`)) ?? 0) * 1000 > sentAt + 7_000 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 1_000,
        description: 'a scrape after the bad events',
      });
      const after = await settled('after the bad events');
      expect(after.exported).toEqual(before.exported);
      expect(after.rules).toEqual(before.rules);
      expect(after.alerts).toEqual(before.alerts);
      // An alert firing before still fires: had its expression been false at any evaluation in
      // between, it would have been reset to pending (or gone) and would not fire again before its
      // `for:`. A failed scrape of the exporter resets every alert too (its series go stale), so
      // this is compared only when every scrape in between succeeded.
      const stoppedFiring = before.firing.filter((a) => !after.firing.includes(a));
      const span = Math.ceil((Date.now() - beforeAt) / 1000) + 1;
      if ((await value(`min_over_time(up{job="dvc-exporter",${sel}}[${span}s])`)) === 1) expect(stoppedFiring).toEqual([]);
      else
        console.log(
          `a scrape of the exporter failed in the last ${span} s: alerts firing before and not after not compared (${stoppedFiring.join(', ') || 'none'})`,
        );
      expect(after.notices).toEqual(before.notices);
      console.log(
        `after 503 bad events: ${Object.keys(after.exported).length} series, ${after.rules.length} rule series, ${after.alerts.length} alerts (${before.firing.length} firing before, ${after.firing.length} after), ${after.notices.length} notices unchanged`,
      );
    }, 420_000);
  });
});
