import { dashboard, panel, query, row, sel, variable, type DashboardSpec, type PanelSpec } from './builders.js';
import { percent, type KpiThresholds } from './targets.js';

/**
 * The three dashboards. Ratios reuse the recording rules of infra/prometheus/rules/recording.yml
 * (ratios of summed counts, de-duplicated across exporter replicas); raw metrics are read with
 * `max by (<business labels>)` first for the same reason, then summed.
 *
 * Panel ids are stable: 1xx province overview, 2xx unit drill-down, 3xx pipeline health.
 */

const W = 'window="$window"';
const U = 'unit="$unit",level="$level"';
const UW = `${U},${W}`;

const windowVariable = variable('window', 'Cửa sổ / Window', 'label_values(dvc_dossiers_received, window)', '14d');

/** What each dashboard shows, as Grafana displays it under the title. */
const DESCRIPTIONS = {
  overview:
    'Each seed KPI of the June 2022 Bình Phước meeting against its target, dossier counts and balance, payments and community teams: the series of every figure of the seed article (infra/data/targets.json, shared/metrics/README.md).',
  drilldown:
    'The seed KPIs of one unit against its targets, open dossiers by state, dossiers due soon, integrity flags and late receipt (choose level, unit and window).',
  pipeline:
    'Ingest → Kafka → projector → Redis → exporter → Prometheus: events applied and duplicate, dead letters, consumer lag, freshness, scrape duration, targets up, alerts.',
} as const;

/** A dashboard's uid, title, tags (`dvc` and its own) and the time range it opens on. */
const header = (uid: string, title: string, tag: string, range: { from: string; refresh: string }) => ({ uid, title, tags: ['dvc', tag], ...range });

/** A sum over units of a raw per-unit gauge, de-duplicated across replicas first. */
const sumRaw = (metric: string, matchers: string, keep: string[] = [], by: string[] = []) =>
  `sum${by.length > 0 ? ` by (${by.join(', ')})` : ''} (max by (${['unit', 'level', ...keep].join(', ')}) (${sel(metric, matchers)}))`;

/** What every ratio panel starts with: its id and title, a share from 0 shown in percent with two decimals. */
const ratioPanel = (id: number, title: string) => ({ id, title, unit: 'percentunit', decimals: 2, min: 0 });

// --- province overview -----------------------------------------------------------------------

