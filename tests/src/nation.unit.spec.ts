import { UNIT_ID_PATTERN, createUnitDirectory } from '@dvc/domain';
import { DOSSIERS_PER_DAY, EVENTS_PER_DOSSIER, nationDirectory, slice, traffic, unitsFile, weightedPicker } from '../../scripts/bench/lib/nation.mjs';

/** The nation-sized directory and traffic of the sizing benchmark (scripts/bench/lib/nation.mjs). */
describe('the nation-sized unit directory', () => {
  const units = nationDirectory();

  it('has 34 provinces, 3,321 communes and their departments, land office and branches', () => {
    expect(traffic(units)).toMatchObject({
      units: 4315,
      provinces: 34,
      byKind: { province: 34, department: 578, land_registration_office: 34, land_registration_branch: 348, commune_desk: 3321 },
    });
  });

  it('is a unit directory the services accept: unique ids of the contract shape, parents listed', () => {
    const file = unitsFile(units, 'sizing-test');
    const directory = createUnitDirectory(file.units, file.version);
    expect(directory.size).toBe(4315);
    const shape = new RegExp(UNIT_ID_PATTERN);
    expect(file.units.filter((u) => !shape.test(u.id))).toEqual([]);
    expect(directory.lookup('hanoi.snnmt.vpdkdd.cn01')).toEqual({
      name: 'Chi nhánh 1 Văn phòng Đăng ký đất đai Thành phố Hà Nội',
      level: 'province',
      kind: 'land_registration_branch',
    });
    expect(directory.record('angiang.x0001')?.parent).toBe('angiang');
  });

  it('is the same on every call', () => {
    expect(nationDirectory()).toEqual(units);
  });

  it('the assumed rates give the Bình Phước 2022 unit set about the seed’s 768 dossiers a day', () => {
    const r = DOSSIERS_PER_DAY;
    expect(r.province + 22 * r.department + r.land_registration_office + 11 * r.land_registration_branch + 111 * r.commune_desk).toBe(806);
  });

  it('the nation receives 23,735 dossiers and 59,337 events a working day (2.5 events per dossier)', () => {
    const t = traffic(units);
    expect(EVENTS_PER_DOSSIER).toBe(2.5);
    expect(Math.round(t.dossiersPerDay)).toBe(23735);
    expect(Math.round(t.eventsPerDay)).toBe(59337);
  });

  it('a slice keeps the first provinces; the picker draws units by their rate', () => {
    const two = slice(units, 2);
    expect(traffic(two)).toMatchObject({ units: 250, provinces: 2 });
    const pick = weightedPicker(two);
    expect(pick(() => 0)).toBe('hanoi');
    expect(pick(() => 0.999_999_999)).toBe(two.at(-1)?.record.id);
  });
});
