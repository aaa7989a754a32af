// Every payment driver, registered in this order (the first is the default).
import './ledger';
import './http';

export {
  createDriver,
  driverDefinition,
  driverNames,
  driverProblems,
  driversDescription,
  registerDriver,
  type DriverContext,
  type DriverDefinition,
} from './registry';
export { HttpDriver, describeFetchError, type HttpDriverOptions } from './http';
export { LedgerDriver } from './ledger';
