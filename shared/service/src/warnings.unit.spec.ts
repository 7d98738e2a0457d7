import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { logProcessWarnings, warningLog } from './warnings.js';

/** A warning as Node.js builds it: an Error with the warning's name, a code when given, and a stack. */
function warning(name: string, message: string, stackLine: string, code?: string): Error & { code?: string } {
  const w: Error & { code?: string } = new Error(message);
  w.name = name;
  if (code !== undefined) w.code = code;
  w.stack = `${name}: ${message}\n    at new Timeout (node:internal/timers:195:17)\n    ${stackLine}`;
  return w;
}

const KAFKAJS_FRAME = 'at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';
const OWN_FRAME = 'at retryLater (/app/services/projector/dist/consumer.js:40:5)';

describe('warningLog', () => {
  it("logs kafkajs' negative request-queue timeout at debug level, with the warning's name and message", () => {
    const w = warning('TimeoutNegativeWarning', '-1764857000000 is a negative number.\nTimeout duration was set to 1.', KAFKAJS_FRAME);
    expect(warningLog(w)).toEqual({
      level: 'debug',
      fields: { warning: { name: 'TimeoutNegativeWarning', message: '-1764857000000 is a negative number.\nTimeout duration was set to 1.' } },
    });
  });

  it('logs a negative timeout of any other code, and every other warning, at warn level (with its code when it has one)', () => {
    expect(warningLog(warning('TimeoutNegativeWarning', '-5 is a negative number.', OWN_FRAME)).level).toBe('warn');
    expect(warningLog(warning('DeprecationWarning', 'Buffer() is deprecated', OWN_FRAME, 'DEP0005'))).toEqual({
      level: 'warn',
      fields: { warning: { name: 'DeprecationWarning', message: 'Buffer() is deprecated', code: 'DEP0005' } },
    });
    expect(warningLog(warning('MaxListenersExceededWarning', 'Possible EventEmitter memory leak detected', KAFKAJS_FRAME)).level).toBe('warn');
  });
});

describe('logProcessWarnings', () => {
  it("replaces the emitter's warning listeners with one that writes each warning as one structured record", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const emitter = new EventEmitter();
    const printed: Error[] = [];
    emitter.on('warning', (w: Error) => printed.push(w));
    logProcessWarnings(pino({ level: 'debug' }, sink), emitter);
    emitter.emit('warning', warning('TimeoutNegativeWarning', '-3 is a negative number.', KAFKAJS_FRAME));
    emitter.emit('warning', warning('ExperimentalWarning', 'SQLite is an experimental feature', OWN_FRAME));
    expect(printed).toEqual([]);
    expect(emitter.listenerCount('warning')).toBe(1);
    const records = lines.map((line) => JSON.parse(line) as { level: number; msg: string; warning: unknown });
    expect(records.map(({ level, msg, warning: w }) => ({ level, msg, warning: w }))).toEqual([
      { level: 20, msg: 'process warning', warning: { name: 'TimeoutNegativeWarning', message: '-3 is a negative number.' } },
      { level: 40, msg: 'process warning', warning: { name: 'ExperimentalWarning', message: 'SQLite is an experimental feature' } },
    ]);
  });
});
