import { MetaTotals, UNIT_FAMILIES, UNIT_FAMILY_IDS, renderUnitSeries, type SeriesReference, type WindowSpec } from '@dvc/metrics';
import { readMeta, readSnapshots, readUnitHeads, type ClockCounts, type Redis } from '@dvc/read-model';
import type { Keys } from '@dvc/read-model';

interface Entry {
  /** The unit's change signal when its lines (or meta) were read. */
  revision: string;
  /** Its clock counts when its lines were rendered; undefined when it has no lines (another shard's unit). */
  clock: string | undefined;
  /** One exposition string per family of UNIT_FAMILY_IDS. */
  chunks: string[] | undefined;
  meta: Map<string, number>;
}

/** What one scrape renders the per-unit families for. */
export interface UnitScrape {
  redis: Redis;
  keys: Keys;
  /** The units whose series this exporter serves, in exposition order. */
  served: readonly string[];
  /** The units the projection-wide totals are summed over (a superset of served); undefined: no totals. */
  totalled: readonly string[] | undefined;
  windows: readonly WindowSpec[];
  /** Every bucket the windows read. */
  buckets: readonly string[];
  nowMs: number;
  reference: SeriesReference;
}

export interface UnitScrapeResult {
  /** The per-unit families as exposition text (HELP, TYPE, then every served unit's lines). */
  text: string;
  /** Sums over the totalled units' meta; undefined when not asked. */
  totals: MetaTotals | undefined;
  /** Units whose lines were computed again (the others were served from the cache). */
  recomputed: number;
  /** Units whose meta was read again for the totals only. */
  metaRead: number;
}

const clockKey = (c: ClockCounts) => `${c.open.overdue} ${c.open.inTime} ${c.open.dueWithin24h} ${c.paused} ${c.resultOverdue} ${c.receiptOverdue}`;

const HEADERS = UNIT_FAMILY_IDS.map((id) => `# HELP ${UNIT_FAMILIES[id].name} ${UNIT_FAMILIES[id].help}\n# TYPE ${UNIT_FAMILIES[id].name} gauge\n`);

/**
 * Each unit's rendered series, kept from scrape to scrape and computed again only for the units
 * whose series can differ: a unit's lines are a pure function of its buckets and meta (which
 * change only with its revision, moved by the projector's write script in the same atomic step),
 * its clock counts (read every scrape: cheap counts, compared), the windows (which move when the
 * clock's local day does) and the reference data (directory level, targets). When the namespace,
 * the windows or the reference data change, every unit is computed again.
 */
export class UnitSeriesCache {
  private entries = new Map<string, Entry>();
  private context: { namespace: string; windows: string; units: object; targets: object } | undefined;

  async scrape(input: UnitScrape): Promise<UnitScrapeResult> {
    const { redis, keys, served, windows, buckets, nowMs, reference } = input;
    const context = { namespace: keys.namespace, windows: JSON.stringify(windows), units: reference.units, targets: reference.targets };
    const previous = this.context;
    if (previous === undefined || previous.namespace !== context.namespace) this.entries = new Map();
    else if (previous.windows !== context.windows || previous.units !== context.units || previous.targets !== context.targets) {
      for (const entry of this.entries.values()) entry.chunks = undefined;
    }
    this.context = context;

    const servedSet = new Set(served);
    const listed = input.totalled ?? served;
    const heads = await readUnitHeads(redis, keys, listed, (unitId) => servedSet.has(unitId), nowMs);
    const render: { unitId: string; revision: string }[] = [];
    const metaOnly: { unitId: string; revision: string }[] = [];
    const kept = new Map<string, Entry>();
    for (const head of heads) {
      const entry = this.entries.get(head.unitId);
      if (head.clock !== undefined) {
        if (entry?.chunks !== undefined && entry.revision === head.revision && entry.clock === clockKey(head.clock)) kept.set(head.unitId, entry);
        else render.push(head);
      } else if (entry !== undefined && entry.revision === head.revision) {
        kept.set(head.unitId, { ...entry, clock: undefined, chunks: undefined });
      } else metaOnly.push(head);
    }
    const snapshots = await readSnapshots(redis, keys, render.map((r) => r.unitId), buckets, nowMs);
    snapshots.forEach((snap, i) => {
      const info = reference.units.lookup(snap.unitId);
      kept.set(snap.unitId, {
        revision: render[i]?.revision ?? '',
        clock: clockKey(snap),
        chunks: renderUnitSeries(snap, info, windows, (window) => reference.targets.forUnit(info, window)),
        meta: snap.meta,
      });
    });
    const metas = await readMeta(redis, keys, metaOnly.map((m) => m.unitId));
    metas.forEach((meta, i) => {
      const head = metaOnly[i];
      if (head !== undefined) kept.set(head.unitId, { revision: head.revision, clock: undefined, chunks: undefined, meta });
    });
    this.entries = kept;

    let text = '';
    UNIT_FAMILY_IDS.forEach((_, f) => {
      text += HEADERS[f];
      for (const unitId of served) text += kept.get(unitId)?.chunks?.[f] ?? '';
      text += '\n';
    });
    let totals: MetaTotals | undefined;
    if (input.totalled !== undefined) {
      totals = new MetaTotals();
      for (const unitId of input.totalled) {
        const entry = kept.get(unitId);
        if (entry !== undefined) totals.add(entry.meta);
      }
    }
    return { text, totals, recomputed: render.length, metaRead: metaOnly.length };
  }
}
