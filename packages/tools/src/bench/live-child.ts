// Child process of the live-capture benchmark (live.ts), run inside
// the benchmark's network namespace:  node live-child.js <gnpay|cap> <interface>
// Prints "ready" once capturing, and on SIGTERM one JSON line with what it got.

async function main(): Promise<void> {
  const [mode, iface, bufArg] = process.argv.slice(2);
  const bufferBytes = Number(bufArg ?? 64 << 20);
  const cpu0 = process.cpuUsage();
  if (mode === 'gnpay') {
    const { openCapture } = require('../../../../dist/native') as typeof import('../../../../dist/native');
    const cap = openCapture({
      interfaces: [iface!],
      carriers: ['query:pay_token', 'path:/pay/', 'host:pay.example.net', 'header:X-Pay-Token', 'cookie:pay_token'],
      live: { bufferBytes },
    });
    let sightings = 0;
    let events = 0;
    let cpuStart = process.cpuUsage();
    process.stdout.write('ready\n');
    process.on('SIGUSR1', () => (cpuStart = process.cpuUsage()));
    process.on('SIGTERM', () => void cap.close());
    for await (const batch of cap) {
      events += batch.length;
      for (const e of batch) if (e.type === 'sighting') sightings++;
    }
    const cpu = process.cpuUsage(cpuStart);
    const st = cap.captureStats()[0]!;
    process.stdout.write(
      JSON.stringify({
        received: st.packets,
        kernelDropped: st.kernelDropped,
        interfaceDropped: st.interfaceDropped,
        shedEvents: st.shedEvents,
        events,
        sightings,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      }) + '\n',
    );
    return;
  }
  if (mode === 'cap') {
    const { Cap } = require('cap');
    const c = new Cap();
    const buf = Buffer.alloc(65535);
    const filter = 'udp port 2123 or udp port 2152 or (ip[6:2] & 0x3fff != 0)';
    c.open(iface, filter, bufferBytes, buf);
    let received = 0;
    let cpuStart = process.cpuUsage();
    c.on('packet', () => {
      received++;
    });
    process.stdout.write('ready\n');
    process.on('SIGUSR1', () => (cpuStart = process.cpuUsage()));
    await new Promise<void>((resolve) => process.on('SIGTERM', () => resolve()));
    const cpu = process.cpuUsage(cpuStart);
    c.close();
    process.stdout.write(JSON.stringify({ received, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
    return;
  }
  void cpu0;
  throw new Error('usage: live-child <gnpay|cap> <interface>');
}

main().catch((err) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exitCode = 1;
});
