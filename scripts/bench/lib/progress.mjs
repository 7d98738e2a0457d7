// A tiny progress bar on stderr: percent, rate, ETA. Redraws in place on a terminal,
// prints a line every 10% otherwise (CI logs, redirected output).

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function fmtRate(perSecond) {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

/**
 * @param {string} label
 * @param {number} total
 */
export function progressBar(label, total, stream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  const width = 28;
  const t0 = performance.now();
  let lastDraw = 0;
  let nextStep = 10;
  let current = 0;
  let finished = false;

  const line = (n) => {
    const elapsed = (performance.now() - t0) / 1000;
    const fraction = total > 0 ? Math.min(1, n / total) : 1;
    const rate = elapsed > 0 ? n / elapsed : 0;
    const eta = rate > 0 ? (total - n) / rate : Number.NaN;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    return `${label} [${bar}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${fmtInt(n)}/${fmtInt(total)}  ${fmtRate(rate)}  ETA ${fmtDuration(eta)}`;
  };

  return {
    update(n) {
      current = n;
      if (finished) return;
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 100 && n < total) return;
        lastDraw = now;
        stream.write(`\r\x1b[2K${line(n)}`);
      } else {
        const pct = total > 0 ? (n / total) * 100 : 100;
        if (pct + 1e-9 < nextStep) return;
        while (nextStep <= pct) nextStep += 10;
        stream.write(`${line(n)}\n`);
      }
    },
    done(note = '') {
      if (finished) return;
      finished = true;
      const elapsed = (performance.now() - t0) / 1000;
      const text = `${label} done: ${fmtInt(current)} in ${fmtDuration(elapsed)} (${fmtRate(elapsed > 0 ? current / elapsed : 0)})${note ? `  ${note}` : ''}`;
      stream.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
    },
    /** Clears the bar line (terminal only) before printing something else. */
    clear() {
      if (tty && !finished) stream.write('\r\x1b[2K');
    },
  };
}
