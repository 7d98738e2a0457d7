// The ops board's page: plain ES module, no build step, no network but this service.
// Every figure comes from the board's API (/v1/...): aggregates read from Prometheus with the
// Grafana dashboards' queries, lists from the read model. Numbers and dates in Vietnamese format.

const ZONE = 'Asia/Ho_Chi_Minh';
const KEY_ITEM = 'dvc-board-key';
const NUMBER = new Intl.NumberFormat('vi-VN');
const PERCENT = new Intl.NumberFormat('vi-VN', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const VND = new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' });
const DATE = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric' });
const DAY_MONTH = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, day: '2-digit', month: '2-digit' });
/** "21/11": day and month as Vietnamese write them (the locale's short form puts a hyphen). */
const dayMonth = (ms) => {
  const parts = Object.fromEntries(DAY_MONTH.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}`;
};
const TIME = new Intl.DateTimeFormat('vi-VN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const REFRESH_MS = 5000;

export const fmt = {
  number: (v) => (v === null || v === undefined ? '–' : NUMBER.format(v)),
  percent: (v) => (v === null || v === undefined ? '–' : PERCENT.format(v)),
  vnd: (v) => (v === null || v === undefined ? '–' : VND.format(v)),
  dateTime: (iso) => (iso === null || iso === undefined ? '–' : `${DATE.format(new Date(iso))} ${TIME.format(new Date(iso))}`),
};

const GROUPS = [
  { id: 'province', name: 'Sở, ban, ngành cấp tỉnh', test: (u) => u.level === 'province' },
  { id: 'district', name: 'UBND cấp huyện', test: (u) => u.level === 'district' && u.kind !== 'land_registration_branch' },
  { id: 'land', name: 'Chi nhánh Văn phòng đăng ký đất đai', test: (u) => u.kind === 'land_registration_branch' },
  { id: 'commune', name: 'UBND cấp xã', test: (u) => u.level === 'commune' },
  { id: 'other', name: 'Đơn vị khác', test: () => true },
];
const RAG = { green: 'Đạt', amber: 'Gần đạt', red: 'Không đạt', none: 'Chưa có số liệu' };
// The lists of a unit's page: each names its columns and which field of the API's item fills them
// (sinceAt, dueAt) and what its last column counts (days past the deadline, days waiting, or none).
const STATES = [
  { id: 'overdue', title: 'Quá hạn hiện tại', since: 'Tiếp nhận', sinceAt: 'receivedAt', due: 'Hạn xử lý', dueAt: 'dueAt', days: 'Số ngày quá hạn', counts: 'late' },
  { id: 'due_soon', title: 'Đến hạn trong 24 giờ', since: 'Tiếp nhận', sinceAt: 'receivedAt', due: 'Hạn xử lý', dueAt: 'dueAt', days: 'Số ngày quá hạn', counts: null },
  // Waiting for the citizen's supplement: since when, and for how long (the due time moves with the clock while paused).
  { id: 'paused', title: 'Tạm dừng chờ bổ sung', since: 'Tiếp nhận', sinceAt: 'receivedAt', due: 'Chờ bổ sung từ', dueAt: 'pausedSince', days: 'Số ngày chờ', counts: 'waiting' },
  // Online submissions not received within the receipt deadline (Decree 118/2025): not yet received, so the submission time and the receipt deadline.
  { id: 'receipt_overdue', title: 'Nộp trực tuyến chậm tiếp nhận', since: 'Nộp trực tuyến', sinceAt: 'submittedAt', due: 'Hạn tiếp nhận', dueAt: 'dueAt', days: 'Số ngày quá hạn', counts: 'late' },
  // Resolved, the result not handed back to the citizen by its deadline: when resolved, and the return deadline.
  { id: 'result_not_returned', title: 'Quá hạn trả kết quả', since: 'Giải quyết', sinceAt: 'resolvedAt', due: 'Hạn trả kết quả', dueAt: 'dueAt', days: 'Số ngày quá hạn', counts: 'late' },
];
// A signal that is also one of a unit's lists (results not returned) is a count of now, shown as
// that list and its own ranking column; the others are flags raised within the window.
const windowSignals = (integrity) => Object.entries(integrity ?? {}).filter(([reason]) => !STATES.some((s) => s.id === reason));
const signalCount = (integrity) => windowSignals(integrity).reduce((a, [, n]) => a + n, 0);
const signalText = (integrity) => windowSignals(integrity).map(([reason, n]) => `${context.signals?.[reason] ?? reason}: ${NUMBER.format(n)}`).join('; ');
const LEVEL_NAMES = { province: 'Tỉnh', district: 'Huyện', commune: 'Xã', unknown: 'Chưa rõ' };

const $ = (selector) => document.querySelector(selector);
const view = $('#view');
let context;
let timer;
const charts = [];

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, as = 'json') {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY_ITEM) ?? ''}` }, cache: 'no-store' });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.error ?? `lỗi ${res.status}`);
  }
  return as === 'json' ? res.json() : res.blob();
}

