import { Progress, formatDuration } from './progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (c: string) => chunks.push(c) }, chunks };
}

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3725)).toBe('1h02m05s');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('shows the bar, rate and ETA from the injected clock', () => {
    let now = 1_000_000;
    const { stream } = sink(false);
    const progress = new Progress({ stream, now: () => now, label: 'events', total: 1000 });
    now += 10_000;
    progress.update(250);
    // 250 in 10 s: 25/s, 750 left: 30 s.
    expect(progress.render(now)).toBe('events [######..................] 250/1000 25.0% 25.0/s elapsed 10s ETA 30s');
  });

  it('without a total shows the count and rate only', () => {
    const now = 0;
    const { stream } = sink(false);
    const progress = new Progress({ stream, now: () => now, label: 'messages' });
    progress.update(12);
    expect(progress.render(2000)).toBe('messages 12 6.0/s elapsed 2s');
  });

  it('prints one plain line per interval when not on a terminal', () => {
    let now = 0;
    const { stream, chunks } = sink(false);
    const progress = new Progress({ stream, now: () => now, label: 'events', total: 100, lineIntervalMs: 5000 });
    for (let i = 1; i <= 100; i++) {
      now += 200;
      progress.update(i);
    }
    progress.finish();
    // Drawn at 0.2 s, 5.2 s, 10.2 s and 15.2 s (20 s is only 4.8 s later), then the final line.
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    expect(chunks[4]).toBe('events [########################] 100/100 100.0% 5.0/s elapsed 20s ETA 0s\n');
  });

  it('does not print the final line twice off a terminal when the last line drawn already showed it', () => {
    let now = 0;
    const { stream, chunks } = sink(false);
    const progress = new Progress({ stream, now: () => now, label: 'events', total: 632 });
    now += 30;
    progress.update(632);
    now += 5;
    progress.finish();
    progress.finish();
    expect(chunks).toEqual(['events [########################] 632/632 100.0% 21.1k/s elapsed 0s ETA 0s\n']);
  });

  it('redraws one line in place on a terminal and ends it once', () => {
    let now = 0;
    const { stream, chunks } = sink(true);
    const progress = new Progress({ stream, now: () => now, label: 'x', total: 10, redrawIntervalMs: 100 });
    now = 100;
    progress.update(5);
    now = 150;
    progress.update(6);
    now = 1000;
    progress.update(10);
    progress.finish();
    progress.finish();
    expect(chunks.filter((c) => c.startsWith('\r'))).toHaveLength(3);
    expect(chunks.at(-1)).toBe('\n');
  });
});
