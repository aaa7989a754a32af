// The payment drivers: each file of this folder registers one (its name, what
// it is, how it is made from the configuration, what it requires of it); the
// configuration schema's list of drivers and `payments.driver`'s checks come
// from here. A new driver is a new file here and one import in index.ts.
import type { Store } from '../../store';
import type { PaymentDriver } from '../types';

/** The `payments` section of the configuration (kept structural: the schema imports this registry). */
export interface PaymentsConfig {
  driver: string;
  http: {
    url: string | null;
    secret: string | null;
    secretFile: string | null;
    timeoutMs: number;
    statusUrl: string | null;
    refundUrl: string | null;
  };
}

export interface DriverContext {
  store: Store;
  payments: PaymentsConfig;
  /** for the User-Agent of requests */
  version: string;
  /** an inline secret, else the file's content (a ConfigError when it cannot be read) */
  readSecret: (inline: string | null, file: string | null, key: string) => string | null;
}

export interface DriverProblem {
  path: string;
  message: string;
}

export interface DriverDefinition {
  name: string;
  /** one line, for the configuration reference */
  description: string;
  create(ctx: DriverContext): PaymentDriver;
  /** what the configuration lacks for this driver, when it is the selected one */
  problems?(payments: PaymentsConfig): DriverProblem[];
}

const drivers = new Map<string, DriverDefinition>();

export function registerDriver(d: DriverDefinition): void {
  if (drivers.has(d.name)) throw new Error(`payment driver "${d.name}" registered twice`);
  drivers.set(d.name, d);
}

/** The registered drivers' names, in registration order. */
export function driverNames(): string[] {
  return [...drivers.keys()];
}

export function driverDefinition(name: string): DriverDefinition {
  const d = drivers.get(name);
  if (!d) throw new Error(`unknown payment driver "${name}" (known: ${driverNames().join(', ')})`);
  return d;
}

/** The selected driver, made from the configuration. */
export function createDriver(ctx: DriverContext): PaymentDriver {
  return driverDefinition(ctx.payments.driver).create(ctx);
}

/** What the configuration lacks for its selected driver (an unknown name is the schema's to report). */
export function driverProblems(payments: PaymentsConfig): DriverProblem[] {
  return drivers.get(payments.driver)?.problems?.(payments) ?? [];
}

/** "name: description; ..." of every driver, for the configuration reference. */
export function driversDescription(): string {
  return [...drivers.values()].map((d) => `${d.name}: ${d.description}`).join('; ');
}