function showLogin(message = '') {
  $('#nav').hidden = true;
  $('#health').hidden = true;
  $('#login').hidden = false;
  view.innerHTML = '';
  $('#login-error').textContent = message;
  $('#key-input').focus();
}

/** A period's name as the page shows it: the targets file's Vietnamese name, without its English gloss in parentheses. */
function windowName(w) {
  return w.name.replace(/\s*\([^()]*\)\s*$/, '');
}

function windowOptions(selected) {
  return context.windows.map((w) => `<option value="${esc(w.id)}"${w.id === selected ? ' selected' : ''}>${esc(windowName(w))}${w.exported === false ? ' (không còn số liệu)' : ''}</option>`).join('');
}

/**
 * When the exporters no longer export the chosen window (a period that ended long ago: Prometheus
 * has none of its series), draws the view's heading, its window menu and a notice saying so
 * instead of figures that would read as zeros, as if nothing had happened; true when it did.
 */
function showUnexported(heading, menu, id) {
  const w = context.windows.find((x) => x.id === id);
  if (w?.exported !== false) return false;
  view.innerHTML = `<h2>${esc(heading)}</h2>
    <div class="controls"><label for="${menu.param}">${esc(menu.label)}</label><select id="${menu.param}">${windowOptions(id)}</select></div>
    <p class="error" id="unexported" role="alert">Kỳ đã chọn (“${esc(windowName(w))}”) đã kết thúc từ lâu nên bộ xuất số liệu không còn đưa số liệu của kỳ lên Prometheus (EXPORTER_PERIOD_DAYS_AFTER_END). Chọn kỳ khác; muốn xem lại kỳ này, quản trị viên tăng EXPORTER_PERIOD_DAYS_AFTER_END của exporter.</p>`;
  $(`#${menu.param}`).addEventListener('change', (e) => (location.hash = `${menu.view}?${menu.param}=${e.target.value}`));
  return true;
}

/**
 * The view the address names; without one, the province overview for a key that reads every
 * unit, and the unit's own page (its standing and lists) for a unit head's key.
 */
