import type { OutStream } from './io.js';

export interface ProgressOptions {
  stream: OutStream;
  now: () => number;
  /** What is counted, e.g. "events". */
  label: string;
  /** Expected total, when known: gives the bar, the percentage and the ETA. */
  total?: number;
  /** Non-TTY streams get one line at most this often (ms). */
  lineIntervalMs?: number;
  /** TTY streams are redrawn at most this often (ms). */
  redrawIntervalMs?: number;
}

const BAR_WIDTH = 24;

/** 75 -> "1m15s", 3725 -> "1h02m05s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  return `${perSecond.toFixed(perSecond >= 100 ? 0 : 1)}/s`;
}

/**
 * A progress report with rate and ETA. On a terminal one line is redrawn in place (carriage
 * return); elsewhere (logs, CI) a plain line is printed every few seconds so the output stays
 * readable. The rate is the average since start: steady and honest for long batch jobs.
 */
export class Progress {
  private readonly startedAt: number;
  private done = 0;
  private total: number | undefined;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private drawnWidth = 0;
  /** The count and total of the last line drawn. */
  private drawn: { done: number; total: number | undefined } | undefined;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.startedAt = options.now();
    this.total = options.total;
  }

  /** Sets the count done so far (and the total, when it changed). */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    const now = this.options.now();
    const interval = this.options.stream.isTTY === true ? (this.options.redrawIntervalMs ?? 100) : (this.options.lineIntervalMs ?? 5000);
    if (now - this.lastDrawn >= interval) this.draw(now);
  }

  /** Adds n to the count done. */
  add(n: number): void {
    this.update(this.done + n);
  }

  /** Draws the final state once and ends the line. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const tty = this.options.stream.isTTY === true;
    // Off a terminal, a line that already showed the final count is not printed again (a short
    // job's first update is its last).
    if (tty || this.drawn?.done !== this.done || this.drawn.total !== this.total) this.draw(this.options.now());
    if (tty) this.options.stream.write('\n');
  }

  /** The line as it would be drawn at instant `now`. */
  render(now: number): string {
    const elapsed = (now - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const parts = [this.options.label];
    if (this.total !== undefined && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`, `${this.done}/${this.total}`, `${(fraction * 100).toFixed(1)}%`);
    } else {
      parts.push(String(this.done));
    }
    parts.push(formatRate(rate), `elapsed ${formatDuration(elapsed)}`);
    if (this.total !== undefined && this.total > 0) {
      const left = Math.max(0, this.total - this.done);
      parts.push(`ETA ${left === 0 ? '0s' : rate > 0 ? formatDuration(left / rate) : '?'}`);
    }
    return parts.join(' ');
  }

  private draw(now: number): void {
    this.lastDrawn = now;
    this.drawn = { done: this.done, total: this.total };
    const line = this.render(now);
    if (this.options.stream.isTTY === true) {
      this.options.stream.write(`\r${line}${' '.repeat(Math.max(0, this.drawnWidth - line.length))}`);
      this.drawnWidth = line.length;
    } else {
      this.options.stream.write(`${line}\n`);
    }
  }
}
