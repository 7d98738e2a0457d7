import { KPI_NAMES_VI } from '@dvc/config';
import { INTEGRITY_REASON_NAMES_VI, type UnitDirectory } from '@dvc/domain';
import type { AmAlert, AmPayload } from './alertmanager.js';

/** An open dossier of a worklist (overdue, or due soon) with its effective due time, as read from the projection. */
export interface ListedDossier {
  code: string;
  dueMs: number;
}

/** The first dossiers of one of a unit's worklists, or why they could not be read. */
export type DossierList = { ok: true; dossiers: ListedDossier[] } | { ok: false; reason: string };

/** The worklists a notice can name. */
export type Worklist = 'overdue' | 'due-soon' | 'receipt-overdue' | 'result-not-returned';

/**
 * The worklist a firing alert about one unit names in its notice, so the head of the unit reads
 * which dossiers to act on: the oldest overdue ones for the overdue share and for open overdue
 * dossiers, the soonest due for dossiers due within 24 hours, the online submissions longest
 * past their receipt deadline for those, and the results longest past their return deadline for
 * results not returned. Undefined: the alert names none.
 */
export function worklistOf(labels: Record<string, string>): Worklist | undefined {
  if (labels.unit === undefined) return undefined;
  if (labels.kpi === 'overdue_ratio') return 'overdue';
  return labels.alertname === undefined ? undefined : WORKLIST_ALERTS.get(labels.alertname);
}

/**
 * The alerting rules (infra/prometheus/rules, by name) whose notices name a worklist, beside the
 * rules of the overdue share (label kpi="overdue_ratio"). A rule renamed without this table
 * would send notices without their dossiers; a unit spec checks each name against the rule files.
 */
export const WORKLIST_ALERTS: ReadonlyMap<string, Worklist> = new Map([
  ['OpenDossiersOverdue', 'overdue'],
  ['DossiersDueSoon', 'due-soon'],
  ['OnlineSubmissionsReceiptOverdue', 'receipt-overdue'],
  ['ResultsNotReturned', 'result-not-returned'],
]);

/** A unit's list per unit id, for each worklist read. */
export type Worklists = ReadonlyMap<Worklist, ReadonlyMap<string, DossierList>>;

/** The units whose lists a notice names, per worklist: those of its firing alerts that name one (`worklistOf`), each once. */
export function worklistUnits(alerts: readonly Pick<AmAlert, 'status' | 'labels'>[]): Map<Worklist, string[]> {
  const wanted = new Map<Worklist, Set<string>>();
  for (const alert of alerts) {
    const kind = alert.status === 'firing' ? worklistOf(alert.labels) : undefined;
    if (kind === undefined) continue;
    const units = wanted.get(kind) ?? new Set<string>();
    wanted.set(kind, units.add(alert.labels.unit as string));
  }
  return new Map([...wanted].map(([kind, units]) => [kind, [...units]]));
}

export interface RenderInput {
  payload: AmPayload;
  units: UnitDirectory;
  /**
   * The first dossiers of each worklist, per unit id whose firing alert names it (`worklistOf`):
   * the oldest overdue, the soonest due, the online submissions longest past their receipt
   * deadline (`dueMs`: the deadline). A list missing here is written as unread.
   */
  worklists: Worklists;
  /** Base URL of the dashboard panel; unit and window are added as var-unit / var-window. */
  dashboardUrl: string;
  /** Wall clock: when the notice is written. */
  now: number;
  /**
   * The instant the figures are as of when the clock is not the wall clock (CLOCK_AS_OF, or the
   * event-time watermark): days overdue count from it, and the notice says "tính đến" it instead
   * of wall-clock dates (in a 2022 demo a 2026 date would be false).
   */
  asOf?: number;
}

export interface RenderedNotice {
  subject: string;
  text: string;
}

export const OVERDUE_LIST_SIZE = 5;

/** A KPI label's name (a label from elsewhere is shown as it is). */
const KPI_NAMES: Readonly<Record<string, string | undefined>> = KPI_NAMES_VI;

/** An integrity signal's name (`reason` label; one from elsewhere is shown as it is). */
const REASON_NAMES: Readonly<Record<string, string | undefined>> = INTEGRITY_REASON_NAMES_VI;

/** The title of an alert whose rule has no `title_vi` annotation (a rule from elsewhere). */
export const UNTITLED_ALERT = 'Cảnh báo chưa có tiêu đề tiếng Việt';

const LEVEL_NAMES: Record<string, string> = { province: 'tỉnh', district: 'huyện', commune: 'xã' };

const SEVERITY_NAMES: Record<string, string> = { critical: 'khẩn cấp', warning: 'cảnh báo', info: 'thông tin' };

