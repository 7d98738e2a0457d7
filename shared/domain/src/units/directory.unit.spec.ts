import { UNKNOWN_UNIT, UnitDirectoryError, closestUnitId, createUnitDirectory, type UnitRecord } from './directory.js';

const PROVINCE: UnitRecord = { id: 'dong-nai', name: 'Tỉnh Đồng Nai', level: 'province', kind: 'province' };
const WARD: UnitRecord = {
  id: 'tran-bien',
  name: 'Phường Trấn Biên',
  level: 'commune',
  kind: 'ward',
  parent: 'dong-nai',
  validFrom: '2025-07-01',
};
const OLD_CITY: UnitRecord = {
  id: 'bien-hoa',
  name: 'Thành phố Biên Hòa',
  level: 'district',
  kind: 'city',
  parent: 'dong-nai',
  validTo: '2025-06-30',
  successor: 'tran-bien',
};

describe('createUnitDirectory', () => {
  it('looks up name, level and kind of known units, whatever the record order', () => {
    const directory = createUnitDirectory([WARD, OLD_CITY, PROVINCE]);
    expect(directory.size).toBe(3);
    expect(directory.lookup('tran-bien')).toEqual({ name: 'Phường Trấn Biên', level: 'commune', kind: 'ward' });
    expect(directory.lookup('bien-hoa')).toEqual({ name: 'Thành phố Biên Hòa', level: 'district', kind: 'city' });
    expect(directory.has('dong-nai')).toBe(true);
    expect(directory.ids()).toEqual(['tran-bien', 'bien-hoa', 'dong-nai']);
  });

  it("answers level 'unknown' for a unit missing from the directory", () => {
    const directory = createUnitDirectory([PROVINCE]);
    expect(directory.has('xa-khong-co')).toBe(false);
    expect(directory.lookup('xa-khong-co')).toEqual({ name: '', level: 'unknown', kind: 'unknown' });
    expect(directory.lookup('xa-khong-co')).toBe(UNKNOWN_UNIT);
    expect(createUnitDirectory([]).lookup('dong-nai').level).toBe('unknown');
  });

  it('does not treat inherited object keys as units', () => {
    const directory = createUnitDirectory([PROVINCE]);
    expect(directory.has('constructor')).toBe(false);
    expect(directory.lookup('__proto__')).toBe(UNKNOWN_UNIT);
  });

  it('refuses a unit listed twice', () => {
    expect(() => createUnitDirectory([PROVINCE, WARD, { ...PROVINCE, name: 'Đồng Nai (cũ)' }])).toThrow(
      new UnitDirectoryError("unit 'dong-nai' appears twice in the unit directory"),
    );
  });

  it('refuses an unknown parent', () => {
    expect(() => createUnitDirectory([WARD])).toThrow(UnitDirectoryError);
    expect(() => createUnitDirectory([WARD])).toThrow("unit 'tran-bien': parent 'dong-nai' is not in the unit directory");
  });

  it('refuses validTo before validFrom, and accepts a one-day unit', () => {
    expect(() => createUnitDirectory([{ ...PROVINCE, validFrom: '2025-07-01', validTo: '2025-06-30' }])).toThrow(
      "unit 'dong-nai': validTo 2025-06-30 is before validFrom 2025-07-01",
    );
    expect(createUnitDirectory([{ ...PROVINCE, validFrom: '2025-07-01', validTo: '2025-07-01' }]).size).toBe(1);
  });

  it('keeps its own copy: changing the records afterwards changes nothing', () => {
    const records: UnitRecord[] = [{ ...PROVINCE }];
    const directory = createUnitDirectory(records);
    const first = records[0];
    if (first !== undefined) first.level = 'changed';
    expect(directory.lookup('dong-nai').level).toBe('province');
  });

  it('refuses an unknown successor and a validity date that is not YYYY-MM-DD', () => {
    expect(() => createUnitDirectory([PROVINCE, OLD_CITY])).toThrow(
      new UnitDirectoryError("unit 'bien-hoa': successor 'tran-bien' is not in the unit directory"),
    );
    expect(() => createUnitDirectory([{ ...PROVINCE, validFrom: '2025-7-1' }])).toThrow(
      new UnitDirectoryError('unit \'dong-nai\': validFrom must be a YYYY-MM-DD date, got "2025-7-1"'),
    );
    expect(() => createUnitDirectory([{ ...PROVINCE, validTo: '2025-06-31T00:00' }])).toThrow("unit 'dong-nai': validTo must be a YYYY-MM-DD date");
  });

  it('gives each unit its full record and carries the version it was built from', () => {
    const directory = createUnitDirectory([WARD, OLD_CITY, PROVINCE], '2026-12-03');
    expect(directory.version).toBe('2026-12-03');
    expect(directory.record('bien-hoa')).toEqual(OLD_CITY);
    expect(directory.record('xa-khong-co')).toBeUndefined();
    expect(createUnitDirectory([PROVINCE]).version).toBe('unversioned');
  });
});

describe('closestUnitId', () => {
  const directory = createUnitDirectory([PROVINCE, OLD_CITY, WARD, { ...WARD, id: 'tran-bienh' }]);

  it('names the listed unit a misspelt id was meant to be: the first in file order at the smallest distance, at most 3', () => {
    expect(closestUnitId(directory, 'tran-bein')).toBe('tran-bien');
    expect(closestUnitId(directory, 'tran-bienhh')).toBe('tran-bienh');
    expect(closestUnitId(directory, 'tran-bie')).toBe('tran-bien');
    expect(closestUnitId(directory, 'dongnai')).toBe('dong-nai');
    expect(closestUnitId(directory, 'bienhoa-x')).toBe('bien-hoa');
  });

  it('names none when no listed unit is within 3 edits, however long the id', () => {
    expect(closestUnitId(directory, 'xa-khong-co')).toBeUndefined();
    expect(closestUnitId(directory, 'tr')).toBeUndefined();
    expect(closestUnitId(directory, 'x'.repeat(10_000))).toBeUndefined();
    expect(closestUnitId(createUnitDirectory([]), 'tran-bien')).toBeUndefined();
  });
});
