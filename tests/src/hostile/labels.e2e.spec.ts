import { Redis } from 'ioredis';
import { ProjectionStore } from '@dvc/redis';
import { ev, labelValues, postBatch, uniqueName, waitFor } from '@dvc/testing';
import { UNKNOWN_UNITS_ACCEPTED, projectionProgress, serviceEnv, startService, stackEnv, type ServiceProcess } from '../stack.js';

/**
 * Label hygiene (ARCHITECTURE.md#metrics: no dossier ids or personal data in labels): after a history
 * whose events carry dossier, payment, report and team ids, applicant details in extension
 * attributes and free-text reasons, no label value of the exporter, projector or ingest equals
 * (or contains) any of them.
 */
describe('metric labels carry no ids or personal data', () => {
  const id = uniqueName('labels').replace(/[^a-z0-9]/g, '');
  const unit = `labels.${id}`;
  const env = { ...serviceEnv(id), ...UNKNOWN_UNITS_ACCEPTED };
  const redis = new Redis(stackEnv().redisUrl);
  let services: ServiceProcess[] = [];

  const T = (day: number, hour = 8) => `2022-06-${day}T${String(hour).padStart(2, '0')}:00:00+07:00`;
  const applicant = {
    applicantname: 'Nguyễn Thị Hồng Nhung',
    applicantphone: '0912345678',
    applicantidnumber: '079203004512',
    applicantemail: 'nhung.nguyen@example.vn',
  };
  const dossier = (n: number) => `000.00.${String(n).padStart(2, '0')}.H10-220620-${String(1000 + n).padStart(4, '0')}`;
  const history = [
    ...[1, 2, 3, 4].map((n) => ({ ...ev.received(unit, dossier(n), T(20), n % 2 === 0 ? 'online' : 'direct', { dueAt: T(24, 17) }), ...applicant })),
    ev.resolved(unit, dossier(1), T(21), true),
    ev.supplementRequested(unit, dossier(2), T(21)),
    ev.withdrawn(unit, dossier(3), T(21, 9)),
    ev.digitized(unit, dossier(4), T(20, 10)),
    { ...ev.payment(unit, 'GD-VNPAY-2022062012345', T(20, 11), 'fee', 'online', 150_000), ...applicant },
    ev.report(unit, 'BC-2022-06-STNMT-07', T(22), 'online'),
    {
      specversion: '1.0',
      id: 'evt-reopen-1',
      source: 'igate/binh-phuoc',
      type: 'vn.dvc.dossier.reopened',
      time: T(22, 9),
      subject: dossier(1),
      unitid: unit,
      data: { dossierId: dossier(1), unitId: unit, at: T(22, 9), reason: 'Công dân Nguyễn Thị Hồng Nhung khiếu nại kết quả' },
    },
    {
      specversion: '1.0',
      id: 'evt-team-1',
      source: 'igate/binh-phuoc',
      type: 'vn.dvc.community_team.registered',
      time: T(20),
      subject: 'TCN-DONGXOAI-TANPHU-03',
      unitid: unit,
      data: { teamId: 'TCN-DONGXOAI-TANPHU-03', unitId: unit, teamLevel: 'village', members: 5 },
    },
  ];

  /** Every id, subject and personal field of the history except the unit id, which is a label by design. */
  const forbidden = new Set<string>();
  const collect = (value: unknown, key = '') => {
    if (typeof value === 'string' && !['unitid', 'unitId', 'type', 'specversion', 'time'].includes(key) && !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
      forbidden.add(value);
    } else if (typeof value === 'number' && key === 'amountVnd') {
      forbidden.add(String(value));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) collect(v, k);
    }
  };
  history.forEach((e) => collect(e));
  // Enumerations the contract turns into labels on purpose (channel, kind, team level, outcome) are not ids.
  for (const allowed of ['online', 'direct', 'postal', 'offline', 'fee', 'land_obligation', 'village', 'commune', 'approved', 'rejected'])
    forbidden.delete(allowed);

  beforeAll(async () => {
    services = await Promise.all([
      startService('projector', env, 'PROJECTOR_PORT'),
      startService('exporter', { ...env, CLOCK: 'event' }, 'EXPORTER_PORT'),
      startService('ingest', { ...env, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT'),
    ]);
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await new ProjectionStore(redis, id).dropNamespace();
    redis.disconnect();
  });

  it('finds none of the history’s ids, names, phone numbers or reasons among the label values', async () => {
    const ingest = services.find((s) => s.name === 'ingest');
    if (ingest === undefined) throw new Error('ingest not started');
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
    expect((await postBatch(ingest.url, history)).status).toBe(202);
    await waitFor(async () => ((await projectionProgress(redis, id)).applied === history.length ? true : undefined), {
      description: 'history applied',
    });

    expect(forbidden.size).toBeGreaterThan(15);
    for (const service of services) {
      const exposition = await (await fetch(`${service.url}/metrics`)).text();
      const values = labelValues(exposition);
      expect(values.length).toBeGreaterThan(0);
      const leaks = values.filter((v) => forbidden.has(v) || [...forbidden].some((f) => f.length >= 8 && v.includes(f)));
      expect({ service: service.name, leaks }).toEqual({ service: service.name, leaks: [] });
    }
    // Not vacuous: the unit itself is a label of the exporter's series.
    const exporter = services.find((s) => s.name === 'exporter');
    expect(labelValues(await (await fetch(`${exporter?.url ?? ''}/metrics`)).text())).toContain(unit);
  });

  it('parses escaped label values the way Prometheus writes them', () => {
    expect(labelValues('m{a="x\\"y",b="1\\n2",c="\\\\"} 1\n# HELP m{z="no"}\n')).toEqual(['x"y', '1\n2', '\\']);
  });
});
