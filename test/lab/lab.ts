// The Gn lab (../shared/lab: osmo-ggsn and sgsnemu in network namespaces, a
// phone namespace whose traffic goes through the GTP tunnel) driven from a
// test: gnpay run inside the GGSN namespace capturing gn0 live and serving the
// pay page on 10.204.0.1, headless Chromium (the system one, through
// puppeteer-core) inside a phone's namespace, an attacker's web server on the
// Gi side, raw GTP-U injected from the SGSN side.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';

export const ROOT = resolve(__dirname, '..', '..');
export const CHROMIUM = '/usr/lib/chromium/chromium';
export const PREFIX = process.env.GNPAY_LAB_PREFIX ?? 'cons';
export const PAY_IP = '10.204.0.1';
export const GI_IP = '10.204.0.2';

/** ../shared/lab from the repository (a worktree may sit one level deeper), or GNPAY_LAB_DIR. */
/** A fresh folder of screenshots under .tap/lab/ (`prefix` + the time) and a function that saves a page there. */
export function screenshots(prefix: string): { dir: string; shot: (page: Page, name: string) => Promise<unknown> } {
  const dir = join(ROOT, '.tap', 'lab', `${prefix}${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  return { dir, shot: (page, name) => page.screenshot({ path: join(dir, `${name}.png`), fullPage: true }) };
}

export function findLab(): string | null {
  const candidates = [
    process.env.GNPAY_LAB_DIR,
    join(ROOT, '..', 'shared', 'lab'),
    join(ROOT, '..', '..', 'shared', 'lab'),
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'up.sh'))) return resolve(c);
  return null;
}

/** Why the lab tests cannot run here, or null. */
export function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'the Gn lab needs root (network namespaces)';
  const lab = findLab();
  if (!lab) return '../shared/lab is absent (set GNPAY_LAB_DIR)';
  for (const bin of ['osmo-ggsn', 'sgsnemu', 'tcpdump', 'openssl']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
      return `${bin} is not installed (apt-get install osmo-ggsn tcpdump openssl)`;
  }
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent (apt-get install chromium)`;
  return null;
}

function kv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(LAB_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export class Lab {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  info: Record<string, string> = {};
  private procs: ChildProcess[] = [];

  constructor(
    readonly labDir: string,
    readonly work: string,
  ) {
    this.dir = labDir;
    this.env = {
      ...process.env,
      LAB_PREFIX: PREFIX,
      LAB_DNS_ZONES: `pay.example.net=${PAY_IP} example.net example.com example.org test`,
      LAB_ATTACH_TIMEOUT: '15',
    };
  }

  run(script: string, args: string[], timeoutMs = 60_000): Record<string, string> {
    const r = spawnSync('bash', [join(this.dir, script), ...args], {
      env: this.env,
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    if (r.status !== 0)
      throw new Error(
        `${script} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').split('\n').slice(-8).join('\n')}`,
      );
    return kv(r.stdout);
  }

  up(): void {
    this.info = this.run('up.sh', ['--no-attach']);
  }

  attach(phone: number, msisdn: string, imsi: string): Record<string, string> {
    return this.run('attach.sh', ['--phone', String(phone), '--msisdn', msisdn, '--imsi', imsi]);
  }

  /** Always safe: ends what the lab started and what this object started. */
  down(): void {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    spawnSync('bash', [join(this.dir, 'down.sh')], { env: this.env, timeout: 60_000 });
  }

  ns(which: 'ggsn' | 'sgsn' | 'inet' | `phone${number}`): string {
    return `${PREFIX}${which}`;
  }

  /** A long-running process inside a namespace (ended by down()). */
  spawnIn(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.procs.push(p);
    return p;
  }

  /** A short command inside a namespace; its output. */
  execIn(
    ns: string,
    cmd: string,
    args: string[],
    input?: string,
    timeoutMs = 30_000,
  ): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input, timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Chromium in a phone's namespace: an executable wrapper that enters it (puppeteer talks over a pipe). */
  async browser(phone: number): Promise<Browser> {
    const puppeteer = require('puppeteer-core') as typeof import('puppeteer-core');
    const wrapper = join(this.work, `chromium-phone${phone}.sh`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${this.ns(`phone${phone}`)} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const profile = join(this.work, `profile-phone${phone}-${Date.now()}`);
    mkdirSync(profile, { recursive: true });
    return puppeteer.launch({
      executablePath: wrapper,
      pipe: true,
      headless: true,
      userDataDir: profile,
      defaultViewport: { width: 412, height: 915, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-domain-reliability',
        '--ignore-certificate-errors', // the lab's pay host has a self-signed certificate
        '--disable-features=HttpsUpgrades',
        '--host-resolver-rules=MAP *.google.com ~NOTFOUND, MAP *.googleapis.com ~NOTFOUND, MAP *.gstatic.com ~NOTFOUND',
        '--lang=en-GB',
      ],
      timeout: 30_000,
    });
  }
}
