// gnpay config check|show: the configuration file as the daemon reads it.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, type Config } from '../config';
import { defaultConfigFile } from '../config-file';
import { CliError, EXIT_USAGE } from './common';
import { ADMIN_CONFIG_HELP } from './run';

/** Keys whose values are secrets: shown as "(set)" by config show. */
export const SECRET_KEYS = ['secrets.apiKeyPepper', 'secrets.webhookSecretKey', 'payments.http.secret'];

export function maskSecrets(c: Config): Record<string, unknown> {
  const out = structuredClone(c) as unknown as Record<string, unknown>;
  for (const key of SECRET_KEYS) {
    const parts = key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node?.[p] ?? null) as Record<string, unknown>;
    const last = parts[parts.length - 1];
    if (node && last !== undefined && node[last] !== null && node[last] !== undefined) node[last] = '(set)';
  }
  return out;
}

function load(file: string | null): Config {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('check the configuration file, show the effective configuration');
  config
    .command('check')
    .description('validate the configuration file: every problem with its line and column; exit 2 when there is one')
    .option('--config <file>', ADMIN_CONFIG_HELP)
    .action((o: { config?: string }) => {
      const file = o.config ?? defaultConfigFile();
      load(file);
      process.stdout.write(file === null ? 'no configuration file: the defaults are valid\n' : `${file}: ok\n`);
    });
  config
    .command('show')
    .description('print the effective configuration (defaults, then the file) with secrets masked')
    .option('--config <file>', ADMIN_CONFIG_HELP)
    .option('--json', 'print JSON (default: YAML)')
    .action((o: { config?: string; json?: boolean }) => {
      const file = o.config ?? defaultConfigFile();
      const shown = maskSecrets(load(file));
      process.stdout.write(
        o.json
          ? `${JSON.stringify(shown, null, 2)}\n`
          : `# the effective configuration: ${file ?? 'defaults only (no configuration file)'}; secrets masked\n${stringify(shown)}`,
      );
    });
}
