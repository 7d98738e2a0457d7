// A nation-sized unit directory (the two-level local government from 1 July 2025: 34
// provinces, no districts, 3,321 commune-level units) and its traffic, for the sizing runner.
//
// What is real and what is assumed (the report and the README repeat this):
// - 34 provincial units and 3,321 commune-level units in all (Resolution 202/2025/QH15; see the
//   domain research). The province names are the 34 of the reform; how the 3,321 communes split
//   among them is NOT the official list: a deterministic spread of ±40 % around the mean (98)
//   that sums to 3,321. Sizing depends on the count of units, not on their names.
// - Per province: the People's Committee, 17 departments/sectors (the 14 specialised agencies
//   after the 2025 merger plus police, social insurance and tax, which also receive dossiers),
//   one Land Registration Office and one land registration branch per ~10 communes (branches
//   now serve areas, not districts). Ids follow infra/data/units.json: <province>,
//   <province>.<dept>, <province>.snnmt.vpdkdd, <province>.snnmt.vpdkdd.cnNN, <province>.xNNNN.
// - Dossiers per unit per working day by kind (DOSSIERS_PER_DAY), calibrated on the seed: the
//   Bình Phước report has 40,689 dossiers received in 53 days (≈ 768 a day) for its
//   province, 22 departments, land office, 11 branches and 111 communes; the same rates give
//   2 + 22×8 + 20 + 11×25 + 111×3 = 806 a day for that set (+5 %).
// - Events per dossier: the benchmark's MIX (lib/events.mjs): 2.5 events per received dossier
//   (0.875 resolved, 0.0625 supplement request + receipt pairs, 0.25 digitized, 0.2 payments,
//   0.05 reports). The seed has 0.12 online payments per dossier, so payments are on the high side.
// - Within a kind, unit sizes are skewed (weight = 0.3 + 1.4 × u², u uniform): a few big wards,
//   many small communes; the mean is the kind's rate.
import { createRng } from '@dvc/scenario';
import { MIX } from './events.mjs';

/** The 34 provincial units after the reform (28 provinces, 6 centrally-run cities). */
export const PROVINCES = [
  ['hanoi', 'Thành phố Hà Nội'],
  ['hue', 'Thành phố Huế'],
  ['haiphong', 'Thành phố Hải Phòng'],
  ['danang', 'Thành phố Đà Nẵng'],
  ['hcm', 'Thành phố Hồ Chí Minh'],
  ['cantho', 'Thành phố Cần Thơ'],
  ['tuyenquang', 'Tỉnh Tuyên Quang'],
  ['caobang', 'Tỉnh Cao Bằng'],
  ['laichau', 'Tỉnh Lai Châu'],
  ['laocai', 'Tỉnh Lào Cai'],
  ['thainguyen', 'Tỉnh Thái Nguyên'],
  ['dienbien', 'Tỉnh Điện Biên'],
  ['langson', 'Tỉnh Lạng Sơn'],
  ['sonla', 'Tỉnh Sơn La'],
  ['phutho', 'Tỉnh Phú Thọ'],
  ['bacninh', 'Tỉnh Bắc Ninh'],
  ['quangninh', 'Tỉnh Quảng Ninh'],
  ['hungyen', 'Tỉnh Hưng Yên'],
  ['ninhbinh', 'Tỉnh Ninh Bình'],
  ['thanhhoa', 'Tỉnh Thanh Hóa'],
  ['nghean', 'Tỉnh Nghệ An'],
  ['hatinh', 'Tỉnh Hà Tĩnh'],
  ['quangtri', 'Tỉnh Quảng Trị'],
  ['quangngai', 'Tỉnh Quảng Ngãi'],
  ['gialai', 'Tỉnh Gia Lai'],
  ['khanhhoa', 'Tỉnh Khánh Hòa'],
  ['lamdong', 'Tỉnh Lâm Đồng'],
  ['daklak', 'Tỉnh Đắk Lắk'],
  ['dongnai', 'Tỉnh Đồng Nai'],
  ['tayninh', 'Tỉnh Tây Ninh'],
  ['vinhlong', 'Tỉnh Vĩnh Long'],
  ['dongthap', 'Tỉnh Đồng Tháp'],
  ['camau', 'Tỉnh Cà Mau'],
  ['angiang', 'Tỉnh An Giang'],
];

export const NATION_COMMUNES = 3321;

/** Departments and sectors of a province that receive dossiers. */
export const DEPARTMENTS = [
  ['snv', 'Sở Nội vụ'],
  ['stp', 'Sở Tư pháp'],
  ['stc', 'Sở Tài chính'],
  ['sct', 'Sở Công Thương'],
  ['snnmt', 'Sở Nông nghiệp và Môi trường'],
  ['sxd', 'Sở Xây dựng'],
  ['sgddt', 'Sở Giáo dục và Đào tạo'],
  ['syt', 'Sở Y tế'],
  ['svhttdl', 'Sở Văn hóa, Thể thao và Du lịch'],
  ['skhcn', 'Sở Khoa học và Công nghệ'],
  ['sdttg', 'Sở Dân tộc và Tôn giáo'],
  ['ttt', 'Thanh tra tỉnh'],
  ['vpubnd', 'Văn phòng UBND'],
  ['bqlkcn', 'Ban Quản lý các khu công nghiệp'],
  ['ca', 'Công an'],
  ['bhxh', 'Bảo hiểm xã hội'],
  ['thue', 'Thuế'],
];