export function provinceOverview(t: KpiThresholds): DashboardSpec {
  const kpi = (
    id: number,
    title: string,
    expr: string,
    threshold: PanelSpec['threshold'],
    extra: { targetExpr?: string; targetExpect?: boolean; legend?: string; description?: string } = {},
  ): PanelSpec =>
    panel.gauge({
      ...ratioPanel(id, title),
      max: 1,
      ...(threshold === undefined ? {} : { threshold }),
      ...(extra.description === undefined ? {} : { description: extra.description }),
      queries: [
        query('A', expr, extra.legend ?? 'thực tế / actual'),
        ...(extra.targetExpr === undefined ? [] : [query('B', extra.targetExpr, 'chỉ tiêu / target', extra.targetExpect ?? false)]),
      ],
    });
  const byLevel = (id: number, title: string, rule: string, threshold: PanelSpec['threshold'], levels?: string) =>
    panel.timeseries({
      ...ratioPanel(id, title),
      ...(threshold === undefined ? {} : { threshold }),
      queries: [query('A', `dvc:${rule}:by_level{${W}${levels === undefined ? '' : `,level=~"${levels}"`}}`, '{{level}}')],
    });
  const count = (id: number, title: string, expr: string, w = 4) => panel.stat({ id, title, unit: 'short', decimals: 0, w, queries: [query('A', expr)] });
  const landBranches = 'unit=~".+[.]cnvpdd"';
  const paymentTable = (id: number, title: string, rule: string, unit: string) =>
    panel.table({
      id,
      title,
      unit,
      decimals: 0,
      queries: [query('A', `${rule}{${W}}`, '{{kind}} {{channel}}')],
    });

  return dashboard({
    ...header('dvc-province-overview', 'DVC – Tổng quan tỉnh / Province overview', 'province', { from: 'now-14d', refresh: '1m' }),
    description: DESCRIPTIONS.overview,
    variables: [windowVariable],
    rows: [
      row(100, 'Chỉ tiêu / Targets', [
        kpi(101, `Tỷ lệ hồ sơ trễ hạn (mục tiêu < ${percent(t.overdue_ratio.value)}) / Overdue ratio`, `dvc:overdue_ratio:province{${W}}`, t.overdue_ratio, {
          targetExpr: `dvc:overdue_ratio:target_province{${W}}`,
          targetExpect: true,
          description: 'Σ overdue / Σ resolved in the window, every unit (dvc:overdue_ratio:province).',
        }),
        kpi(
          102,
          `Tỷ lệ hồ sơ trực tuyến (mục tiêu ≥ ${percent(t.online_dossier_share.value)}) / Online dossier share`,
          `dvc:online_dossier_share:province{${W}}`,
          t.online_dossier_share,
          { targetExpr: `max(dvc:target:by_unit{kpi="online_dossier_share",${W}})` },
        ),
        kpi(115, 'Tỷ lệ hồ sơ được xử lý trực tuyến / Share of resolved dossiers processed online', `dvc:processed_online_share:province{${W}}`, undefined, {
          description:
            'Resolved in the window through the electronic workflow, over all resolved, every unit (dvc:processed_online_share:province). No target: the 25% target is the online dossier share.',
        }),
        kpi(
          103,
          `DVCTT có hồ sơ – CN VPĐKĐĐ (mục tiêu ≥ ${percent(t.online_service_utilization.value)}) / Online-service utilization – land registration branches`,
          `sum(dvc:procedures_with_online_dossiers:sum_by_unit{${W},${landBranches}}) / (sum(dvc:procedures_online_capable:sum_by_unit{${landBranches}}) > 0)`,
          t.online_service_utilization,
          {
            description:
              'Online-capable procedures of the land registration branches with at least one online dossier in the window, over all their online-capable procedures.',
          },
        ),
        kpi(
          104,
          `DVCTT có hồ sơ – cấp xã (mục tiêu ≥ ${percent(t.online_service_utilization.value)}) / Online-service utilization – commune desks`,
          `dvc:online_service_utilization:by_level{${W},level="commune"}`,
          t.online_service_utilization,
        ),
        kpi(
          114,
          'DVCTT có hồ sơ – cấp tỉnh (sở, ban, ngành) / Online-service utilization – province-level units',
          `dvc:online_service_utilization:province_level{${W}}`,
          undefined,
          {
            description:
              'Online-capable procedures of the province-level units (departments and sectors) with at least one online dossier in the window: the seed article\'s "cấp tỉnh" figure (dvc:online_service_utilization:province_level).',
          },
        ),
        kpi(
          105,
          'DVCTT có hồ sơ – mọi đơn vị trong tỉnh / Online-service utilization – every unit of the province',
          `dvc:online_service_utilization:province_wide{${W}}`,
          undefined,
          { description: "Every unit of the province, all levels (dvc:online_service_utilization:province_wide); not the article's province-level figure." },
        ),
        kpi(
          106,
          `Số hóa hồ sơ – cấp tỉnh, huyện (mục tiêu ${percent(t.digitization_share.value)}) / Digitization – province and district level`,
          `sum(dvc:dossiers_digitized:sum_by_level{${W},level=~"province|district"}) / (sum(dvc:dossiers_received:sum_by_level{${W},level=~"province|district"}) > 0)`,
          t.digitization_share,
          { targetExpr: `max(dvc:target:by_unit{kpi="digitization_share",${W}})` },
        ),
        kpi(
          107,
          `Báo cáo trực tuyến (mục tiêu ≥ ${percent(t.online_report_share.value)}) / Online report share`,
          `dvc:online_report_share:province{${W}}`,
          t.online_report_share,
          { targetExpr: `max(dvc:target:by_unit{kpi="online_report_share",${W}})` },
        ),
        kpi(108, 'Số hóa hồ sơ – toàn tỉnh / Digitization – province-wide', `dvc:digitization_share:province{${W}}`, undefined),
        byLevel(109, 'Tỷ lệ trễ hạn theo cấp / Overdue ratio by level', 'overdue_ratio', t.overdue_ratio),
        byLevel(110, 'Tỷ lệ hồ sơ trực tuyến theo cấp / Online dossier share by level', 'online_dossier_share', t.online_dossier_share),
        byLevel(
          111,
          'Số hóa theo cấp (tỉnh, huyện) / Digitization by level (province, district)',
          'digitization_share',
          t.digitization_share,
          'province|district',
        ),
        byLevel(112, 'Báo cáo trực tuyến theo cấp / Online report share by level', 'online_report_share', t.online_report_share),
        byLevel(113, 'DVCTT có hồ sơ theo cấp / Online-service utilization by level', 'online_service_utilization', t.online_service_utilization),
      ]),
      row(120, 'Hồ sơ / Dossiers', [
        count(132, 'Tồn kỳ trước / Carried over', `dvc:dossiers_carried_over:sum_province{${W}}`),
        count(121, 'Tiếp nhận / Received', `dvc:dossiers_received:sum_province{${W}}`),
        count(133, 'Cần giải quyết (tồn + tiếp nhận) / To resolve (carried over + received)', `dvc:dossiers_to_resolve:sum_province{${W}}`),
        count(122, 'Đã giải quyết / Resolved', `dvc:dossiers_resolved:sum_province{${W}}`),
        count(123, 'Giải quyết trễ hạn / Resolved overdue', `dvc:dossiers_overdue:sum_province{${W}}`),
        count(124, 'Đang giải quyết (hiện tại) / Open now', 'dvc:dossiers_open:sum_province'),
        count(125, 'Đang giải quyết, đã quá hạn / Open and overdue now', 'dvc:dossiers_open_overdue:sum_province'),
        count(126, 'Rút hồ sơ / Withdrawn', `dvc:dossiers_withdrawn:sum_province{${W}}`),
        panel.stat({
          id: 127,
          title: 'Cân đối: tồn kỳ trước + tiếp nhận = giải quyết + đang giải quyết + rút / Balance: carried over + received = resolved + open + withdrawn',
          description:
            'Left: carried over + received. Right: resolved + open (at the period end for fixed periods, now for the rolling window) + withdrawn. Difference should be 0.',
          unit: 'short',
          decimals: 0,
          w: 24,
          queries: [
            query('A', `sum(dvc:dossiers_to_resolve:sum_province{${W}})`, 'tồn kỳ trước + tiếp nhận / carried over + received'),
            query(
              'B',
              `sum(dvc:dossiers_resolved:sum_province{${W}}) + (${sumRaw('dvc_dossiers_open_at_end', W, ['window'])} or sum(dvc:dossiers_open:sum_province)) + sum(dvc:dossiers_withdrawn:sum_province{${W}})`,
              'giải quyết + đang giải quyết + rút / resolved + open + withdrawn',
            ),
            query('C', `sum(dvc:dossiers_carried_over:sum_province{${W}})`, 'tồn kỳ trước / carried over'),
          ],
        }),
        panel.timeseries({
          id: 128,
          title: 'Tiếp nhận theo kênh / Received by channel',
          unit: 'short',
          decimals: 0,
          queries: [query('A', sumRaw('dvc_dossiers_received', W, ['window', 'channel'], ['channel']), '{{channel}}')],
        }),
        panel.timeseries({
          id: 129,
          title: 'Giải quyết theo tiến độ và cách xử lý / Resolved by timeliness and processing',
          unit: 'short',
          decimals: 0,
          queries: [
            query(
              'A',
              sumRaw('dvc_dossiers_resolved', W, ['window', 'timeliness', 'processing'], ['timeliness', 'processing']),
              '{{timeliness}} {{processing}}',
            ),
          ],
        }),
        panel.timeseries({
          id: 130,
          title: 'Đang giải quyết theo trạng thái / Open dossiers by state',
          unit: 'short',
          decimals: 0,
          queries: [query('A', sumRaw('dvc_dossiers_open', '', ['state'], ['state']), '{{state}}')],
        }),
        panel.timeseries({
          id: 131,
          title: 'Tiếp nhận trễ, quá hạn tiếp nhận / Late receipt and receipt overdue',
          unit: 'short',
          decimals: 0,
          queries: [
            query('A', sumRaw('dvc_dossiers_received_late', W, ['window']), 'tiếp nhận trễ / received late'),
            query('B', sumRaw('dvc_dossiers_receipt_overdue', ''), 'quá hạn tiếp nhận / receipt overdue now'),
          ],
        }),
      ]),
      row(140, 'Thanh toán trực tuyến / Payments', [
        paymentTable(141, 'Số giao dịch theo loại và kênh / Payments by kind and channel', 'dvc:payments:sum_province', 'short'),
        paymentTable(142, 'Số tiền (VNĐ) theo loại và kênh / Amount (VND) by kind and channel', 'dvc:payments_vnd:sum_province', 'currencyVND'),
        panel.stat({
          id: 143,
          title: 'Nghĩa vụ đất đai trực tuyến (VNĐ) / Online land-obligation payments (VND)',
          unit: 'currencyVND',
          decimals: 0,
          w: 12,
          queries: [query('A', `dvc:payments_vnd:sum_province{${W},kind="land_obligation",channel="online"}`)],
        }),
        panel.stat({
          id: 144,
          title: 'Phí, lệ phí trực tuyến (VNĐ) / Online fee payments (VND)',
          unit: 'currencyVND',
          decimals: 0,
          w: 12,
          queries: [query('A', `dvc:payments_vnd:sum_province{${W},kind="fee",channel="online"}`)],
        }),
      ]),
      row(150, 'Tổ công nghệ cộng đồng / Community technology teams', [
        panel.stat({
          id: 151,
          title: 'Số tổ theo cấp / Teams by level',
          unit: 'short',
          decimals: 0,
          w: 12,
          queries: [query('A', 'dvc:community_teams:sum_province', '{{team_level}}')],
        }),
        panel.stat({
          id: 152,
          title: 'Số thành viên theo cấp / Members by level',
          unit: 'short',
          decimals: 0,
          w: 12,
          queries: [query('A', 'dvc:community_team_members:sum_province', '{{team_level}}')],
        }),
      ]),
    ],
  });
}