/** Vietnam keeps UTC+7 all year (no daylight saving since 1975), so a fixed offset is exact. */
const VN_OFFSET_MS = 7 * 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** `14:05 ngày 30/11/2026` in Asia/Ho_Chi_Minh. */
export function formatVnTime(ms: number): string {
  const d = new Date(ms + VN_OFFSET_MS);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ngày ${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** `3 ngày 4 giờ` */
function formatDuration(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const days = Math.floor(hours / 24);
  if (days > 0) return hours % 24 > 0 ? `${days} ngày ${hours % 24} giờ` : `${days} ngày`;
  if (hours > 0) return `${hours} giờ`;
  return `${Math.max(1, Math.floor(ms / 60_000))} phút`;
}

/** A window in plain words: `14 ngày gần nhất` for a rolling window, `kỳ <id>` for a period of the targets file. */
function windowWords(window: string): string {
  const rolling = /^(\d+)d$/.exec(window);
  return rolling ? `${rolling[1]} ngày gần nhất` : `kỳ ${window}`;
}

function windowName(window: string | undefined): string | undefined {
  if (window === undefined) return undefined;
  return /^\d+d$/.test(window) ? `${windowWords(window)} (${window})` : windowWords(window);
}

function unitLabel(unitId: string, units: UnitDirectory): string {
  const info = units.lookup(unitId);
  return units.has(unitId) && info.name !== '' ? info.name : `đơn vị ${unitId} (chưa có trong danh mục)`;
}

/** The Vietnamese title of an alert: its rule's `title_vi` annotation, never the (English) alert name. */
function alertTitle(annotations: Record<string, string>): string {
  const title = annotations.title_vi?.trim() ?? '';
  return title === '' ? UNTITLED_ALERT : title;
}

/** The subject of what the group is about: a unit, a level, or the whole province. */
function scopeOf(labels: Record<string, string>, units: UnitDirectory): string {
  if (labels.unit !== undefined) return unitLabel(labels.unit, units);
  if (labels.level !== undefined) return `Cấp ${LEVEL_NAMES[labels.level] ?? labels.level}`;
  if (labels.alertname?.endsWith('ProvinceWide')) return 'Toàn tỉnh';
  return 'Hệ thống theo dõi';
}

/** Where a base URL names the unit: the ops board's page of a unit (`…/#/don-vi/{unit}`). */
export const UNIT_PLACEHOLDER = '{unit}';

/**
 * The link of a notice. A base with `{unit}` (the ops board, the default) gets the unit id in its
 * place, or, for a notice about no unit, is cut at its fragment (the board's start page, the
 * province overview). Any other base (a Grafana panel) gets var-unit, var-level and var-window.
 */
export function dashboardLink(base: string, labels: Record<string, string>): string {
  if (base.includes(UNIT_PLACEHOLDER)) {
    if (labels.unit !== undefined) return base.split(UNIT_PLACEHOLDER).join(encodeURIComponent(labels.unit));
    const cut = base.indexOf('#');
    return cut === -1 ? base.split(UNIT_PLACEHOLDER).join('') : base.slice(0, cut);
  }
  const url = new URL(base);
  if (labels.unit !== undefined) url.searchParams.set('var-unit', labels.unit);
  if (labels.level !== undefined) url.searchParams.set('var-level', labels.level);
  if (labels.window !== undefined) url.searchParams.set('var-window', labels.window);
  return url.toString();
}

/**
 * How a notice speaks of an alert: one on a target (a `kpi` label) is a breach ("vi phạm") that
 * ends when the target is met again; any other (dossiers due soon, a service down, the calendar
 * ending) is a situation that is going on ("đang diễn ra").
 */
function isTargetBreach(labels: Record<string, string>): boolean {
  return labels.kpi !== undefined;
}

/** How a notice writes each worklist: what it lists, its heading, its empty line, the deadline's name, and whether the deadline has passed. */
const WORKLIST_TEXT: Record<Worklist, { what: string; heading: string; none: string; deadline: string; late: boolean }> = {
  overdue: { what: 'quá hạn', heading: 'quá hạn lâu nhất', none: 'hồ sơ đang mở đã quá hạn', deadline: 'hạn', late: true },
  'due-soon': { what: 'sắp đến hạn', heading: 'sắp đến hạn sớm nhất', none: 'hồ sơ đến hạn trong 24 giờ tới', deadline: 'hạn', late: false },
  'receipt-overdue': {
    what: 'nộp trực tuyến chậm tiếp nhận',
    heading: 'nộp trực tuyến chậm tiếp nhận lâu nhất',
    none: 'hồ sơ nộp trực tuyến chậm tiếp nhận',
    deadline: 'hạn tiếp nhận',
    late: true,
  },
  'result-not-returned': {
    what: 'quá hạn trả kết quả',
    heading: 'quá hạn trả kết quả lâu nhất',
    none: 'hồ sơ quá hạn trả kết quả',
    deadline: 'hạn trả kết quả',
    late: true,
  },
};

function renderList(lines: string[], kind: Worklist, list: DossierList | undefined, now: number, until: string): void {
  const text = WORKLIST_TEXT[kind];
  lines.push('');
  if (list === undefined || !list.ok) {
    lines.push(`Không đọc được danh sách hồ sơ ${text.what} của đơn vị${list === undefined ? '' : ` (${list.reason})`}.`);
  } else if (list.dossiers.length === 0) {
    lines.push(`Đơn vị hiện không có ${text.none} (${until}).`);
  } else {
    lines.push(`${list.dossiers.length} hồ sơ ${text.heading} của đơn vị (${until}):`);
    list.dossiers.forEach((d, i) => {
      const when = text.late ? `đã quá ${formatDuration(now - d.dueMs)}` : `còn ${formatDuration(d.dueMs - now)}`;
      lines.push(`  ${i + 1}. ${d.code}: ${text.deadline} ${formatVnTime(d.dueMs)}, ${when}`);
    });
  }
}

function renderAlert(alert: AmAlert, input: RenderInput): string[] {
  const { labels, annotations } = alert;
  const lines: string[] = [];
  const firing = alert.status === 'firing';
  const breach = isTargetBreach(labels);
  const active = breach ? 'đang vi phạm' : 'đang diễn ra';
  lines.push(`${firing ? 'CẢNH BÁO' : 'ĐÃ KHẮC PHỤC'}: ${alertTitle(annotations)}`);
  if (labels.unit !== undefined) {
    const info = input.units.lookup(labels.unit);
    const level = labels.level ?? info.level;
    lines.push(`Đơn vị: ${unitLabel(labels.unit, input.units)} (mã ${labels.unit}, cấp ${LEVEL_NAMES[level] ?? 'chưa xác định'})`);
  } else if (labels.level !== undefined) {
    lines.push(`Phạm vi: các đơn vị cấp ${LEVEL_NAMES[labels.level] ?? 'chưa xác định'}`);
  } else if (labels.alertname?.endsWith('ProvinceWide')) {
    lines.push('Phạm vi: toàn tỉnh');
  }
  if (labels.kpi !== undefined) lines.push(`Chỉ tiêu: ${KPI_NAMES[labels.kpi] ?? labels.kpi}`);
  if (labels.reason !== undefined) lines.push(`Dấu hiệu: ${REASON_NAMES[labels.reason] ?? labels.reason}`);
  const window = windowName(labels.window);
  if (window !== undefined) lines.push(`Cửa sổ: ${window}`);
  if (labels.severity !== undefined) lines.push(`Mức độ: ${SEVERITY_NAMES[labels.severity] ?? labels.severity}`);
  const started = Date.parse(alert.startsAt);
  if (input.asOf !== undefined) {
    lines.push(`Tình trạng: ${firing ? active : 'đã trở lại bình thường'}, tính đến ${formatVnTime(input.asOf)}`);
  } else if (firing) {
    lines.push(`Tình trạng: ${active} từ ${formatVnTime(started)}`);
  } else {
    const ended = Date.parse(alert.endsAt);
    const endText = Number.isNaN(ended) ? formatVnTime(input.now) : formatVnTime(ended);
    lines.push(`Tình trạng: đã trở lại bình thường lúc ${endText} (${breach ? 'vi phạm' : 'bắt đầu'} từ ${formatVnTime(started)})`);
  }
  const summary = annotations.summary_vi ?? annotations.summary;
  if (summary !== undefined) {
    const label = firing ? (breach ? 'Giá trị so với mục tiêu' : 'Tóm tắt') : breach ? 'Lần vi phạm này' : 'Lần cảnh báo này';
    lines.push(`${label}: ${summary}`);
  }
  const description = annotations.description_vi ?? annotations.description;
  if (description !== undefined) lines.push(`Chi tiết: ${description}`);
  const worklist = worklistOf(labels);
  if (firing && worklist !== undefined && labels.unit !== undefined) {
    const now = input.asOf ?? input.now;
    const until = `${input.asOf === undefined ? 'đến' : 'tính đến'} ${formatVnTime(now)}`;
    renderList(lines, worklist, input.worklists.get(worklist)?.get(labels.unit), now, until);
  }
  lines.push('');
  lines.push(`Bảng điều khiển: ${dashboardLink(input.dashboardUrl, labels)}`);
  return lines;
}

/** The Vietnamese notice of one Alertmanager group notification (one status). */
export function renderNotice(input: RenderInput): RenderedNotice {
  const { payload } = input;
  const firing = payload.status === 'firing';
  const labels = { ...payload.commonLabels, ...payload.groupLabels };
  const firingCount = payload.alerts.filter((a) => a.status === 'firing').length;
  const [title, ...others] = new Set(payload.alerts.map((a) => alertTitle(a.annotations)));
  const subjectTitle = title !== undefined && others.length === 0 ? title : 'nhiều cảnh báo';
  // The window in words a head reads ("14 ngày gần nhất"), not the label ("cửa sổ 14d").
  const window = labels.window !== undefined ? ` (${windowWords(labels.window)})` : '';
  const subject = `[DVC] ${firing ? 'CẢNH BÁO' : 'ĐÃ KHẮC PHỤC'}: ${scopeOf(labels, input.units)}: ${subjectTitle}${window}`;
  const lines: string[] = [];
  lines.push('Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính thông báo:');
  lines.push('');
  const breach = payload.alerts.every((a) => isTargetBreach(a.labels));
  if (firing) {
    const single = breach ? 'Chỉ tiêu dưới đây đang không đạt mục tiêu.' : 'Cảnh báo dưới đây đang diễn ra.';
    lines.push(
      payload.alerts.length === 1
        ? single
        : `${firingCount} trong ${payload.alerts.length} cảnh báo của nhóm dưới đây ${breach ? 'đang vi phạm' : 'đang diễn ra'}.`,
    );
  } else {
    const single = breach ? 'Cảnh báo dưới đây đã hết: chỉ tiêu đã trở lại đạt mục tiêu.' : 'Cảnh báo dưới đây đã hết.';
    lines.push(payload.alerts.length === 1 ? single : `Cả ${payload.alerts.length} cảnh báo của nhóm dưới đây đã hết.`);
  }
  // Firing first, then by unit, so a long group reads from what needs action.
  const alerts = [...payload.alerts].sort(
    (a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) || (a.labels.unit ?? '').localeCompare(b.labels.unit ?? ''),
  );
  for (const alert of alerts) {
    lines.push('');
    lines.push(...renderAlert(alert, input));
  }
  if (payload.truncatedAlerts > 0) {
    lines.push('');
    lines.push(`(Còn ${payload.truncatedAlerts} cảnh báo khác trong nhóm không được gửi kèm.)`);
  }
  lines.push('');
  lines.push('--');
  const asOf = input.asOf === undefined ? '' : `; số liệu tính đến ${formatVnTime(input.asOf)}`;
  lines.push(`Thông báo tự động của hệ thống theo dõi DVC, lập lúc ${formatVnTime(input.now)}${asOf}. Vui lòng không trả lời thư này.`);
  return { subject, text: `${lines.join('\n')}\n` };
}

/** A notice as one e-mail of a digest carries it: its status, subject and text as written. */
export interface DigestPart {
  status: 'firing' | 'resolved';
  subject: string;
  text: string;
}

/**
 * One e-mail for the notices to one person that waited for the same opening of office hours: how
 * many and of which kind in the subject, an index of their subjects, then each notice's text as
 * written, in the order the notices were written (a group's warning before its all-clear).
 */
export function renderDigest(parts: readonly DigestPart[], now: number): RenderedNotice {
  const firing = parts.filter((p) => p.status === 'firing').length;
  const kinds = [firing > 0 ? `${firing} CẢNH BÁO` : '', firing < parts.length ? `${parts.length - firing} ĐÃ KHẮC PHỤC` : ''].filter((k) => k !== '');
  const heading = (p: DigestPart) => p.subject.replace(/^\[DVC\] /, '');
  const lines = [
    `Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính gửi ${parts.length} thông báo phát sinh ngoài giờ làm việc, gộp trong thư này:`,
    '',
    ...parts.map((p, i) => `  ${i + 1}. ${heading(p)}`),
  ];
  parts.forEach((p, i) => {
    lines.push('', `======== Thông báo ${i + 1}/${parts.length} ========`, heading(p), '', p.text.trimEnd());
  });
  lines.push('', '--', `Thư gộp tự động của hệ thống theo dõi DVC, gửi lúc ${formatVnTime(now)}. Vui lòng không trả lời thư này.`);
  return { subject: `[DVC] ${parts.length} thông báo từ ngoài giờ làm việc (${kinds.join(', ')})`, text: `${lines.join('\n')}\n` };
}
