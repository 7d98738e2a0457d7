// A progress bar on stderr: percent, events/s and ETA. Redraws in place on a terminal, prints a
// plain line every few seconds otherwise (CI logs).

export interface ProgressBar {
  tick(n: number): void;
  finish(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function progressBar(label: string, total: number, stream: ProgressStream = process.stderr, now: () => number = Date.now): ProgressBar {
  const started = now();
  const tty = stream.isTTY === true;
  let last = 0;
  let done = 0;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const duration = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);
  const draw = (final: boolean): void => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const fraction = total > 0 ? done / total : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ${fmt(done)}/${fmt(total)} ${fmt(rate)} ev/s ${final ? `in ${duration(elapsed)}` : `ETA ${duration(eta)}`}`;
    stream.write(tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  };
  return {
    tick(n) {
      done += n;
      const t = now();
      if (done < total && t - last >= (tty ? 100 : 5000)) {
        last = t;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}
