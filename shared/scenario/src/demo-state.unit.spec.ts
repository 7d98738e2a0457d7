import { DEMO_CASE, SETTING_NAMES, createMarker, dataGaps, parseMarker, settingsDrift, type DemoFacts, type DemoSettings } from './demo-state.js';

/** The load-once decision of DEMO=binh-phuoc-2022 npm start (demo-state.ts). */
describe('the Bình Phước 2022 demo is reused only when it is completely where this start looks', () => {
  const settings: DemoSettings = {
    seed: 2022,
    fingerprint: 'sha256:aa',
    eventsTopic: 'dvc.demo.bp2022.events',
    dlqTopic: 'dvc.demo.bp2022.dlq',
    projectorGroup: 'dvc-demo-bp2022',
    archiverGroup: 'dvc-demo-bp2022-archiver',
    namespace: 'dvc-demo-bp2022',
    redis: 'redis://127.0.0.1:6379',
    eventStore: 'sqlite:/srv/run/eventstore/demo-bp2022.sqlite',
  };
  const loaded: DemoFacts & { topicEnd: number } = { kafkaClusterId: 'c1', topicEnd: 455_940, applied: 455_847, storeHead: 455_847 };
  const marker = createMarker(settings, loaded, 455_847, '2026-12-03T10:00:00.000Z');

  it('a marker round-trips through its file text', () => {
    const parsed = parseMarker(JSON.stringify(marker));
    expect(parsed).toEqual({ marker });
    expect(marker).toMatchObject({ version: 1, case: DEMO_CASE, events: 455_847, applied: 455_847, topicEnd: 455_940 });
  });

  it('the same settings and everything still there: reused', () => {
    expect(settingsDrift(marker, settings)).toEqual([]);
    expect(dataGaps(marker, loaded)).toEqual([]);
    // Events posted since the load only add: still reusable.
    expect(dataGaps(marker, { ...loaded, topicEnd: 456_000, applied: 455_900, storeHead: 455_900 })).toEqual([]);
  });

  it('each setting that differs is named, with both values', () => {
    for (const key of Object.keys(SETTING_NAMES) as (keyof DemoSettings)[]) {
      const changed = { ...settings, [key]: key === 'seed' ? 7 : `${String(settings[key])}-other` };
      const reasons = settingsDrift(marker, changed);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toContain(SETTING_NAMES[key]);
    }
    expect(settingsDrift(marker, { ...settings, namespace: 'other' })).toEqual(['REDIS_NAMESPACE is "other" now, the case was loaded with "dvc-demo-bp2022"']);
    expect(settingsDrift(marker, { ...settings, fingerprint: 'sha256:bb' })).toEqual(['the scenario generator and reference data changed since the load']);
  });

  it('a half-loaded or lost case is loaded again: every missing part is named', () => {
    expect(dataGaps(marker, { ...loaded, kafkaClusterId: 'c2' })).toEqual(['Kafka is another cluster (id c2) than the one the case was loaded into (id c1)']);
    expect(dataGaps(marker, { ...loaded, topicEnd: undefined })).toEqual(['topic dvc.demo.bp2022.events does not exist']);
    expect(dataGaps(marker, { ...loaded, topicEnd: 455_939 })).toEqual(['topic dvc.demo.bp2022.events ends at 455939 records, it held 455940 after the load']);
    // Redis restarted without persistence: the projection is gone although Kafka still holds the topic.
    expect(dataGaps(marker, { ...loaded, applied: 0 })).toEqual(['the projection dvc-demo-bp2022 has applied 0 events, it had 455847 after the load']);
    expect(dataGaps(marker, { ...loaded, applied: 455_846 })).toHaveLength(1);
    expect(dataGaps(marker, { ...loaded, storeHead: 0 })).toEqual(['the event store is at position 0, it was at 455847 after the load']);
    expect(dataGaps(marker, { kafkaClusterId: 'c2', topicEnd: undefined, applied: 0, storeHead: 0 })).toHaveLength(4);
  });

  it('an unusable marker file says why and is not trusted', () => {
    expect(parseMarker('{').problem).toMatch(/^the marker is not JSON/);
    expect(parseMarker('[]').problem).toBe('the marker is not a JSON object');
    expect(parseMarker(JSON.stringify({ ...marker, version: 2 })).problem).toBe('the marker has version 2, not 1');
    expect(parseMarker(JSON.stringify({ ...marker, case: 'other' })).problem).toBe('the marker is for case "other", not binh-phuoc-2022');
    const { applied: _applied, namespace: _namespace, ...partial } = marker;
    expect(parseMarker(JSON.stringify({ ...partial, topicEnd: -1, loadedAt: 'yesterday' })).problem).toBe(
      'the marker lacks or has invalid fields: namespace, topicEnd, applied, loadedAt',
    );
  });
});