function route() {
  const home = context.key.units === '*' ? 'tong-quan' : 'don-vi';
  const [name = home, arg] = location.hash.replace(/^#\/?/, '').split('/');
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { name: name.split('?')[0] || home, arg: arg?.split('?')[0], params };
}

function badge(met) {
  if (met === null) return '<span class="badge none">Chưa có số liệu</span>';
  return met ? '<span class="badge met">Đạt</span>' : '<span class="badge not-met">Không đạt</span>';
}

function target(k) {
  return `${k.comparison === 'lt' ? '<' : '≥'} ${fmt.percent(k.target)}`;
}

/** A KPI table's rows: value, target and mark; a KPI with no target for the unit says so. */
function kpiRows(kpis) {
  return kpis.map((k) => `<tr data-kpi="${k.id}"><td>${esc(k.label)}</td><td class="num" data-figure="kpi-${k.id}" data-value="${k.value ?? ''}">${fmt.percent(k.value)}</td><td class="num">${k.target === null ? '–' : target(k)}</td><td>${k.target === null ? '<span class="badge none">Không áp dụng</span>' : badge(k.met)}</td></tr>`).join('');
}

function card(id, label, value, text) {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value" data-figure="${id}" data-value="${value ?? ''}">${esc(text)}</div></div>`;
}

async function renderOverview(params) {
  const window = params.get('window') ?? '14d';
  if (showUnexported('Tổng quan tỉnh', { label: 'Kỳ', param: 'window', view: '#/tong-quan' }, window)) return;
  const data = await api(`/v1/overview?window=${encodeURIComponent(window)}`);
  const c = data.counts;
  const overdue = data.kpis.find((k) => k.id === 'overdue_ratio');
  const balanced = data.balance.left === null || data.balance.right === null ? null : data.balance.left === data.balance.right;
  view.innerHTML = `
    <h2>Tổng quan tỉnh</h2>
    <div class="controls"><label for="window">Kỳ</label><select id="window">${windowOptions(window)}</select></div>
    <h3>Chỉ tiêu</h3>
    <table id="kpis"><thead><tr><th>Chỉ tiêu</th><th class="num">Thực tế</th><th class="num">Mục tiêu</th><th>Kết quả</th></tr></thead><tbody>
    ${kpiRows(data.kpis)}
    </tbody></table>
    <h3>Hồ sơ</h3>
    <div class="cards">
      ${card('carried-over', 'Tồn kỳ trước chuyển sang', c.carriedOver, fmt.number(c.carriedOver))}
      ${card('received', 'Tiếp nhận mới', c.received, fmt.number(c.received))}
      ${card('to-resolve', 'Tổng số cần giải quyết', c.toResolve, fmt.number(c.toResolve))}
      ${card('resolved', 'Đã giải quyết', c.resolved, fmt.number(c.resolved))}
      ${card('resolved-overdue', 'Trong đó trễ hạn', c.resolvedOverdue, fmt.number(c.resolvedOverdue))}
      ${card('overdue-ratio', 'Tỷ lệ trễ hạn', overdue?.value, fmt.percent(overdue?.value))}
      ${card('open', window === '14d' ? 'Đang giải quyết (hiện tại)' : 'Đang giải quyết (cuối kỳ)', data.balance.open, fmt.number(data.balance.open))}
      ${card('open-overdue', 'Đang giải quyết đã quá hạn (hiện tại)', c.openOverdueNow, fmt.number(c.openOverdueNow))}
      ${card('withdrawn', 'Rút hồ sơ, không giải quyết', c.withdrawn, fmt.number(c.withdrawn))}
    </div>
    <p class="balance${balanced === null ? ' none' : balanced ? '' : ' off'}" data-figure="balance">Cân đối: tồn kỳ trước + tiếp nhận = <strong>${fmt.number(data.balance.left)}</strong>;
      đã giải quyết + đang giải quyết + rút = <strong>${fmt.number(data.balance.right)}</strong> — ${balanced === null ? 'chưa có số liệu' : balanced ? 'khớp' : 'không khớp'}.</p>
    <h3>Thanh toán</h3>
    <table><thead><tr><th>Loại</th><th>Kênh</th><th class="num">Số giao dịch</th><th class="num">Số tiền</th></tr></thead><tbody>
    ${data.payments.map((p) => `<tr><td>${p.kind === 'fee' ? 'Phí, lệ phí' : p.kind === 'land_obligation' ? 'Nghĩa vụ tài chính đất đai' : esc(p.kind)}</td><td>${p.channel === 'online' ? 'Trực tuyến' : 'Trực tiếp'}</td><td class="num">${fmt.number(p.count)}</td><td class="num">${fmt.vnd(p.vnd)}</td></tr>`).join('') || '<tr><td colspan="4">Chưa có giao dịch.</td></tr>'}
    </tbody></table>`;
  $('#window').addEventListener('change', (e) => (location.hash = `#/tong-quan?window=${e.target.value}`));
}

function groupOf(unit) {
  return GROUPS.find((g) => g.test(unit));
}

function trendChart(element, trend, units) {
  const wanted = trend.series.filter((s) => units.includes(s.unit));
  if (wanted.length === 0 || typeof uPlot === 'undefined') {
    element.innerHTML = '<p class="muted">Chưa có dữ liệu xu hướng trong Prometheus.</p>';
    return;
  }
  const times = [...new Set(wanted.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const data = [times.map((t) => t / 1000), ...wanted.map((s) => {
    const byTime = new Map(s.points);
    return times.map((t) => (byTime.has(t) ? byTime.get(t) * 100 : null));
  })];
  const colours = ['#c62828', '#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457'];
  const chart = new uPlot(
    {
      width: Math.min(element.clientWidth || 900, 1100),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), ZONE),
      series: [{ label: 'Thời điểm ghi nhận', value: (_u, v) => (v === null ? '–' : fmt.dateTime(new Date(v * 1000).toISOString())) }, ...wanted.map((s, i) => ({ label: s.unit, stroke: colours[i % colours.length], width: 2, value: (_u, v) => (v === null ? '–' : fmt.percent(v / 100)) }))],
      // The range the server read (the last 14 days of Prometheus' time axis, whatever it holds); a y axis wide enough for "12,5 %".
      scales: { x: { time: true, range: () => [Date.parse(trend.from) / 1000, Date.parse(trend.to) / 1000] } },
      axes: [{ values: (_u, ticks) => ticks.map((t) => dayMonth(t * 1000)) }, { size: 64, values: (_u, ticks) => ticks.map((v) => `${NUMBER.format(v)} %`) }],
    },
    data,
    element,
  );
  charts.push(chart);
}

/**
 * What the trend's time axis is. Prometheus stamps each figure when it records it (the wall
 * clock); with a pinned or event clock that is not the date the figure is about, so the page says so.
 */
function trendNote(trend) {
  const span = `${fmt.dateTime(trend.from)} – ${fmt.dateTime(trend.to)}`;
  const lead = 'Biểu đồ: tỷ lệ trễ hạn 14 ngày của tối đa 8 đơn vị cao nhất mỗi nhóm';
  if (trend.clock.mode === 'as-of') {
    const asOf = fmt.dateTime(trend.clock.asOf);
    return `${lead}. Đồng hồ của hệ thống đang cố định tại ${asOf}, nên trục thời gian không phải ngày của hồ sơ: biểu đồ là lịch sử Prometheus đã ghi nhận trong 14 ngày vận hành gần nhất (${span}), mỗi điểm là tỷ lệ 14 ngày tính đến ${asOf} tại thời điểm ghi.`;
  }
  if (trend.clock.mode === 'event') {
    return `${lead}. Đồng hồ theo thời gian sự kiện, nên trục thời gian không phải ngày của hồ sơ: biểu đồ là lịch sử Prometheus đã ghi nhận trong 14 ngày vận hành gần nhất (${span}), mỗi điểm là tỷ lệ 14 ngày tính đến mốc thời gian sự kiện lúc ghi.`;
  }
  return `${lead}, theo số liệu Prometheus đã ghi nhận trong 14 ngày qua (${span}).`;
}

async function renderRanking(params) {
  const window = params.get('window') ?? '14d';
  if (showUnexported('Xếp hạng đơn vị theo tỷ lệ trễ hạn', { label: 'Kỳ', param: 'window', view: '#/xep-hang' }, window)) return;
  const [ranking, trend] = await Promise.all([api(`/v1/ranking?window=${encodeURIComponent(window)}`), api('/v1/trend')]);
  const groups = GROUPS.map((g) => ({ ...g, units: ranking.units.filter((u) => groupOf(u) === g) })).filter((g) => g.units.length > 0);
  view.innerHTML = `
    <h2>Xếp hạng đơn vị theo tỷ lệ trễ hạn</h2>
    <div class="controls"><label for="window">Kỳ</label><select id="window">${windowOptions(window)}</select>
    <span class="muted">Xanh: đạt mục tiêu; vàng: dưới 2 lần mục tiêu; đỏ: từ 2 lần mục tiêu trở lên.</span></div>
    <p class="muted" id="trend-note">${esc(trendNote(trend))}</p>
    ${groups.map((g) => `
      <h3>${esc(g.name)}</h3>
      <div class="chart" id="trend-${g.id}"></div>
      <table data-group="${g.id}"><thead><tr><th>#</th><th>Đơn vị</th><th class="num">Đã giải quyết</th><th class="num">Trễ hạn</th><th class="num">Tỷ lệ trễ hạn</th><th class="num">Mục tiêu</th><th>Đánh giá</th><th class="num">Đang quá hạn</th><th class="num">Quá hạn trả kết quả</th><th class="num">Dấu hiệu bất thường</th></tr></thead><tbody>
      ${g.units.map((u, i) => `<tr data-unit="${esc(u.unit)}"><td class="num">${i + 1}</td><td><a href="#/don-vi/${encodeURIComponent(u.unit)}">${esc(u.name || u.unit)}</a></td><td class="num">${fmt.number(u.resolved)}</td><td class="num">${fmt.number(u.resolvedOverdue)}</td><td class="num">${fmt.percent(u.overdueRatio)}</td><td class="num">${u.overdueTarget === null ? '–' : `&lt; ${fmt.percent(u.overdueTarget)}`}</td><td><span class="badge ${u.rag}">${RAG[u.rag]}</span></td><td class="num">${fmt.number(u.openOverdueNow)}</td><td class="num">${fmt.number(u.integrity?.result_not_returned ?? 0)}</td><td class="num" title="${esc(signalText(u.integrity))}">${fmt.number(signalCount(u.integrity))}</td></tr>`).join('')}
      </tbody></table>`).join('') || '<p>Chưa có số liệu trong kỳ này.</p>'}`;
  for (const g of groups) trendChart($(`#trend-${g.id}`), trend, g.units.slice(0, 8).map((u) => u.unit));
  $('#window').addEventListener('change', (e) => (location.hash = `#/xep-hang?window=${e.target.value}`));
}

/** Whole days overdue; under one day reads "< 1", never 0 on a list of overdue dossiers. */
function daysOverdue(days) {
  return days === 0 ? '&lt; 1' : fmt.number(days);
}

/** Whole days from `from` to `now` (ISO times); under one day reads "< 1". */
function daysSince(from, now) {
  return daysOverdue(Math.max(0, Math.floor((Date.parse(now) - Date.parse(from)) / 86_400_000)));
}

function dossierRows(items, list, now) {
  if (items.length === 0) return `<tr><td colspan="5" class="muted">Không có hồ sơ.</td></tr>`;
  const days = (d) => (list.counts === 'late' ? daysOverdue(d.daysOverdue) : list.counts === 'waiting' && d.pausedSince ? daysSince(d.pausedSince, now) : '–');
  // Each cell names its column (data-label): on a phone a row is a card, its header out of sight.
  const cell = (label, text, cls = '') => `<td${cls ? ` class="${cls}"` : ''} data-label="${esc(label)}">${text}</td>`;
  return items.map((d) => `<tr data-dossier="${esc(d.dossierId)}">${[
    cell('Mã hồ sơ', esc(d.dossierId)),
    cell('Thủ tục', esc(d.procedureId ?? '–')),
    cell(list.since, fmt.dateTime(d[list.sinceAt])),
    cell(list.due, fmt.dateTime(d[list.dueAt])),
    cell(list.days, days(d), 'num'),
  ].join('')}</tr>`).join('');
}

/** A unit's overdue share over the last 14 days against its target, from its ranking line: what a head of unit is measured by. */
function standing(line) {
  if (line === undefined) return '14 ngày gần nhất: <span class="badge none">Chưa có số liệu</span>';
  const target = line.overdueTarget === null ? 'chưa có mục tiêu' : `mục tiêu dưới ${fmt.percent(line.overdueTarget)}`;
  return `14 ngày gần nhất: đã giải quyết <b data-figure="unit-resolved">${fmt.number(line.resolved)}</b> hồ sơ, trễ hạn <b data-figure="unit-resolved-overdue">${fmt.number(line.resolvedOverdue)}</b> (tỷ lệ trễ hạn <b data-figure="unit-overdue-ratio">${fmt.percent(line.overdueRatio)}</b>; ${target}) <span class="badge ${line.rag}" data-figure="unit-rag">${RAG[line.rag]}</span> · đang quá hạn: <b data-figure="unit-open-overdue">${fmt.number(line.openOverdueNow)}</b> hồ sơ`;
}

async function renderWorklist(unit) {
  const { units } = await api('/v1/units');
  // A unit the key cannot list (a typo, an old link, another key's unit) is named, never shown as
  // the first unit of the menu with lists that are not that unit's.
  const unlisted = unit !== undefined && !units.some((u) => u.id === unit);
  const chosen = unlisted ? undefined : (unit ?? units[0]?.id);
  const options = units.map((u) => `<option value="${esc(u.id)}"${u.id === chosen ? ' selected' : ''}>${esc(u.name || u.id)} (${esc(u.id)})</option>`).join('');
  view.innerHTML = `
    <h2>Danh sách hồ sơ theo đơn vị</h2>
    <div class="controls"><label for="unit">Đơn vị</label><select id="unit">${unlisted ? '<option value="" selected disabled>Chọn đơn vị</option>' : ''}${options}</select>
    <span class="muted">Tự cập nhật mỗi ${REFRESH_MS / 1000} giây. Chỉ có mã hồ sơ và thời gian, không có thông tin cá nhân.</span></div>
    <p id="standing">Đang tải chỉ tiêu của đơn vị…</p>
    <table id="unit-kpis"><thead><tr><th>Chỉ tiêu của đơn vị (14 ngày gần nhất)</th><th class="num">Thực tế</th><th class="num">Mục tiêu</th><th>Kết quả</th></tr></thead><tbody></tbody></table>
    <p class="error" id="list-error" role="alert"></p>
    <div id="lists"></div>
    <h3>Dấu hiệu bất thường (14 ngày gần nhất)</h3>
    <p id="signals" class="muted">Đang tải…</p>`;
  $('#unit').addEventListener('change', (e) => (location.hash = `#/don-vi/${encodeURIComponent(e.target.value)}`));
  // This page's own elements: a read that answers after the page was left writes into them, never into the next page's.
  const standingEl = $('#standing');
  const signalsEl = $('#signals');
  const kpiTable = $('#unit-kpis');
  if (chosen === undefined) {
    $('#lists').innerHTML = unlisted
      ? `<p class="error" id="unit-unlisted">Không có đơn vị “${esc(unit)}” trong số liệu mà khóa này được xem. Hãy chọn một đơn vị trong danh sách.</p>`
      : context.key.units === '*' || context.key.units.length === 0
        ? '<p>Chưa có số liệu của đơn vị nào.</p>'
        : `<p id="unit-no-data">Chưa có số liệu của ${context.key.units.map((u) => `“${esc(u)}”`).join(', ')}: hệ thống chưa nhận sự kiện nào của đơn vị.</p>`;
    signalsEl.textContent = '–';
    standingEl.textContent = '';
    kpiTable.remove();
    return;
  }
  const lists = $('#lists');
  const pages = Object.fromEntries(STATES.map((s) => [s.id, { items: [], next: null, now: null }]));
  const load = async (state, after) => {
    const q = new URLSearchParams({ state, limit: '100' });
    if (after) q.set('after', after);
    const page = await api(`/v1/units/${encodeURIComponent(chosen)}/dossiers?${q}`);
    return page;
  };
  const paint = () => {
    lists.innerHTML = STATES.map((s) => `
      <h3>${s.title} <span class="muted" data-count="${s.id}">(${fmt.number(pages[s.id].items.length)}${pages[s.id].next ? '+' : ''} hồ sơ)</span></h3>
      <table data-list="${s.id}"><thead><tr><th>Mã hồ sơ</th><th>Thủ tục</th><th>${s.since}</th><th>${s.due}</th><th class="num">${s.days}</th></tr></thead>
      <tbody>${dossierRows(pages[s.id].items, s, pages[s.id].now)}</tbody></table>
      ${pages[s.id].next ? `<button type="button" class="no-print" data-more="${s.id}">Xem thêm</button>` : ''}`).join('');
    for (const button of lists.querySelectorAll('[data-more]')) {
      button.addEventListener('click', async () => {
        const state = button.dataset.more;
        const page = await load(state, pages[state].next);
        pages[state] = { items: [...pages[state].items, ...page.items], next: page.next, now: page.now };
        paint();
      });
    }
  };
  const refresh = async () => {
    const fresh = await Promise.all(STATES.map((s) => load(s.id)));
    STATES.forEach((s, i) => (pages[s.id] = { items: fresh[i].items, next: fresh[i].next, now: fresh[i].now }));
    paint();
  };
  // The unit's standing, KPIs and integrity signals come from Prometheus: without it the lists still show.
  api('/v1/ranking?window=14d').then(
    (ranking) => {
      const line = ranking.units.find((u) => u.unit === chosen);
      standingEl.innerHTML = standing(line);
      signalsEl.textContent = line === undefined || signalCount(line.integrity) === 0 ? 'Không có.' : signalText(line.integrity);
    },
    (error) => {
      standingEl.textContent = `Không đọc được chỉ tiêu của đơn vị: ${error.message}`;
      signalsEl.textContent = `Không đọc được: ${error.message}`;
    },
  );
  api(`/v1/units/${encodeURIComponent(chosen)}/kpis?window=14d`).then(
    (data) => (kpiTable.tBodies[0].innerHTML = kpiRows(data.kpis)),
    (error) => (kpiTable.tBodies[0].innerHTML = `<tr><td colspan="4" class="error">Không đọc được: ${esc(error.message)}</td></tr>`),
  );
  await refresh();
  // A failed refresh keeps the lists shown and says why; the next one that succeeds clears it.
  timer = setInterval(() => {
    refresh().then(
      () => ($('#list-error').textContent = ''),
      (error) => {
        if (error instanceof ApiError && error.status === 401) fail(error);
        else $('#list-error').textContent = `Không cập nhật được danh sách: ${error.message}`;
      },
    );
  }, REFRESH_MS);
}

async function download(period, format) {
  const blob = await api(`/v1/report?period=${encodeURIComponent(period)}&format=${format}`, 'blob');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `bao-cao-${period}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function renderReport(params) {
  // By default the first period with figures: a period the exporters no longer export has none.
  const period = params.get('period') ?? context.windows.find((w) => w.id !== '14d' && w.exported !== false)?.id ?? '14d';
  if (showUnexported('Báo cáo giao ban', { label: 'Kỳ báo cáo', param: 'period', view: '#/bao-cao' }, period)) return;
  const report = await api(`/v1/report?period=${encodeURIComponent(period)}`);
  const cells = (r) => `<td>${esc(r.name || r.unit)}</td><td>${esc(LEVEL_NAMES[r.level] ?? r.level)}</td><td class="num">${fmt.number(r.carriedOver)}</td><td class="num">${fmt.number(r.received)}</td><td class="num">${fmt.number(r.toResolve)}</td><td class="num">${fmt.number(r.resolved)}</td><td class="num">${fmt.number(r.resolvedOverdue)}</td><td class="num">${fmt.percent(r.overdueRatio)}</td><td class="num">${fmt.number(r.open)}</td><td class="num">${fmt.number(r.openOverdueNow)}</td><td class="num">${fmt.number(r.withdrawn)}</td>`;
  const total = report.rows[report.rows.length - 1];
  const units = report.rows.slice(0, -1);
  view.innerHTML = `
    <h2>Báo cáo giao ban: ${esc(windowName(report))}</h2>
    <div class="controls"><label for="period">Kỳ báo cáo</label><select id="period">${windowOptions(period)}</select>
      <button type="button" id="csv">Tải CSV</button><button type="button" id="xlsx">Tải XLSX</button><button type="button" id="print">In / lưu PDF</button></div>
    <p class="muted">Số liệu tại ${fmt.dateTime(context.now)} (giờ Việt Nam). Đang giải quyết: ${period === '14d' ? 'hiện tại' : 'tại cuối kỳ'}; đang quá hạn: hiện tại.</p>
    <table id="report"><thead><tr><th>Đơn vị</th><th>Cấp</th><th class="num">Tồn kỳ trước</th><th class="num">Tiếp nhận mới</th><th class="num">Cần giải quyết</th><th class="num">Đã giải quyết</th><th class="num">Trong đó trễ hạn</th><th class="num">Tỷ lệ trễ hạn</th><th class="num">Đang giải quyết</th><th class="num">Đang quá hạn</th><th class="num">Rút hồ sơ</th></tr></thead>
    <tbody>${units.map((r) => `<tr data-unit="${esc(r.unit)}">${cells(r)}</tr>`).join('')}</tbody>
    <tfoot><tr class="total" data-unit="${esc(total.unit)}">${cells(total)}</tr></tfoot></table>`;
  $('#period').addEventListener('change', (e) => (location.hash = `#/bao-cao?period=${e.target.value}`));
  $('#csv').addEventListener('click', () => download(period, 'csv').catch(fail));
  $('#xlsx').addEventListener('click', () => download(period, 'xlsx').catch(fail));
  $('#print').addEventListener('click', () => window.print());
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    sessionStorage.removeItem(KEY_ITEM);
    showLogin('Khóa không hợp lệ hoặc đã bị thu hồi.');
    return;
  }
  view.innerHTML = `<p class="error" role="alert">${esc(error.message)}</p>`;
}

