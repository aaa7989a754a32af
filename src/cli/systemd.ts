// gnpay systemd-unit: print a unit file that runs the daemon with CAP_NET_RAW
// and CAP_NET_ADMIN instead of full root.
import type { Command } from 'commander';
import { UsageError } from './common';

export function registerSystemd(program: Command): void {
  program
    .command('systemd-unit')
    .description(
      'print a systemd unit that runs `gnpay run` as an unprivileged user with CAP_NET_RAW and CAP_NET_ADMIN',
    )
    .option('--config <file>', 'config file the service reads', '/etc/gnpay/config.yaml')
    .option('--user <name>', 'system user the service runs as', 'gnpay')
    .option('--node <path>', 'node binary (default: the one running this command)')
    .action(async (o: { config: string; user: string; node?: string }) => {
      const { defaultUnitOptions, systemdUnit } = await import('../ops/systemd-unit');
      const d = defaultUnitOptions();
      try {
        process.stdout.write(systemdUnit({ ...d, config: o.config, user: o.user, node: o.node ?? d.node }));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    });
}