// --- unit drill-down -------------------------------------------------------------------------

export function unitDrilldown(t: KpiThresholds): DashboardSpec {
  const kpi = (id: number, title: string, rule: string, kpiName: string, threshold: PanelSpec['threshold'], targetExpect = false) =>
    panel.timeseries({
      ...ratioPanel(id, title),
      w: 8,
      ...(threshold === undefined ? {} : { threshold }),
      queries: [
        query('A', `dvc:${rule}:by_unit{${UW}}`, 'thực tế / actual'),
        query(
          'B',
          kpiName === 'overdue_ratio' ? `dvc:overdue_ratio:target_by_unit{${UW}}` : `dvc:target:by_unit{${UW},kpi="${kpiName}"}`,
          'chỉ tiêu / target',
          targetExpect,
        ),
      ],
    });
  const count = (id: number, title: string, expr: string, expectData = true) =>
    panel.stat({ id, title, unit: 'short', decimals: 0, w: 4, queries: [query('A', expr, undefined, expectData)] });
  const raw = (metric: string, matchers: string, keep: string[] = []) => sumRaw(metric, matchers, keep);

  return dashboard({
    ...header('dvc-unit-drilldown', 'DVC – Chi tiết đơn vị / Unit drill-down', 'unit', { from: 'now-14d', refresh: '1m' }),
    description: DESCRIPTIONS.drilldown,
    variables: [
      windowVariable,
      variable('level', 'Cấp / Level', 'label_values(dvc_dossiers_received, level)', 'province'),
      // Opens on today's province (Bình Phước, 'bp', ended on 30 June 2025 and merged into it).
      variable('unit', 'Đơn vị / Unit', 'label_values(dvc_dossiers_received{level="$level"}, unit)', 'dn'),
    ],
    rows: [
      row(200, 'Chỉ tiêu của đơn vị / Unit KPIs against targets', [
        kpi(201, `Tỷ lệ hồ sơ trễ hạn (mục tiêu < ${percent(t.overdue_ratio.value)}) / Overdue ratio`, 'overdue_ratio', 'overdue_ratio', t.overdue_ratio, true),
        kpi(
          202,
          `Tỷ lệ hồ sơ trực tuyến (mục tiêu ≥ ${percent(t.online_dossier_share.value)}) / Online dossier share`,
          'online_dossier_share',
          'online_dossier_share',
          t.online_dossier_share,
        ),
        kpi(
          203,
          `DVCTT có hồ sơ (mục tiêu ≥ ${percent(t.online_service_utilization.value)}) / Online-service utilization`,
          'online_service_utilization',
          'online_service_utilization',
          t.online_service_utilization,
        ),
        kpi(
          204,
          `Số hóa hồ sơ (mục tiêu ${percent(t.digitization_share.value)}) / Digitization share`,
          'digitization_share',
          'digitization_share',
          t.digitization_share,
        ),
        kpi(
          205,
          `Báo cáo trực tuyến (mục tiêu ≥ ${percent(t.online_report_share.value)}) / Online report share`,
          'online_report_share',
          'online_report_share',
          t.online_report_share,
        ),
        panel.table({
          id: 206,
          title: 'Chỉ tiêu áp dụng cho đơn vị / Targets that apply to the unit',
          unit: 'percentunit',
          decimals: 2,
          w: 8,
          h: 8,
          queries: [query('A', `dvc:target:by_unit{${UW}}`, '{{kpi}}', false)],
        }),
      ]),
      row(210, 'Hồ sơ của đơn vị / Unit dossiers', [
        count(211, 'Tiếp nhận / Received', `dvc:dossiers_received:sum_by_unit{${UW}}`),
        count(212, 'Đã giải quyết / Resolved', `dvc:dossiers_resolved:sum_by_unit{${UW}}`),
        count(213, 'Giải quyết trễ hạn / Resolved overdue', `dvc:dossiers_overdue:sum_by_unit{${UW}}`),
        count(214, 'Tồn kỳ trước / Carried over', raw('dvc_dossiers_carried_over', UW, ['window'])),
        count(215, 'Rút hồ sơ / Withdrawn', raw('dvc_dossiers_withdrawn', UW, ['window'])),
        count(216, 'Gia hạn (thư xin lỗi) / Extended (apology letter)', raw('dvc_dossiers_extended', UW, ['window'])),
        panel.timeseries({
          id: 217,
          title: 'Đang giải quyết theo trạng thái / Open dossiers by state',
          unit: 'short',
          decimals: 0,
          w: 8,
          queries: [query('A', `max by (state) (${sel('dvc_dossiers_open', U)})`, '{{state}}')],
        }),
        panel.stat({
          id: 218,
          title: 'Sắp đến hạn (24 giờ) / Due within 24 h',
          unit: 'short',
          decimals: 0,
          w: 4,
          queries: [query('A', `max(${sel('dvc_dossiers_due_soon', `${U},within="24h"`)})`)],
        }),
        panel.stat({
          id: 219,
          title: 'Tiếp nhận trễ (NĐ 118/2025) / Received late (Decree 118/2025)',
          unit: 'short',
          decimals: 0,
          w: 4,
          queries: [
            query('A', raw('dvc_dossiers_received_late', UW, ['window']), 'tiếp nhận trễ / received late'),
            query('B', raw('dvc_dossiers_receipt_overdue', U), 'quá hạn tiếp nhận / receipt overdue now'),
          ],
        }),
        panel.table({
          id: 220,
          title: 'Dấu hiệu bất thường theo lý do / Integrity flags by reason',
          unit: 'short',
          decimals: 0,
          w: 8,
          queries: [query('A', `max by (reason) (${sel('dvc_integrity_flags', UW)}) > 0`, '{{reason}}', false)],
        }),
        panel.stat({
          id: 221,
          title: 'Cân đối / Balance: carried over + received − (resolved + open + withdrawn)',
          description: 'Should be 0 for dossiers with a known receipt; open is at the period end for fixed periods, now for the rolling window.',
          unit: 'short',
          decimals: 0,
          w: 8,
          queries: [
            query(
              'A',
              `${raw('dvc_dossiers_carried_over', UW, ['window'])} + sum(dvc:dossiers_received:sum_by_unit{${UW}}) - sum(dvc:dossiers_resolved:sum_by_unit{${UW}}) - (${raw('dvc_dossiers_open_at_end', UW, ['window'])} or ${raw('dvc_dossiers_open', U, ['state'])}) - ${raw('dvc_dossiers_withdrawn', UW, ['window'])}`,
              'chênh lệch / difference',
            ),
          ],
        }),
      ]),
      row(230, 'Thanh toán, báo cáo / Payments and reports', [
        panel.table({
          id: 231,
          title: 'Thanh toán theo loại và kênh / Payments by kind and channel',
          unit: 'short',
          decimals: 0,
          queries: [
            query('A', `max by (kind, channel) (${sel('dvc_payments', UW)})`, 'số giao dịch / count'),
            query('B', `max by (kind, channel) (${sel('dvc_payments_vnd', UW)})`, 'VNĐ / VND'),
          ],
        }),
        panel.stat({
          id: 232,
          title: 'Báo cáo theo kênh / Reports by channel',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `max by (channel) (${sel('dvc_reports_submitted', UW)})`, '{{channel}}')],
        }),
      ]),
    ],
  });
}

