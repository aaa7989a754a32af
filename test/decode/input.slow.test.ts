// `gnpay decode` reads what network engineers pipe into it: standard input,
// named pipes, process substitution, gzip and zstd captures (files or
// streams). Each must give exactly the events and statistics of the plain
// file read directly. Also: `| head` ends quietly,
// one default carrier with `gnpay run`, and --config.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import { CLI, FIXTURES, gnpay, type RunResult } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-input-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const CARRIERS = ['--carrier', 'query:pay_token', '--carrier', 'host:pay.example.net', '--carrier', 'path:/pay/'];
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

/**
 * The output without the process's own measurements (peak RSS differs from run
 * to run) and without `file`, which names the input as given ("-", a pipe, a .gz).
 */
function comparable(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => {
      const j = JSON.parse(l);
      if (j.type === 'stats') delete j.memory;
      else delete j.file;
      return JSON.stringify(j);
    });
}

/** `gnpay decode ARGS` with `input` written to its standard input. */
const decodeStdin = (args: string[], input: Buffer | fs.ReadStream): Promise<RunResult> =>
  gnpay(['decode', ...args], { input });

for (const name of ['gn-basic.pcap', 'gn-ipv6.pcapng']) {
  t.test(`${name}: stdin, a named pipe, .gz and .zst decode as the file does`, async (t) => {
    const file = path.join(FIXTURES, name);
    const bytes = fs.readFileSync(file);
    const base = await gnpay(['decode', file, '--jsonl', '--requests', ...CARRIERS]);
    t.equal(base.status, 0, base.stderr);
    const want = comparable(base.stdout);
    t.ok(want.length > 5, `${want.length} lines`);

    const stdin = await decodeStdin(['-', '--jsonl', '--requests', ...CARRIERS], fs.createReadStream(file));
    t.equal(stdin.status, 0, stdin.stderr);
    t.same(comparable(stdin.stdout), want, 'standard input');

    const fifo = path.join(dir, `${name}.fifo`);
    spawnSync('mkfifo', [fifo]);
    const writer = new Promise<void>((resolve, reject) => {
      // small writes: the reader sees records split across reads
      const w = fs.createWriteStream(fifo, { highWaterMark: 1000 });
      w.on('error', reject).on('close', () => resolve());
      for (let i = 0; i < bytes.length; i += 777) w.write(bytes.subarray(i, i + 777));
      w.end();
    });
    const piped = await gnpay(['decode', fifo, '--jsonl', '--requests', ...CARRIERS]);
    await writer;
    t.equal(piped.status, 0, piped.stderr);
    t.same(comparable(piped.stdout), want, 'named pipe');

    const gz = path.join(dir, `${name}.gz`);
    // two gzip members, as `cat a.gz b.gz` or pigz make them
    const cut = Math.floor(bytes.length / 3);
    fs.writeFileSync(gz, Buffer.concat([zlib.gzipSync(bytes.subarray(0, cut)), zlib.gzipSync(bytes.subarray(cut))]));
    const fromGz = await gnpay(['decode', gz, '--jsonl', '--requests', ...CARRIERS]);
    t.equal(fromGz.status, 0, fromGz.stderr);
    t.same(comparable(fromGz.stdout), want, '.gz file');
    const gzStdin = await decodeStdin(['-', '--jsonl', '--requests', ...CARRIERS], fs.readFileSync(gz));
    t.same(comparable(gzStdin.stdout), want, '.gz on standard input');

    if (!hasZstd) {
      t.skip('zstd (the command) is not installed: no .zst to test with', () => {});
      return;
    }
    const zst = path.join(dir, `${name}.zst`);
    t.equal(spawnSync('zstd', ['-q', '-f', file, '-o', zst]).status, 0);
    const fromZst = await gnpay(['decode', zst, '--jsonl', '--requests', ...CARRIERS]);
    t.equal(fromZst.status, 0, fromZst.stderr);
    t.same(comparable(fromZst.stdout), want, '.zst file');
    const zstStdin = await decodeStdin(['-', '--jsonl', '--requests', ...CARRIERS], fs.readFileSync(zst));
    t.same(comparable(zstStdin.stdout), want, '.zst on standard input');
  });
}

