// gnpay interfaces [--json]: the capture devices and their addresses.
import type { Command } from 'commander';

export function registerInterfaces(program: Command): void {
  program
    .command('interfaces')
    .description('list the capture devices and their addresses (for --interface, which takes a name or an address)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { listDevices } = await import('../capture/devices');
      const devices = listDevices();
      if (o.json) {
        process.stdout.write(JSON.stringify(devices, null, 2) + '\n');
        return;
      }
      const w = Math.max(9, ...devices.map((d) => d.name.length));
      process.stdout.write(`${'INTERFACE'.padEnd(w)}  ADDRESSES\n`);
      for (const d of devices) {
        const addrs = d.addresses.map((a) => a.addr).join(', ');
        process.stdout.write(`${d.name.padEnd(w)}  ${addrs || '-'}\n`);
      }
    });
}
