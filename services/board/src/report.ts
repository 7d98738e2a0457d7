import ExcelJS from 'exceljs';
import type { UnitFigures } from './figures.js';

/** One line of the meeting report: a unit (or the province total) with the seed article's columns. */
export interface ReportRow extends UnitFigures {
  name: string;
  /** carried over + received */
  toResolve: number;
}

/** The report's columns, in order: Vietnamese header and how each cell is read. */
const COLUMNS: { header: string; key: keyof ReportRow; percent?: true; width: number }[] = [
  { header: 'Mã đơn vị', key: 'unit', width: 22 },
  { header: 'Tên đơn vị', key: 'name', width: 44 },
  { header: 'Cấp', key: 'level', width: 10 },
  { header: 'Tồn kỳ trước', key: 'carriedOver', width: 12 },
  { header: 'Tiếp nhận mới', key: 'received', width: 12 },
  { header: 'Cần giải quyết', key: 'toResolve', width: 13 },
  { header: 'Đã giải quyết', key: 'resolved', width: 12 },
  { header: 'Trong đó trễ hạn', key: 'resolvedOverdue', width: 14 },
  { header: 'Tỷ lệ trễ hạn', key: 'overdueRatio', percent: true, width: 12 },
  { header: 'Đang giải quyết', key: 'open', width: 14 },
  { header: 'Đang giải quyết quá hạn (hiện tại)', key: 'openOverdueNow', width: 18 },
  { header: 'Rút hồ sơ', key: 'withdrawn', width: 10 },
];

export const PROVINCE_ROW_ID = 'toan-tinh';

/** The report's lines: one per unit, by unit id, then the province total (sums; the ratio of the sums). */
export function reportRows(units: readonly UnitFigures[], nameOf: (unit: string) => string): ReportRow[] {
  const rows = units.map((u): ReportRow => ({ ...u, name: nameOf(u.unit), toResolve: u.carriedOver + u.received }));
  const sum = (key: 'carriedOver' | 'received' | 'resolved' | 'resolvedOverdue' | 'open' | 'openOverdueNow' | 'withdrawn') =>
    rows.reduce((total, r) => total + r[key], 0);
  const resolved = sum('resolved');
  const total: ReportRow = {
    unit: PROVINCE_ROW_ID,
    name: 'Toàn tỉnh',
    level: '',
    carriedOver: sum('carriedOver'),
    received: sum('received'),
    toResolve: sum('carriedOver') + sum('received'),
    resolved,
    resolvedOverdue: sum('resolvedOverdue'),
    overdueRatio: resolved > 0 ? sum('resolvedOverdue') / resolved : null,
    overdueTarget: null,
    open: sum('open'),
    openOverdueNow: sum('openOverdueNow'),
    withdrawn: sum('withdrawn'),
    integrity: rows.reduce<Record<string, number>>((total, r) => {
      for (const [reason, n] of Object.entries(r.integrity)) total[reason] = (total[reason] ?? 0) + n;
      return total;
    }, {}),
  };
  return [...rows, total];
}

const csvCell = (value: string | number | null): string => {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The report as CSV (UTF-8 with a byte-order mark so spreadsheet programs read the diacritics; ratios as fractions). */
export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [COLUMNS.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) lines.push(COLUMNS.map((c) => csvCell(row[c.key] as string | number | null)).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The report as an XLSX workbook: a title line, the header and one line per row, ratios formatted as percentages. */
export async function reportXlsx(rows: readonly ReportRow[], title: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'dvc-board';
  const sheet = workbook.addWorksheet('Báo cáo');
  sheet.addRow([title]).font = { bold: true, size: 13 };
  const header = sheet.addRow(COLUMNS.map((c) => c.header));
  header.font = { bold: true };
  COLUMNS.forEach((c, i) => {
    const column = sheet.getColumn(i + 1);
    column.width = c.width;
    if (c.percent === true) column.numFmt = '0.00%';
  });
  for (const row of rows) sheet.addRow(COLUMNS.map((c) => row[c.key] as string | number | null));
  sheet.lastRow!.font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
