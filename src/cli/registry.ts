// Every subcommand registers itself here (one line each).
import type { Command } from 'commander';
import { registerDecode } from './decode';
import { registerGen } from './gen';

export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerDecode,
  registerGen,
];