/**
 * The system's own alerts firing now (the context's `health`), above every page: critical ones say
 * the figures below may be missing or out of date; the others are for the operations team. No
 * health at all (null) means Prometheus did not answer: then nothing is evaluated and no notice
 * reaches any head of unit, which the page says first.
 */
function renderHealth(health) {
  const alerts = health ?? [];
  const item = (a) => `<li data-alert="${esc(a.name)}">${esc(a.summary || a.title)} <span class="muted">(từ ${esc(fmt.dateTime(a.since))})</span></li>`;
  const unanswered =
    health === null
      ? '<li data-alert="">Hệ thống theo dõi (Prometheus) không trả lời: không chỉ tiêu nào được đánh giá và không cảnh báo nào được gửi đến lãnh đạo đơn vị cho đến khi nó hoạt động lại.</li>'
      : '';
  const block = (items, cls, heading) =>
    items === '' ? '' : `<div class="health ${cls}" role="${cls === 'critical' ? 'alert' : 'status'}"><strong>${heading}</strong><ul>${items}</ul></div>`;
  $('#health').innerHTML =
    block(unanswered + alerts.filter((a) => a.severity === 'critical').map(item).join(''), 'critical', 'Số liệu dưới đây có thể thiếu hoặc đã cũ:') +
    block(alerts.filter((a) => a.severity !== 'critical').map(item).join(''), 'warning', 'Cảnh báo của hệ thống theo dõi:');
  $('#health').hidden = health !== null && alerts.length === 0;
}