t.test('a named pipe is opened once: a writer that writes as soon as a reader comes loses nothing', async (t) => {
  // A reader that opened the pipe only to look at it and closed it again
  // would let the writer's open return: what it wrote before the real open
  // would go with the pipe, and the decode would wait for a writer forever.
  const file = path.join(FIXTURES, 'gn-ipv6.pcapng');
  const base = await gnpay(['decode', file, '--jsonl', ...CARRIERS]);
  const want = comparable(base.stdout);
  for (let i = 0; i < 15; i++) {
    const fifo = path.join(dir, `once-${i}.fifo`);
    spawnSync('mkfifo', [fifo]);
    // cat's open returns when a reader opens the pipe; it writes the whole capture and exits
    const writer = spawn('sh', ['-c', 'exec cat "$0" > "$1"', file, fifo], { stdio: 'ignore' });
    const r = spawnSync(process.execPath, [CLI, 'decode', fifo, '--jsonl', ...CARRIERS], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    writer.kill();
    t.equal(r.status, 0, `run ${i}: ${r.error ? String(r.error) : r.stderr}`);
    t.same(comparable(r.stdout), want, `run ${i}: the events of the file`);
  }
});

t.test('process substitution (/dev/fd/N) and a file given twice continue one tunnel table', async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const r = spawnSync('bash', ['-c', `node "${CLI}" decode <(cat "${file}") "${file}" --stats --no-progress`], {
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^Capture: \/dev\/fd\/\d+, /);
  t.match(r.stdout, /packets\s+270\n/);
});

t.test('damaged and foreign compressed input: what is wrong and how to read it', async (t) => {
  const bytes = fs.readFileSync(path.join(FIXTURES, 'gn-basic.pcap'));
  const gz = zlib.gzipSync(bytes);
  const cut = path.join(dir, 'cut.pcap.gz');
  fs.writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
  const r = await gnpay(['decode', cut, '--jsonl', ...CARRIERS]);
  t.equal(r.status, 3);
  t.match(r.stderr, /cut\.pcap\.gz: the gzip stream ends early \(truncated \.gz\)/);
  const lines = r.stdout.trim().split('\n');
  t.ok(lines.length > 1, 'what came before the damage is printed');
  t.equal(JSON.parse(lines[lines.length - 1]!).type, 'stats');

  const xz = path.join(dir, 'c.pcap.xz');
  fs.writeFileSync(xz, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64)]));
  const x = await gnpay(['decode', xz, '--stats']);
  t.equal(x.status, 3);
  t.match(x.stderr, /compressed with xz \(xz -dc FILE \| gnpay decode -\); gnpay reads gzip and zstd/);

  const garbage = await decodeStdin(['-', '--stats'], Buffer.from('not a capture at all, only text\n'));
  t.equal(garbage.status, 3);
  t.match(garbage.stderr, /not a pcap or pcapng file/);

  const empty = await decodeStdin(['-', '--stats'], Buffer.alloc(0));
  t.equal(empty.status, 3);
  t.match(empty.stderr, /too short for a capture file header/);

  const twice = await gnpay(['decode', '-', '-']);
  t.equal(twice.status, 2);
  t.match(twice.stderr, /standard input \(-\) can be read only once/);
});

