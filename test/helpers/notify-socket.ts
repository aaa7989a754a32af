// A fake systemd notification socket: an AF_UNIX datagram socket (Node.js has
// none, so a small python3 process binds it) whose datagrams the test reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface NotifySocket {
  /** what NOTIFY_SOCKET says: a path, or @name for the abstract namespace */
  address: string;
  /** every datagram received, in order */
  messages: string[];
  /** resolves with the first message for which `pred` holds */
  waitFor(pred: (m: string) => boolean, ms?: number): Promise<string>;
  close(): void;
}

const PY = `
import socket, sys, json
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print(json.dumps('bound'), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export async function notifySocket(t: { teardown(fn: () => void): void }, address: string): Promise<NotifySocket> {
  const child: ChildProcess = spawn('python3', ['-c', PY, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const waiters: Array<{ pred: (m: string) => boolean; resolve: (m: string) => void }> = [];
  let bound: () => void;
  const isBound = new Promise<void>((r) => (bound = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as string;
    if (m === 'bound' && messages.length === 0) return bound();
    messages.push(m);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  const close = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  t.teardown(close);
  await isBound;
  return {
    address,
    messages,
    close,
    waitFor(pred, ms = 10_000) {
      const found = messages.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no notification matching in ${ms} ms; got ${JSON.stringify(messages)}`)),
          ms,
        );
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}
