// Every subcommand registers itself here (one line each).
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Register[] = [];
