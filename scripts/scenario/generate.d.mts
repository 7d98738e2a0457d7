// Types of generate.mjs for TypeScript callers (tests).
import type { UnitRecord } from '@dvc/domain';

export interface ScenarioEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  unitid: string;
  data: Record<string, unknown> & { unitId: string };
}

export type { UnitRecord };

export interface Amount {
  count: number;
  vnd: number;
}

export interface WindowFigures {
  from: string;
  to: string;
  received: Partial<Record<'online' | 'direct' | 'postal', number>>;
  resolved: { on_time: number; overdue: number };
  processedOnline: number;
  withdrawn: number;
  digitized: number;
  /** Keyed `${kind}:${channel}`. */
  payments: Record<string, Amount>;
  reports: { online: number; offline: number };
}

export interface LevelFigures {
  received: number;
  receivedOnline: number;
  digitized: number;
  carriedOver: number;
  resolved: number;
  resolvedOverdue: number;
  processedOnline: number;
  open: number;
  openOverdue: number;
  openPaused: number;
  openInTime: number;
  withdrawn: number;
}

export interface ExpectedFigures extends LevelFigures {
  scenario: 'binh-phuoc-2022';
  seed: number;
  window: string;
  period: { from: string; to: string };
  clock: string;
  units: Record<'dept' | 'district' | 'land' | 'commune', number>;
  events: number;
  eventsByType: Record<string, number>;
  dossiers: number;
  closedBeforePeriod: number;
  balance: { carriedPlusReceived: number; resolvedPlusOpenPlusWithdrawn: number };
  resolvedByMonth: Record<string, { resolved: number; overdue: number; processedOnline: number }>;
  supplementRequests: number;
  deadlineExtensions: number;
  payments: Record<string, Amount>;
  reports: { online: number; offline: number };
  teams: Record<'commune' | 'village', { teams: number; members: number }>;
  procedures: { onlineCapable: Record<string, number>; withOnlineDossiers: Record<string, number>; published: number };
  windows: Record<string, WindowFigures>;
  byLevel: Record<string, LevelFigures>;
  byKind: Record<string, LevelFigures>;
  overdueRatio: number;
  overdueRatioRounded: number;
  overdueRatioBeforeJune: number;
  processedOnlineShareMay: number;
  feeOnline: Amount;
  landObligationOnline: Amount;
  provinceUtilization: { onlineCapable: number; withOnlineDossiers: number; ratio: number };
}

export const PERIOD: Readonly<{ id: string; from: string; to: string }>;
export const CLOCK: string;
export const FIGURES: Readonly<{
  received: number;
  carriedOver: number;
  resolved: number;
  resolvedOverdue: number;
  open: number;
  openOverdue: number;
  withdrawn: number;
  feeOnline: Amount;
  landObligationOnline: Amount;
  reportsOnline: number;
  teams: Record<'commune' | 'village', { teams: number; members: number }>;
  provinceOnlineCapable: number;
  provinceWithOnlineDossiers: number;
}>;
export const PLAN: Readonly<Record<string, unknown>>;

export function iso(ms: number): string;
export function loadUnits(file?: string | URL): UnitRecord[];
export function loadCalendarYears(dir?: string | URL): unknown[];
export function generateBinhPhuoc2022(options?: {
  seed?: number;
  units?: UnitRecord[] | { units: UnitRecord[] };
  calendarYears?: unknown[];
}): { events: ScenarioEvent[]; expected: ExpectedFigures };