// --- pipeline health -------------------------------------------------------------------------

export function pipelineHealth(): DashboardSpec {
  const rate = (metric: string, by: string) => `sum by (${by}) (rate(${sel(metric)}[$__rate_interval]))`;
  return dashboard({
    ...header('dvc-pipeline-health', 'DVC – Sức khỏe hệ thống / Pipeline health', 'pipeline', { from: 'now-6h', refresh: '30s' }),
    description: DESCRIPTIONS.pipeline,
    variables: [],
    rows: [
      row(300, 'Sự kiện / Events', [
        panel.timeseries({
          id: 301,
          title: 'Sự kiện đã áp dụng theo loại (mỗi giây) / Events applied by type (per second)',
          unit: 'ops',
          decimals: 2,
          queries: [query('A', `max by (type) (rate(${sel('dvc_projection_events_applied_total')}[$__rate_interval]))`, '{{type}}')],
        }),
        panel.table({
          id: 302,
          title: 'Tổng sự kiện đã áp dụng theo loại / Events applied by type (total)',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `max by (type) (${sel('dvc_projection_events_applied_total')})`, '{{type}}')],
        }),
        panel.timeseries({
          id: 303,
          title: 'Sự kiện trùng lặp theo loại / Duplicate events by type',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `max by (type) (${sel('dvc_projection_events_duplicate_total')})`, '{{type}}', false)],
        }),
        panel.timeseries({
          id: 304,
          title: 'Thư chết (DLQ) theo bước / Dead letters by stage',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `sum by (stage) (increase(${sel('dvc_projector_events_rejected_total')}[1h]))`, '{{stage}}', false)],
        }),
        panel.timeseries({
          id: 305,
          title: 'Yêu cầu tiếp nhận theo mã trạng thái / Ingest requests by status',
          unit: 'reqps',
          decimals: 2,
          queries: [query('A', rate('dvc_ingest_requests_total', 'status'), '{{status}}')],
        }),
        panel.timeseries({
          id: 306,
          title: 'Sự kiện tiếp nhận theo kết quả / Ingest events by outcome',
          unit: 'ops',
          decimals: 2,
          queries: [query('A', rate('dvc_ingest_events_total', 'outcome'), '{{outcome}}')],
        }),
      ]),
      row(310, 'Độ trễ và độ mới / Lag and freshness', [
        panel.timeseries({
          id: 311,
          title: 'Độ trễ consumer theo partition / Consumer lag by partition',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `sum by (topic, partition) (${sel('dvc_consumer_lag')})`, '{{topic}} p{{partition}}')],
        }),
        panel.stat({
          id: 312,
          title: 'Độ mới của projection / Projection freshness (since last write)',
          unit: 's',
          decimals: 0,
          threshold: { comparison: 'lt', value: 300 },
          queries: [query('A', `min(${sel('dvc_projection_freshness_seconds')})`)],
        }),
        panel.stat({
          id: 313,
          title: 'Đồng hồ sự kiện / Event-time clock (latest business time applied)',
          unit: 'dateTimeAsIso',
          queries: [query('A', `max(${sel('dvc_projection_last_event_timestamp_seconds')}) * 1000`)],
        }),
        panel.stat({
          id: 314,
          title: 'Đồng hồ của exporter / Exporter clock ("now" of the last scrape)',
          unit: 'dateTimeAsIso',
          queries: [query('A', `max(${sel('dvc_exporter_clock_timestamp_seconds')}) * 1000`)],
        }),
        panel.stat({
          id: 315,
          title: 'Số đơn vị trong projection / Units in the projection',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `max(${sel('dvc_projection_units')})`)],
        }),
        panel.timeseries({
          id: 316,
          title: 'Thời gian scrape của exporter (p50, p95) / Exporter scrape duration (p50, p95)',
          unit: 's',
          decimals: 3,
          queries: [
            query('A', `histogram_quantile(0.5, sum by (le) (rate(${sel('dvc_exporter_scrape_seconds_bucket')}[$__rate_interval])))`, 'p50'),
            query('B', `histogram_quantile(0.95, sum by (le) (rate(${sel('dvc_exporter_scrape_seconds_bucket')}[$__rate_interval])))`, 'p95'),
          ],
        }),
        panel.timeseries({
          id: 317,
          title: 'Thời gian xử lý lô của projector (p95) / Projector batch duration (p95)',
          unit: 's',
          decimals: 3,
          queries: [query('A', `histogram_quantile(0.95, sum by (le) (rate(${sel('dvc_projector_batch_seconds_bucket')}[$__rate_interval])))`, 'p95')],
        }),
        panel.timeseries({
          id: 318,
          title: 'Xung đột ghi của projector / Projector write conflicts',
          unit: 'short',
          decimals: 0,
          queries: [query('A', `sum(${sel('dvc_projector_write_conflicts_total')})`, 'conflicts')],
        }),
      ]),
      row(320, 'Mục tiêu scrape và cảnh báo / Targets and alerts', [
        panel.table({
          id: 321,
          title: 'Mục tiêu scrape đang chạy / Scrape targets up',
          unit: 'short',
          decimals: 0,
          queries: [query('A', sel('up', 'job=~"dvc-.+"'), '{{job}} {{instance}}')],
        }),
        panel.table({
          id: 322,
          title: 'Cảnh báo đang phát / Firing alerts',
          unit: 'short',
          decimals: 0,
          queries: [query('A', 'ALERTS{alertstate="firing"}', '{{alertname}}', false)],
        }),
      ]),
    ],
  });
}

export function allDashboards(t: KpiThresholds): DashboardSpec[] {
  return [provinceOverview(t), unitDrilldown(t), pipelineHealth()];
}
