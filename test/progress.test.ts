// The progress display of long replays: drawn on a terminal only, with bytes,
// packets/s and ETA; nothing at all when the stream is not a terminal.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { formatProgress, ProgressBar, ProgressLog } from '../src/progress';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let out = '';
  (s as unknown as PassThrough).on('data', (d: Buffer) => (out += d.toString()));
  Object.assign(s, { isTTY, columns: 100, text: () => out });
  return s;
}

t.test('the line: fraction, bytes, rate and ETA', async (t) => {
  const l = formatProgress({ bytesRead: 250_000_000, totalBytes: 1_000_000_000, packets: 500_000 }, 2, 100);
  t.match(l, /25\.0%/);
  t.match(l, /250 MB\/1\.0 GB/);
  t.match(l, /250 Kpkt\/s/);
  t.match(l, /ETA 00:06/, 'a quarter in 2 s: 6 s to go');
  t.match(
    formatProgress({ bytesRead: 0, totalBytes: 0, packets: 0 }, 0, 80),
    /ETA --:--/,
    'unknown before anything is read',
  );
  t.match(formatProgress({ bytesRead: 10, totalBytes: 10, packets: 10 }, 4000, 80), /ETA 00:00/);
  t.match(
    formatProgress({ bytesRead: 1, totalBytes: 10, packets: 10 }, 4000, 80),
    /ETA 10:00:00/,
    'hours shown as h:mm:ss',
  );
});

t.test('drawn on a terminal, erased when stopped', async (t) => {
  const s = stream(true);
  let read = 0;
  const bar = new ProgressBar(() => ({ bytesRead: (read += 100), totalBytes: 1000, packets: read }), s, 5);
  t.ok(bar.enabled);
  bar.start();
  bar.start(); // idempotent
  await new Promise((r) => setTimeout(r, 40));
  bar.stop();
  const out = s.text();
  t.match(out, /\r\[#+\.*\]/, 'a bar was drawn');
  t.ok(out.endsWith('\r'), 'and erased at the end');
  t.match(bar.line(), /%/);
});

t.test('silent when the output is not a terminal', async (t) => {
  const s = stream(false);
  const bar = new ProgressBar(() => ({ bytesRead: 1, totalBytes: 2, packets: 1 }), s, 5);
  t.notOk(bar.enabled);
  bar.start();
  await new Promise((r) => setTimeout(r, 30));
  bar.stop();
  t.equal(s.text(), '', 'nothing written');
});

t.test('not on a terminal: a progress line in the log every interval', async (t) => {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  let read = 0;
  const p = new ProgressLog(
    () => ({ bytesRead: (read += 250), totalBytes: 1000, packets: read * 2 }),
    { info: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) },
    20,
  ).start();
  await new Promise((r) => setTimeout(r, 75));
  p.stop();
  const n = lines.length;
  t.ok(n >= 2, `a line every 20 ms (${n})`);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(lines.length, n, 'none after stop');
  t.equal(lines[0]!.msg, 'replay progress');
  t.match(lines[0]!.obj.progress, {
    bytesRead: 250,
    totalBytes: 1000,
    percent: 25,
    packets: 500,
    packetsPerSecond: Number,
    elapsed: String,
    eta: String,
  });
  const f = new ProgressLog(() => ({ bytesRead: 500, totalBytes: 1000, packets: 100 }), { info: () => {} }, 1000);
  t.match(f.fields(Date.now() + 10_000), { percent: 50, eta: '00:10' }, 'half in 10 s: 10 s to go');
});
