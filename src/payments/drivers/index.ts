// Every payment driver, registered in this order (the first is the default).
import './ledger';
import './http';

export { createDriver, driverDefinition, driverNames, registerDriver, type DriverContext, type DriverDefinition } from './registry';
