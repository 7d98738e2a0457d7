import { createUnitDirectory } from '@dvc/domain';
import { parseAlertmanagerPayload, type AmPayload } from './alertmanager.js';
import { dashboardLink, formatVnTime, renderDigest, renderNotice, worklistUnits, type DossierList, type Worklists } from './render.js';

const units = createUnitDirectory([
  { id: 'bp', name: 'UBND tỉnh Bình Phước', level: 'province', kind: 'province', validFrom: '2020-01-01' },
  { id: 'bp.dongxoai', name: 'UBND thành phố Đồng Xoài', level: 'district', kind: 'district_desk', parent: 'bp', validFrom: '2020-01-01' },
]);

const labels = { alertname: 'OverdueRatioAboveTarget', unit: 'bp.dongxoai', level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
const annotations = {
  title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
  summary_vi: 'Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)',
  description_vi: 'Trong 14 ngày gần nhất, đơn vị đã giải quyết 21 hồ sơ, trong đó 1 hồ sơ trễ hạn (4,762%; mục tiêu dưới 1%).',
};

function payload(status: 'firing' | 'resolved'): AmPayload {
  const parsed = parseAlertmanagerPayload({
    version: '4',
    groupKey: '{}/{kpi=~".+"}:{alertname="OverdueRatioAboveTarget", level="district", unit="bp.dongxoai", window="14d"}',
    status,
    receiver: 'dvc-notifier',
    groupLabels: { alertname: labels.alertname, unit: labels.unit, level: labels.level, window: labels.window },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: '2026-11-30T07:05:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-30T08:10:00Z',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.payload;
}

const NOW = Date.parse('2026-11-30T08:15:00Z');
const DASHBOARD = 'http://grafana.example/d/dvc-units?orgId=1';

/** The overdue list of Đồng Xoài alone: each dossier's code and due time. */
function dongXoaiOverdue(...dossiers: [code: string, due: string][]): Worklists {
  const list: DossierList = { ok: true, dossiers: dossiers.map(([code, due]) => ({ code, dueMs: Date.parse(due) })) };
  return new Map([['overdue', new Map([['bp.dongxoai', list]])]]);
}

describe('worklistUnits', () => {
  it('names each unit once per worklist its firing alerts name; resolved alerts, alerts without a unit or a worklist name none', () => {
    const alert = (status: 'firing' | 'resolved', labels: Record<string, string>) => ({ status, labels });
    expect(
      worklistUnits([
        alert('firing', { alertname: 'OverdueRatioAboveTarget', kpi: 'overdue_ratio', unit: 'a' }),
        alert('firing', { alertname: 'OpenDossiersOverdue', unit: 'a' }),
        alert('firing', { alertname: 'OpenDossiersOverdue', unit: 'b' }),
        alert('firing', { alertname: 'DossiersDueSoon', unit: 'b' }),
        alert('resolved', { alertname: 'OnlineSubmissionsReceiptOverdue', unit: 'c' }),
        alert('firing', { alertname: 'OnlineSubmissionsReceiptOverdue', unit: 'd' }),
        alert('firing', { alertname: 'OverdueRatioAboveTargetByLevel', kpi: 'overdue_ratio', level: 'commune' }),
        alert('firing', { alertname: 'OnlineDossierShareBelowTarget', kpi: 'online_dossier_share', unit: 'e' }),
      ]),
    ).toEqual(
      new Map([
        ['overdue', ['a', 'b']],
        ['due-soon', ['b']],
        ['receipt-overdue', ['d']],
      ]),
    );
  });
});

describe('renderNotice', () => {
  it('formats times in Asia/Ho_Chi_Minh', () => {
    expect(formatVnTime(Date.parse('2026-11-30T17:30:00Z'))).toBe('00:30 ngày 01/12/2026');
  });

  it('writes the firing notice: unit name, KPI, value against target, window, oldest overdue dossiers, link', () => {
    const worklists = dongXoaiOverdue(['H12.34-261101-0001', '2026-11-20T01:00:00Z'], ['H12.34-261125-0007', '2026-11-30T05:45:00Z']);
    const notice = renderNotice({ payload: payload('firing'), units, worklists, dashboardUrl: DASHBOARD, now: NOW });
    expect(notice.subject).toBe('[DVC] CẢNH BÁO: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)');
    expect(notice.text).toBe(
      [
        'Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính thông báo:',
        '',
        'Chỉ tiêu dưới đây đang không đạt mục tiêu.',
        '',
        'CẢNH BÁO: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
        'Đơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)',
        'Chỉ tiêu: Tỷ lệ hồ sơ giải quyết trễ hạn',
        'Cửa sổ: 14 ngày gần nhất (14d)',
        'Mức độ: cảnh báo',
        'Tình trạng: đang vi phạm từ 14:05 ngày 30/11/2026',
        'Giá trị so với mục tiêu: Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)',
        'Chi tiết: Trong 14 ngày gần nhất, đơn vị đã giải quyết 21 hồ sơ, trong đó 1 hồ sơ trễ hạn (4,762%; mục tiêu dưới 1%).',
        '',
        '2 hồ sơ quá hạn lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):',
        '  1. H12.34-261101-0001: hạn 08:00 ngày 20/11/2026, đã quá 10 ngày 7 giờ',
        '  2. H12.34-261125-0007: hạn 12:45 ngày 30/11/2026, đã quá 2 giờ',
        '',
        'Bảng điều khiển: http://grafana.example/d/dvc-units?orgId=1&var-unit=bp.dongxoai&var-level=district&var-window=14d',
        '',
        '--',
        'Thông báo tự động của hệ thống theo dõi DVC, lập lúc 15:15 ngày 30/11/2026. Vui lòng không trả lời thư này.',
        '',
      ].join('\n'),
    );
  });

  it('writes the resolved notice, without the dossier list', () => {
    const notice = renderNotice({ payload: payload('resolved'), units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW });
    expect(notice.subject).toBe('[DVC] ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)');
    expect(notice.text).toBe(
      [
        'Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính thông báo:',
        '',
        'Cảnh báo dưới đây đã hết: chỉ tiêu đã trở lại đạt mục tiêu.',
        '',
        'ĐÃ KHẮC PHỤC: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
        'Đơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)',
        'Chỉ tiêu: Tỷ lệ hồ sơ giải quyết trễ hạn',
        'Cửa sổ: 14 ngày gần nhất (14d)',
        'Mức độ: cảnh báo',
        'Tình trạng: đã trở lại bình thường lúc 15:10 ngày 30/11/2026 (vi phạm từ 14:05 ngày 30/11/2026)',
        'Lần vi phạm này: Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)',
        'Chi tiết: Trong 14 ngày gần nhất, đơn vị đã giải quyết 21 hồ sơ, trong đó 1 hồ sơ trễ hạn (4,762%; mục tiêu dưới 1%).',
        '',
        'Bảng điều khiển: http://grafana.example/d/dvc-units?orgId=1&var-unit=bp.dongxoai&var-level=district&var-window=14d',
        '',
        '--',
        'Thông báo tự động của hệ thống theo dõi DVC, lập lúc 15:15 ngày 30/11/2026. Vui lòng không trả lời thư này.',
        '',
      ].join('\n'),
    );
  });

  it('with a clock pinned in 2022, counts days overdue from it and writes no wall-clock date in the status', () => {
    const asOf = Date.parse('2022-06-22T17:00:00+07:00');
    const worklists = dongXoaiOverdue(['H12.34-220601-0001', '2022-06-10T17:00:00+07:00'], ['H12.34-220615-0002', '2022-06-22T08:00:00+07:00']);
    const firing = renderNotice({ payload: payload('firing'), units, worklists, dashboardUrl: DASHBOARD, now: NOW, asOf }).text;
    expect(firing).toContain('Tình trạng: đang vi phạm, tính đến 17:00 ngày 22/06/2022\n');
    expect(firing).toContain(
      [
        '2 hồ sơ quá hạn lâu nhất của đơn vị (tính đến 17:00 ngày 22/06/2022):',
        '  1. H12.34-220601-0001: hạn 17:00 ngày 10/06/2022, đã quá 12 ngày',
        '  2. H12.34-220615-0002: hạn 08:00 ngày 22/06/2022, đã quá 9 giờ',
      ].join('\n'),
    );
    expect(firing).toContain('lập lúc 15:15 ngày 30/11/2026; số liệu tính đến 17:00 ngày 22/06/2022. Vui lòng không trả lời thư này.');
    expect(firing).not.toContain('vi phạm từ');
    const resolved = renderNotice({ payload: payload('resolved'), units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW, asOf }).text;
    expect(resolved).toContain('Tình trạng: đã trở lại bình thường, tính đến 17:00 ngày 22/06/2022\n');
    expect(resolved).not.toContain('vi phạm từ');
    const none = renderNotice({
      payload: payload('firing'),
      units,
      worklists: new Map([['overdue', new Map([['bp.dongxoai', { ok: true, dossiers: [] }]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
      asOf,
    }).text;
    expect(none).toContain('Đơn vị hiện không có hồ sơ đang mở đã quá hạn (tính đến 17:00 ngày 22/06/2022).');
  });

  it('says when the dossier list could not be read, and names units missing from the directory', () => {
    const p = payload('firing');
    const alert = p.alerts[0]!;
    const unknown: AmPayload = {
      ...p,
      commonLabels: { ...p.commonLabels, unit: 'xx.nowhere' },
      groupLabels: { ...p.groupLabels, unit: 'xx.nowhere' },
      alerts: [{ ...alert, labels: { ...alert.labels, unit: 'xx.nowhere', level: 'unknown' } }],
    };
    const notice = renderNotice({
      payload: unknown,
      units,
      worklists: new Map([['overdue', new Map([['xx.nowhere', { ok: false, reason: 'Redis did not answer within 2000 ms' }]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    });
    expect(notice.subject).toContain('đơn vị xx.nowhere (chưa có trong danh mục)');
    expect(notice.text).toContain('Đơn vị: đơn vị xx.nowhere (chưa có trong danh mục) (mã xx.nowhere, cấp chưa xác định)');
    expect(notice.text).toContain('Không đọc được danh sách hồ sơ quá hạn của đơn vị (Redis did not answer within 2000 ms).');
  });
});

/** A one-alert notification of `alertname` about Đồng Xoài, as Alertmanager posts it. */
function unitAlert(status: 'firing' | 'resolved', alertname: string, title: string, summary: string, extra: Record<string, string> = {}): AmPayload {
  const alertLabels = { alertname, unit: 'bp.dongxoai', level: 'district', severity: alertname === 'DossiersDueSoon' ? 'info' : 'warning', ...extra };
  const alertAnnotations = { title_vi: title, summary_vi: summary };
  const parsed = parseAlertmanagerPayload({
    version: '4',
    groupKey: `{}:{alertname="${alertname}", unit="bp.dongxoai"}`,
    status,
    receiver: 'dvc-notifier',
    groupLabels: { alertname, unit: 'bp.dongxoai' },
    commonLabels: alertLabels,
    commonAnnotations: alertAnnotations,
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status,
        labels: alertLabels,
        annotations: alertAnnotations,
        startsAt: '2026-11-30T07:05:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-30T08:10:00Z',
        fingerprint: '0f1e2d3c4b5a6978',
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.payload;
}

describe('notices about dossiers name them; notices about no target say "going on", not "breach"', () => {
  const dueSoon = (status: 'firing' | 'resolved') =>
    unitAlert(status, 'DossiersDueSoon', 'Có hồ sơ sắp đến hạn trong 24 giờ tới', '2 hồ sơ đến hạn trong 24 giờ tới');

  it('dossiers due soon: the soonest due, each with the time left, and the situation going on', () => {
    const list: DossierList = {
      ok: true,
      dossiers: [
        { code: 'H12.34-261129-0003', dueMs: Date.parse('2026-11-30T10:15:00Z') },
        { code: 'H12.34-261129-0009', dueMs: Date.parse('2026-12-01T02:00:00Z') },
      ],
    };
    const notice = renderNotice({
      payload: dueSoon('firing'),
      units,
      worklists: new Map([['due-soon', new Map([['bp.dongxoai', list]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    });
    expect(notice.text).toContain(
      [
        'Cảnh báo dưới đây đang diễn ra.',
        '',
        'CẢNH BÁO: Có hồ sơ sắp đến hạn trong 24 giờ tới',
        'Đơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)',
        'Mức độ: thông tin',
        'Tình trạng: đang diễn ra từ 14:05 ngày 30/11/2026',
        'Tóm tắt: 2 hồ sơ đến hạn trong 24 giờ tới',
        '',
        '2 hồ sơ sắp đến hạn sớm nhất của đơn vị (đến 15:15 ngày 30/11/2026):',
        '  1. H12.34-261129-0003: hạn 17:15 ngày 30/11/2026, còn 2 giờ',
        '  2. H12.34-261129-0009: hạn 09:00 ngày 01/12/2026, còn 17 giờ',
        '',
      ].join('\n'),
    );
    expect(notice.text).not.toContain('vi phạm');
    expect(notice.text).not.toContain('mục tiêu');
  });

  it('dossiers due soon whose list could not be read, or is empty by now, say so', () => {
    const unread = renderNotice({ payload: dueSoon('firing'), units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(unread).toContain('\nKhông đọc được danh sách hồ sơ sắp đến hạn của đơn vị.\n');
    const empty = renderNotice({
      payload: dueSoon('firing'),
      units,
      worklists: new Map([['due-soon', new Map([['bp.dongxoai', { ok: true, dossiers: [] }]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    }).text;
    expect(empty).toContain('\nĐơn vị hiện không có hồ sơ đến hạn trong 24 giờ tới (đến 15:15 ngày 30/11/2026).\n');
  });

  /** The firing notice of `alertname` about Đồng Xoài, with one overdue dossier in the unit's overdue list. */
  const withOneOverdue = (alertname: string, title: string, summary: string) =>
    renderNotice({
      payload: unitAlert('firing', alertname, title, summary),
      units,
      worklists: dongXoaiOverdue(['H12.34-261101-0001', '2026-11-20T01:00:00Z']),
      dashboardUrl: DASHBOARD,
      now: NOW,
    }).text;

  it('open dossiers overdue: the oldest overdue ones, as for the overdue share', () => {
    expect(withOneOverdue('OpenDossiersOverdue', 'Có hồ sơ đang giải quyết đã quá hạn', '1 hồ sơ đang giải quyết đã quá hạn')).toContain(
      '\n1 hồ sơ quá hạn lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):\n  1. H12.34-261101-0001: hạn 08:00 ngày 20/11/2026, đã quá 10 ngày 7 giờ\n',
    );
  });

  it('online submissions received late: the earliest receipt deadlines, how long past, or why there is no list', () => {
    const late = unitAlert('firing', 'OnlineSubmissionsReceiptOverdue', 'Hồ sơ nộp trực tuyến chậm tiếp nhận', '1 hồ sơ nộp trực tuyến chậm tiếp nhận');
    const listed = renderNotice({
      payload: late,
      units,
      worklists: new Map([
        ['receipt-overdue', new Map([['bp.dongxoai', { ok: true, dossiers: [{ code: 'H12.34-261127-0001', dueMs: Date.parse('2026-11-28T10:00:00Z') }] }]])],
      ]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    }).text;
    expect(listed).toContain(
      '\n1 hồ sơ nộp trực tuyến chậm tiếp nhận lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):\n  1. H12.34-261127-0001: hạn tiếp nhận 17:00 ngày 28/11/2026, đã quá 1 ngày 22 giờ\n',
    );
    const none = renderNotice({
      payload: late,
      units,
      worklists: new Map([['receipt-overdue', new Map([['bp.dongxoai', { ok: true, dossiers: [] }]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    });
    expect(none.text).toContain('\nĐơn vị hiện không có hồ sơ nộp trực tuyến chậm tiếp nhận (đến 15:15 ngày 30/11/2026).\n');
    const unread = renderNotice({ payload: late, units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(unread).toContain('\nKhông đọc được danh sách hồ sơ nộp trực tuyến chậm tiếp nhận của đơn vị.\n');
  });

  it('results not returned in time: the earliest return deadlines, how long past; a new integrity signal names no dossier', () => {
    const waiting = unitAlert('firing', 'ResultsNotReturned', 'Có hồ sơ đã giải quyết quá hạn trả kết quả', '1 hồ sơ đã giải quyết quá hạn trả kết quả');
    const flagged = unitAlert(
      'firing',
      'IntegrityFlagsRaised',
      'Dấu hiệu kết thúc hồ sơ bất thường',
      '1 dấu hiệu kết thúc hồ sơ bất thường mới trong 1 giờ qua',
      {
        reason: 'fee_unpaid',
      },
    );
    const results: Worklists = new Map([
      [
        'result-not-returned',
        new Map([['bp.dongxoai', { ok: true, dossiers: [{ code: 'H12.34-261120-0003', dueMs: Date.parse('2026-11-26T16:59:59.999Z') }] }]]),
      ],
    ]);
    const listed = renderNotice({ payload: waiting, units, worklists: results, dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(listed).toContain('\nCảnh báo dưới đây đang diễn ra.\n');
    expect(listed).toContain(
      '\n1 hồ sơ quá hạn trả kết quả lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):\n  1. H12.34-261120-0003: hạn trả kết quả 23:59 ngày 26/11/2026, đã quá 3 ngày 15 giờ\n',
    );
    const unread = renderNotice({ payload: waiting, units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(unread).toContain('\nKhông đọc được danh sách hồ sơ quá hạn trả kết quả của đơn vị.\n');
    const none = renderNotice({
      payload: waiting,
      units,
      worklists: new Map([['result-not-returned', new Map([['bp.dongxoai', { ok: true, dossiers: [] }]])]]),
      dashboardUrl: DASHBOARD,
      now: NOW,
    }).text;
    expect(none).toContain('\nĐơn vị hiện không có hồ sơ quá hạn trả kết quả (đến 15:15 ngày 30/11/2026).\n');
    const other = renderNotice({ payload: flagged, units, worklists: results, dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(other).not.toContain('H12.34-261120-0003');
    expect(other).not.toContain('danh sách');
    expect(worklistUnits(waiting.alerts)).toEqual(new Map([['result-not-returned', ['bp.dongxoai']]]));
    expect(worklistUnits(flagged.alerts)).toEqual(new Map());
  });

  it('a situation that ended: "it began", not "breach since"; no list', () => {
    const notice = renderNotice({ payload: dueSoon('resolved'), units, worklists: new Map(), dashboardUrl: DASHBOARD, now: NOW }).text;
    expect(notice).toContain('\nCảnh báo dưới đây đã hết.\n');
    expect(notice).toContain('\nTình trạng: đã trở lại bình thường lúc 15:10 ngày 30/11/2026 (bắt đầu từ 14:05 ngày 30/11/2026)\n');
    expect(notice).toContain('\nLần cảnh báo này: 2 hồ sơ đến hạn trong 24 giờ tới\n');
    expect(notice).not.toContain('hồ sơ sắp đến hạn sớm nhất');
  });

  it('an integrity signal is named in words, not by its reason code; a code from elsewhere is shown as it is', () => {
    const flagged = (reason: string) =>
      renderNotice({
        payload: unitAlert('firing', 'IntegrityFlagsRaised', 'Dấu hiệu kết thúc hồ sơ bất thường', '2 dấu hiệu kết thúc hồ sơ bất thường mới trong 1 giờ qua', {
          reason,
        }),
        units,
        worklists: new Map(),
        dashboardUrl: DASHBOARD,
        now: NOW,
      }).text;
    expect(flagged('multiple_supplement_requests')).toContain(
      '\nĐơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)\nDấu hiệu: Yêu cầu bổ sung nhiều lần\nMức độ: cảnh báo\n',
    );
    expect(flagged('multiple_supplement_requests')).not.toContain('multiple_supplement_requests');
    expect(flagged('fee_unpaid')).toContain('\nDấu hiệu: Chưa có thanh toán phí, lệ phí\n');
    expect(flagged('new_rule_elsewhere')).toContain('\nDấu hiệu: new_rule_elsewhere\n');
  });

  it('an alert on another target names no dossier', () => {
    const notice = withOneOverdue('OnlineDossierShareBelowTarget', 'Tỷ lệ hồ sơ trực tuyến chưa đạt mục tiêu', '12%');
    expect(notice).not.toContain('H12.34-261101-0001');
    expect(notice).not.toContain('danh sách');
  });
});

describe('dashboardLink', () => {
  const board = 'http://127.0.0.1:8088/#/don-vi/{unit}';
  it("puts the unit in the ops board's {unit}, and links the board's start page for a notice about no unit", () => {
    expect(dashboardLink(board, { unit: 'bp.dongxoai', level: 'district', window: '14d' })).toBe('http://127.0.0.1:8088/#/don-vi/bp.dongxoai');
    expect(dashboardLink(board, { alertname: 'DvcOverdueRatioProvinceWide', window: '14d' })).toBe('http://127.0.0.1:8088/');
  });
  it('appends var-unit, var-level and var-window to a Grafana panel', () => {
    expect(dashboardLink('http://grafana.example/d/x?orgId=1', { unit: 'u1', level: 'commune', window: '14d' })).toBe(
      'http://grafana.example/d/x?orgId=1&var-unit=u1&var-level=commune&var-window=14d',
    );
  });
});

describe('renderDigest', () => {
  it('writes the notices that waited for the opening as one e-mail: how many of each kind, an index, then each as written', () => {
    const digest = renderDigest(
      [
        {
          status: 'resolved',
          subject: '[DVC] ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Có hồ sơ đã giải quyết quá hạn trả kết quả',
          text: 'Thư một.\n--\nlập lúc 20:00\n',
        },
        { status: 'firing', subject: '[DVC] CẢNH BÁO: UBND thành phố Đồng Xoài: Có hồ sơ đang giải quyết đã quá hạn', text: 'Thư hai.\n' },
      ],
      Date.parse('2026-12-07T00:30:00Z'),
    );
    expect(digest.subject).toBe('[DVC] 2 thông báo từ ngoài giờ làm việc (1 CẢNH BÁO, 1 ĐÃ KHẮC PHỤC)');
    expect(digest.text).toBe(
      [
        'Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính gửi 2 thông báo phát sinh ngoài giờ làm việc, gộp trong thư này:',
        '',
        '  1. ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Có hồ sơ đã giải quyết quá hạn trả kết quả',
        '  2. CẢNH BÁO: UBND thành phố Đồng Xoài: Có hồ sơ đang giải quyết đã quá hạn',
        '',
        '======== Thông báo 1/2 ========',
        'ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Có hồ sơ đã giải quyết quá hạn trả kết quả',
        '',
        'Thư một.\n--\nlập lúc 20:00',
        '',
        '======== Thông báo 2/2 ========',
        'CẢNH BÁO: UBND thành phố Đồng Xoài: Có hồ sơ đang giải quyết đã quá hạn',
        '',
        'Thư hai.',
        '',
        '--',
        'Thư gộp tự động của hệ thống theo dõi DVC, gửi lúc 07:30 ngày 07/12/2026. Vui lòng không trả lời thư này.',
        '',
      ].join('\n'),
    );
    expect(
      renderDigest(
        [
          { status: 'firing', subject: '[DVC] CẢNH BÁO: a', text: 'x' },
          { status: 'firing', subject: '[DVC] CẢNH BÁO: b', text: 'y' },
        ],
        0,
      ).subject,
    ).toBe('[DVC] 2 thông báo từ ngoài giờ làm việc (2 CẢNH BÁO)');
  });
});
