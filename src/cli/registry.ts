// Every subcommand registers itself here (one line each).
import type { Command } from 'commander';
import { registerDecode } from './decode';
import { registerDemo } from './demo';
import { registerGen } from './gen';
import { registerInterfaces } from './interfaces';
import { registerSystemd } from './systemd';
import { registerLedger } from './ledger';
import { registerOrders } from './orders';
import { registerRun } from './run';
import { registerSp } from './sp';

export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerDecode,
  registerGen,
  registerRun,
  registerSp,
  registerOrders,
  registerLedger,
  registerDemo,
  registerInterfaces,
  registerSystemd,
];
