import { EVENT_TYPE_NAMES, createUnitDirectory } from '@dvc/domain';
import { DEFAULT_LIMIT, MAX_LIMIT, QUERY_PARAMETERS, parseEventsQuery, type QueryResult, type UnitCheck } from './query.js';
import { createTokenCodec } from './token.js';

const tokens = createTokenCodec(['query-test-secret-xyz']);
const directory = createUnitDirectory(
  [
    { id: 'dn', name: 'Tỉnh Đồng Nai', level: 'province', kind: 'province' },
    { id: 'dn.dongxoai', name: 'Phường Đồng Xoài', level: 'commune', kind: 'ward', parent: 'dn' },
    { id: 'xa-tan-thanh', name: 'Xã Tân Thành', level: 'commune', kind: 'commune', parent: 'dn' },
  ],
  'v-test',
);
const listedOnly: UnitCheck = { directory, acceptUnknownUnits: false };
const parse = (qs: string, units = listedOnly): QueryResult => parseEventsQuery(new URLSearchParams(qs), tokens, units);
const problems = (qs: string): string[] => {
  const result = parse(qs);
  if (result.ok) throw new Error(`expected problems for ${qs}`);
  return result.problems;
};

describe('GET /v1/events query', () => {
  it('defaults: from the beginning, every event, limit 1000, no follow', () => {
    expect(parse('')).toEqual({ ok: true, query: { after: 0, follow: false, limit: DEFAULT_LIMIT } });
  });

  it('reads every parameter', () => {
    const token = tokens.encode(41);
    expect(
      parse(
        `after=${token}&types=vn.dvc.dossier.received,vn.dvc.dossier.resolved&unit=xa-tan-thanh&from=2022-06-22T00:00:00%2B07:00&to=2022-07-01T00:00:00Z&limit=25&follow=false`,
      ),
    ).toEqual({
      ok: true,
      query: {
        after: 41,
        types: ['vn.dvc.dossier.received', 'vn.dvc.dossier.resolved'],
        unit: 'xa-tan-thanh',
        from: Date.UTC(2022, 5, 21, 17),
        to: Date.UTC(2022, 6, 1),
        limit: 25,
        follow: false,
      },
    });
  });

  it('refuses a unit the directory does not list, naming the closest listed one, with every other problem', () => {
    expect(problems('unit=dn.dongxaoi&limit=0')).toEqual([
      "unit 'dn.dongxaoi' is not in the unit directory (version v-test; did you mean 'dn.dongxoai'?), and the history holds events of unlisted units only in pilot mode (ACCEPT_UNKNOWN_UNITS), which is off",
      `limit must be an integer from 1 to ${MAX_LIMIT}, got '0'`,
    ]);
    expect(problems('unit=xa-khong-co')).toEqual([
      "unit 'xa-khong-co' is not in the unit directory (version v-test), and the history holds events of unlisted units only in pilot mode (ACCEPT_UNKNOWN_UNITS), which is off",
    ]);
  });

  it('reads an unlisted unit in pilot mode, where the history may hold its events', () => {
    expect(parse('unit=u-pilot', { directory, acceptUnknownUnits: true })).toEqual({
      ok: true,
      query: { after: 0, follow: false, limit: DEFAULT_LIMIT, unit: 'u-pilot' },
    });
  });

  it('follow has no limit unless one is given', () => {
    expect(parse('follow=true')).toEqual({ ok: true, query: { after: 0, follow: true } });
    expect(parse('follow=true&limit=3')).toEqual({ ok: true, query: { after: 0, follow: true, limit: 3 } });
  });

  it('removes repeated types', () => {
    const result = parse('types=vn.dvc.dossier.received,vn.dvc.dossier.received');
    expect(result.ok && result.query.types).toEqual(['vn.dvc.dossier.received']);
  });

  it('names an unknown type, suggests the closest and lists the valid ones', () => {
    const [problem, ...rest] = problems('types=vn.dvc.dossier.recieved,vn.dvc.dossier.resolved');
    expect(rest).toEqual([]);
    expect(problem).toContain("types: unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?)");
    expect(problem).toContain(`valid types: ${EVENT_TYPE_NAMES.join(', ')}`);
  });

  it.each([
    ['types=', "types has an empty entry in ''"],
    ['types=vn.dvc.dossier.received,,', "types has an empty entry in 'vn.dvc.dossier.received,,'"],
    ['unit=Bad%20Unit', "unit 'Bad Unit' is not a unit id"],
    ['from=2022-06-22', "from '2022-06-22' must be an RFC 3339 date-time with an offset"],
    ['to=2022-02-30T00:00:00Z', "to '2022-02-30T00:00:00Z' day 30 does not exist in 2022-02"],
    ['from=2022-07-01T00:00:00Z&to=2022-06-01T00:00:00Z', 'from (2022-07-01T00:00:00Z) must be before to (2022-06-01T00:00:00Z)'],
    ['from=2022-07-01T00:00:00Z&to=2022-07-01T07:00:00%2B07:00', 'must be before to'],
    ['limit=0', `limit must be an integer from 1 to ${MAX_LIMIT}, got '0'`],
    ['limit=10001', "got '10001'"],
    ['limit=-5', "got '-5'"],
    ['limit=1.5', "got '1.5'"],
    ['limit=abc', "got 'abc'"],
    ['limit=', "got ''"],
    ['follow=yes', "follow must be true or false, got 'yes'"],
    ['after=%25%25', 'after is not a resume token'],
    ['after=', 'after is empty'],
    ['limit=5&limit=6', 'limit is given 2 times; give it once'],
    ['page=2', `unknown query parameter 'page'; accepted: ${QUERY_PARAMETERS.join(', ')}`],
  ])('%s is refused: %s', (qs, expected) => {
    expect(problems(qs).join('\n')).toContain(expected);
  });

  it('reports every problem at once', () => {
    expect(problems('limit=0&follow=maybe&unit=UPPER&page=1')).toHaveLength(4);
  });

  it('accepts the largest limit', () => {
    const result = parse(`limit=${MAX_LIMIT}`);
    expect(result.ok && result.query.limit).toBe(MAX_LIMIT);
  });
});
