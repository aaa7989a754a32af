// Every subcommand registers itself here (one line each).
import type { Command } from 'commander';
import { registerDecode } from './decode';

export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerDecode,
];
