import { Writable } from 'node:stream';

/** A pino destination that keeps every line, for tests that read what was logged. */
export function createLogSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { stream, lines };
}