/** Dossiers received per unit per working day, by kind (see the header for the calibration). */
export const DOSSIERS_PER_DAY = { province: 2, department: 8, land_registration_office: 20, land_registration_branch: 25, commune_desk: 3 };

export const COMMUNES_PER_BRANCH = 10;

/** Events per received dossier under MIX: every type's share over the received share. */
export const EVENTS_PER_DOSSIER = 1 / MIX.find(([type]) => type === 'vn.dvc.dossier.received')[1];

/** Commune count of each of the 34 provinces: ±40 % spread, summing to NATION_COMMUNES. */
function communeCounts(seed) {
  const random = createRng(seed).next;
  const weights = PROVINCES.map(() => 0.6 + 0.8 * random());
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w / sum) * NATION_COMMUNES));
  for (let i = 0, left = NATION_COMMUNES - counts.reduce((a, b) => a + b, 0); left > 0; i++, left--) counts[i % counts.length] += 1;
  return counts;
}

/**
 * The whole nation's directory: `units` as units.json records (valid from 2025-07-01), each
 * with its province, and a daily dossier rate (`perDay`, not part of units.json).
 */
export function nationDirectory({ seed = 7 } = {}) {
  const random = createRng(seed).next;
  const skew = () => 0.3 + 1.4 * random() ** 2; // mean 0.3 + 1.4/3 ≈ 0.77; normalised below
  const validFrom = '2025-07-01';
  const counts = communeCounts(seed);
  const units = [];
  const add = (province, record) =>
    units.push({ province, perDay: DOSSIERS_PER_DAY[record.kind] * (skew() / (0.3 + 1.4 / 3)), record: { ...record, validFrom } });
  PROVINCES.forEach(([p, name], i) => {
    add(p, { id: p, name: `UBND ${name.replace(/^Tỉnh/, 'tỉnh').replace(/^Thành phố/, 'thành phố')}`, level: 'province', kind: 'province' });
    for (const [code, dept] of DEPARTMENTS) add(p, { id: `${p}.${code}`, name: `${dept} ${name}`, level: 'province', kind: 'department', parent: p });
    const office = `${p}.snnmt.vpdkdd`;
    add(p, { id: office, name: `Văn phòng Đăng ký đất đai ${name}`, level: 'province', kind: 'land_registration_office', parent: `${p}.snnmt` });
    const branches = Math.ceil(counts[i] / COMMUNES_PER_BRANCH);
    for (let b = 1; b <= branches; b++) {
      add(p, {
        id: `${office}.cn${String(b).padStart(2, '0')}`,
        name: `Chi nhánh ${b} Văn phòng Đăng ký đất đai ${name}`,
        level: 'province',
        kind: 'land_registration_branch',
        parent: office,
      });
    }
    for (let c = 1; c <= counts[i]; c++)
      add(p, { id: `${p}.x${String(c).padStart(4, '0')}`, name: `UBND xã/phường ${c} ${name}`, level: 'commune', kind: 'commune_desk', parent: p });
  });
  return units;
}

/** Counts and daily traffic of a set of units (the nation, or a slice of it). */
export function traffic(units) {
  const byKind = {};
  let perDay = 0;
  for (const u of units) {
    byKind[u.record.kind] = (byKind[u.record.kind] ?? 0) + 1;
    perDay += u.perDay;
  }
  return {
    units: units.length,
    provinces: new Set(units.map((u) => u.province)).size,
    byKind,
    dossiersPerDay: perDay,
    eventsPerDay: perDay * EVENTS_PER_DOSSIER,
  };
}

/** The first `provinces` provinces of the nation. */
export function slice(units, provinces) {
  const keep = new Set(PROVINCES.slice(0, provinces).map(([p]) => p));
  return units.filter((u) => keep.has(u.province));
}

/** A pickUnit for createEventStream: a unit with probability proportional to its daily rate. */
export function weightedPicker(units) {
  const cumulative = [];
  let acc = 0;
  for (const u of units) cumulative.push((acc += u.perDay));
  const ids = units.map((u) => u.record.id);
  return (random) => {
    const x = random() * acc;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return ids[lo];
  };
}

/** units.json content for the services' DATA_DIR. */
export function unitsFile(units, version) {
  return {
    version,
    about:
      'Synthetic nation-sized unit directory written by scripts/bench/sizing.mjs (scripts/bench/lib/nation.mjs): 34 provinces after the 2025 reform, their departments, land registration office and branches, and 3,321 commune-level units with generated names. For sizing only.',
    units: units.map((u) => u.record),
  };
}
