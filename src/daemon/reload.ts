// SIGHUP: the config file and flags read again. Keys the schema marks
// reloadable take effect; the others keep their running values until a
// restart; an invalid file keeps the whole running configuration.
import type { Logger } from 'pino';
import { applyReload, loadConfig, type Config, type ConfigInput } from '../config';
import { activeCarriers } from '../pipeline/carriers';

export interface Reloaded {
  config: Config;
  /** the carriers changed: the capture engine must be told */
  carriersChanged: boolean;
}

/** The configuration to run with after a reload, or an Error when the file is invalid (nothing changes then). */
export function reloadConfig(running: Config, file: string | null, flags: ConfigInput, log: Logger): Reloaded | Error {
  let next: Config;
  try {
    next = loadConfig(file, flags);
  } catch (err) {
    log.error({ err }, 'reload failed: keeping the running configuration');
    return err as Error;
  }
  const before = JSON.stringify(activeCarriers(running));
  const { config, kept } = applyReload(running, next);
  if (kept.length) log.warn({ keys: kept }, 'these settings change only on restart: the running values are kept');
  log.level = config.log.level;
  const carriers = activeCarriers(config);
  log.info({ carriers }, 'configuration reloaded');
  return { config, carriersChanged: JSON.stringify(carriers) !== before };
}
