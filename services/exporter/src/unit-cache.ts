import { MetaTotals, UNIT_FAMILIES, UNIT_FAMILY_IDS, renderUnitSeries, type SeriesReference, type WindowSpec } from '@dvc/metrics';
import { readMeta, readRevisions, readSnapshotsWithHorizons, type RedisClient } from '@dvc/read-model';
import type { Keys } from '@dvc/read-model';

interface Entry {
  /** The unit's revision when its lines (or meta) were read; undefined: none (never kept). */
  revision: string | undefined;
  /** The clock's now its lines were rendered at, and until when (excluded) its clock counts hold. */
  fromMs: number;
  untilMs: number;
  /** The UTF-8 exposition lines of each family of UNIT_FAMILY_IDS; undefined for a unit of another shard (meta only). */
  chunks: Buffer[] | undefined;
  /** The unit's meta, summed once when read. */
  meta: MetaTotals;
}

/** What one scrape renders the per-unit families for. */
export interface UnitScrape {
  redis: RedisClient;
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
  /** The per-unit families as UTF-8 exposition text (HELP, TYPE, then every served unit's lines), in pieces to concatenate. */
  parts: Buffer[];
  /** Sums over the totalled units' meta; undefined when not asked. */
  totals: MetaTotals | undefined;
  /** Units whose lines were computed again (the others were served from the cache). */
  recomputed: number;
  /** Units whose meta was read again for the totals only. */
  metaRead: number;
}

const HEADERS = UNIT_FAMILY_IDS.map((id) =>
  Buffer.from(`# HELP ${UNIT_FAMILIES[id].name} ${UNIT_FAMILIES[id].help}\n# TYPE ${UNIT_FAMILIES[id].name} gauge\n`),
);
const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/**
 * Each unit's rendered series, kept from scrape to scrape and computed again only for the units
 * whose series can differ. A unit's lines are a pure function of its buckets, meta and sets
 * (which change only with its revision, moved by the projector's write script in the same atomic
 * step; a unit without a revision is computed at every scrape), its clock counts (which hold
 * from the now they were read at until the horizon read with them: the first due time, result
 * or receipt deadline the clock can cross), the windows (which move with the clock's local day)
 * and the reference data (directory level, targets). When the namespace, the windows or the
 * reference data change, every unit is computed again. Per scrape, only one HGET per unit
 * reaches Redis for the units whose lines are kept.
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
    const revisions = await readRevisions(redis, keys, listed);
    const render: { unitId: string; revision: string | undefined }[] = [];
    const metaOnly: { unitId: string; revision: string | undefined }[] = [];
    const kept = new Map<string, Entry>();
    listed.forEach((unitId, i) => {
      const revision = revisions[i];
      const entry = this.entries.get(unitId);
      const same = entry !== undefined && revision !== undefined && entry.revision === revision;
      if (servedSet.has(unitId)) {
        if (same && entry.chunks !== undefined && entry.fromMs <= nowMs && nowMs < entry.untilMs) kept.set(unitId, entry);
        else render.push({ unitId, revision });
      } else if (same) kept.set(unitId, { ...entry, chunks: undefined });
      else metaOnly.push({ unitId, revision });
    });
    const snapshots = await readSnapshotsWithHorizons(
      redis,
      keys,
      render.map((r) => r.unitId),
      buckets,
      nowMs,
    );
    snapshots.forEach(({ snapshot, clockHoldsUntilMs }, i) => {
      const info = reference.units.lookup(snapshot.unitId);
      kept.set(snapshot.unitId, {
        revision: render[i]?.revision,
        fromMs: nowMs,
        untilMs: clockHoldsUntilMs,
        // Encoded once: a scrape only copies the bytes of the units it keeps.
        chunks: renderUnitSeries(snapshot, info, windows, (window) => reference.targets.forUnit(info, window)).map((chunk) => Buffer.from(chunk)),
        meta: MetaTotals.of(snapshot.meta),
      });
    });
    const metas = await readMeta(
      redis,
      keys,
      metaOnly.map((m) => m.unitId),
    );
    metas.forEach((meta, i) => {
      const head = metaOnly[i];
      if (head !== undefined) kept.set(head.unitId, { revision: head.revision, fromMs: nowMs, untilMs: nowMs, chunks: undefined, meta: MetaTotals.of(meta) });
    });
    this.entries = kept;

    const parts: Buffer[] = [];
    const servedChunks = served.map((unitId) => kept.get(unitId)?.chunks);
    UNIT_FAMILY_IDS.forEach((_, f) => {
      parts.push(HEADERS[f] ?? EMPTY);
      for (const chunks of servedChunks) parts.push(chunks?.[f] ?? EMPTY);
      parts.push(NEWLINE);
    });
    let totals: MetaTotals | undefined;
    if (input.totalled !== undefined) {
      totals = new MetaTotals();
      for (const unitId of input.totalled) {
        const entry = kept.get(unitId);
        if (entry !== undefined) totals.merge(entry.meta);
      }
    }
    return { parts, totals, recomputed: render.length, metaRead: metaOnly.length };
  }
}
