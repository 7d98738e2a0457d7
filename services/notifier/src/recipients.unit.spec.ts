import { loadReferenceData } from '@dvc/config';
import { createUnitDirectory } from '@dvc/domain';
import { loadRecipients, localDateOf, parseRecipients, recipientCoverage, type RecipientBook } from './recipients.js';

const REPO_DATA = new URL('../../../infra/data/', import.meta.url).pathname;

function book(units: string[]): RecipientBook {
  const parsed = parseRecipients({
    fallback: { name: 'ops', emails: ['ops@example.gov.vn'] },
    units: Object.fromEntries(units.map((u) => [u, { name: u, emails: [`${u}@example.gov.vn`] }])),
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.book;
}

describe('recipientCoverage', () => {
  const directory = createUnitDirectory([
    { id: 'dn', name: 'UBND tỉnh Đồng Nai', level: 'province', kind: 'province', validFrom: '2025-07-01' },
    { id: 'dn.dongxoai', name: 'UBND phường Đồng Xoài', level: 'commune', kind: 'commune_desk', parent: 'dn', validFrom: '2025-07-01' },
    { id: 'dn.tranbien', name: 'UBND phường Trấn Biên', level: 'commune', kind: 'commune_desk', parent: 'dn', validFrom: '2025-07-01' },
    { id: 'bp.dongxoai', name: 'UBND thành phố Đồng Xoài', level: 'district', kind: 'district_desk', validTo: '2025-06-30', successor: 'dn' },
  ]);

  it("names the entries the directory does not list (a misspelt unit's head is never told) and the valid units without an entry", () => {
    expect(recipientCoverage(book(['dn', 'dn.dongxaoi', 'bp.dongxoai']), directory, '2026-12-05')).toEqual({
      unlisted: ['dn.dongxaoi'],
      headed: ['dn'],
      unheaded: ['dn.dongxoai', 'dn.tranbien'],
    });
  });

  it('counts the units valid on the date: the pre-reform district on 30 June 2025, the new ones from 1 July', () => {
    const entries = book(['bp.dongxoai', 'dn.dongxoai']);
    expect(recipientCoverage(entries, directory, '2025-06-30')).toEqual({ unlisted: [], headed: ['bp.dongxoai'], unheaded: [] });
    expect(recipientCoverage(entries, directory, '2025-07-01')).toEqual({ unlisted: [], headed: ['dn.dongxoai'], unheaded: ['dn', 'dn.tranbien'] });
  });

  it('takes the date in Vietnam: 17:00 UTC is the next day there', () => {
    expect(localDateOf(Date.parse('2025-06-30T16:59:59Z'))).toBe('2025-06-30');
    expect(localDateOf(Date.parse('2025-06-30T17:00:00Z'))).toBe('2025-07-01');
  });

  it("the repository's recipients name a head for every unit of its directory valid today, and no unit it does not list", () => {
    const { units } = loadReferenceData(REPO_DATA);
    const { book: repository } = loadRecipients(`${REPO_DATA}recipients.json`);
    const coverage = recipientCoverage(repository, units, '2026-12-05');
    expect({ unlisted: coverage.unlisted, unheaded: coverage.unheaded }).toEqual({ unlisted: [], unheaded: [] });
    expect(coverage.headed).toHaveLength(10);
  });
});