async function render() {
  clearInterval(timer);
  while (charts.length > 0) charts.pop().destroy();
  if (!sessionStorage.getItem(KEY_ITEM)) {
    showLogin();
    return;
  }
  try {
    context = await api('/v1/context');
  } catch (error) {
    fail(error);
    return;
  }
  $('#login').hidden = true;
  $('#nav').hidden = false;
  renderHealth(context.health);
  $('#clock').textContent = `Số liệu tại ${fmt.dateTime(context.now)} (giờ Việt Nam) · đồng hồ: ${context.clock.mode === 'as-of' ? 'cố định' : context.clock.mode === 'event' ? 'theo sự kiện' : 'thời gian thực'} · khóa: ${context.key.id}`;
  const { name, arg, params } = route();
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.view === name);
  view.innerHTML = '<p class="muted">Đang tải…</p>';
  view.dataset.view = name;
  view.dataset.ready = 'false';
  try {
    if (name === 'xep-hang') await renderRanking(params);
    else if (name === 'don-vi') await renderWorklist(arg === undefined ? undefined : decodeURIComponent(arg));
    else if (name === 'bao-cao') await renderReport(params);
    else await renderOverview(params);
    view.dataset.ready = 'true';
  } catch (error) {
    fail(error);
  }
}

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_ITEM, $('#key-input').value.trim());
  $('#key-input').value = '';
  render();
});
$('#logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_ITEM);
  showLogin();
});
window.addEventListener('hashchange', render);
render();