// libzstd.so.1 is loaded when a zstd capture is opened; GNPAY_LIBZSTD names
// another file to load, here one that does not exist: a machine without libzstd.
t.test('a .zst capture without libzstd: exit 3, what to install or how to read it instead', async (t) => {
  const zst = path.join(dir, 'nolib.pcap.zst');
  if (hasZstd) t.equal(spawnSync('zstd', ['-q', '-f', path.join(FIXTURES, 'gn-basic.pcap'), '-o', zst]).status, 0);
  else fs.writeFileSync(zst, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)])); // the zstd magic is enough
  const missing = { GNPAY_LIBZSTD: path.join(dir, 'libzstd-not-here.so.1') };
  const advice =
    /reading zstd captures needs libzstd\.so\.1 \(apt-get install libzstd1\), or decompress first: zstd -dc FILE \| gnpay decode -/;
  const file = await gnpay(['decode', zst, '--jsonl', ...CARRIERS], { env: missing });
  t.equal(file.status, 3, 'a file: exit 3');
  t.match(file.stderr, advice);
  t.match(file.stderr, /nolib\.pcap\.zst/, 'names the file');
  t.equal(file.stderr.split('nolib.pcap.zst').length - 1, 1, 'once');
  const lines = file.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'no events, only the stats line');
  t.equal(JSON.parse(lines[0]!).packets, 0);
  const stdin = await gnpay(['decode', '-', '--stats'], { env: missing, input: fs.readFileSync(zst) });
  t.equal(stdin.status, 3, 'standard input: exit 3');
  t.match(stdin.stderr, /^gnpay: standard input: reading zstd captures needs libzstd\.so\.1/m);
  const withLib = await gnpay(['decode', zst, '--stats']);
  t.notMatch(withLib.stderr, /needs libzstd/, 'with the library (the default) it is not asked for');
  if (hasZstd) t.equal(withLib.status, 0);
});

t.test('gnpay decode … | head: exit 0, nothing on stderr, reading stops', async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const many = Array.from({ length: 60 }, () => `"${file}"`).join(' ');
  for (const format of ['--jsonl', '', '--stats']) {
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; node "${CLI}" decode ${many} --requests ${format} --no-progress | head -n 2`],
      {
        encoding: 'utf8',
      },
    );
    t.equal(r.status, 0, `${format || 'table'}: exit 0 (${r.stderr})`);
    t.equal(r.stderr, '', `${format || 'table'}: no EPIPE trace`);
    t.equal(r.stdout.split('\n').length, 3);
  }
});

t.test('one default carrier: decode looks for what gnpay run looks for', async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const def = await gnpay(['decode', file, '--jsonl']);
  const explicit = await gnpay(['decode', file, '--jsonl', '--carrier', 'query:pay_token']);
  t.same(comparable(def.stdout), comparable(explicit.stdout));
  t.ok(def.stdout.includes('"type":"sighting"'), 'the default finds the query:pay_token sightings');
  const help = await gnpay(['decode', '--help']);
  t.match(help.stdout, /query:pay_token as gnpay run/);
});

t.test("--config: the daemon's carriers, pay hosts, decode limits and filter", async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    cfg,
    [
      '# as /etc/gnpay/config.yaml',
      'payUrlTemplate: "https://{token}.pay.example.net/"',
      'carriers: [ "path:/pay/" ]',
      'decode:',
      '  limits:',
      '    maxSessions: 1',
      '',
    ].join('\n'),
  );
  const r = await gnpay(['decode', file, '--jsonl', '--config', cfg]);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const carriers = new Set(lines.filter((e) => e.type === 'sighting').map((e) => e.carrier));
  t.same([...carriers].sort(), ['host', 'path'], 'host: from payUrlTemplate, path: from carriers');
  t.ok(
    lines.some((e) => e.type === 'hello' && e.sni.endsWith('pay.example.net')),
    'hello events for the pay host',
  );
  t.equal(lines[lines.length - 1].sessions.evicted, 2, 'decode.limits.maxSessions');
  const flags = await gnpay([
    'decode',
    file,
    '--jsonl',
    '--config',
    cfg,
    '--carrier',
    'query:pay_token',
    '--pay-host',
    'other.example.net',
  ]);
  const fl = flags.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.same(
    [...new Set(fl.filter((e) => e.type === 'sighting').map((e) => e.carrier))],
    ['query'],
    'flags replace the configured carriers',
  );
  t.notOk(
    fl.some((e) => e.type === 'hello'),
    'and pay hosts',
  );

  fs.writeFileSync(path.join(dir, 'bad.yaml'), 'carriers: [ "url:x" ]\nlisten: 1\n');
  const bad = await gnpay(['decode', file, '--config', path.join(dir, 'bad.yaml')]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /bad\.yaml/);
});
