// A DaemonContext over a temporary database, for the daemon services' tests.
import { join } from 'node:path';
import { loadConfig, type Config, type ConfigInput } from '../../src/config';
import type { DaemonContext } from '../../src/daemon/context';
import { createLogger } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import type { PipelineDeps } from '../../src/pipeline/pipeline';
import { Store } from '../../src/store';
import { tmpDir } from '../e2e/harness';

export interface TestContext extends DaemonContext {
  /** what was logged, one object per line */
  logs: Array<Record<string, unknown>>;
  setConfig(c: Config): void;
  setStopping(v: boolean): void;
}

export function testContext(
  t: { teardown(fn: () => void): void },
  flags: ConfigInput = {},
  clock?: () => number,
): TestContext {
  const dir = tmpDir(t);
  let config = loadConfig(null, { db: join(dir, 'g.db'), listen: '127.0.0.1:0', ...flags });
  let stopping = false;
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'debug',
    redactPersonalData: false,
    destination: { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const store = Store.open(config.db!, { clock });
  t.teardown(() => store.close());
  return {
    store,
    metrics: createMetrics(),
    log,
    logs,
    config: () => config,
    stopping: () => stopping,
    setConfig: (c) => (config = c),
    setStopping: (v) => (stopping = v),
  };
}

/** The pipeline's dependencies over a test context: its store, metrics, log and limits. */
export function testPipelineDeps(ctx: DaemonContext): (sourceId: string) => PipelineDeps {
  return (sourceId) => ({
    store: ctx.store,
    sourceId,
    metrics: ctx.metrics,
    log: ctx.log,
    limits: () => ctx.config().limits.perMsisdn,
  });
}
