#!/usr/bin/env node
// gnpay command line: thin. Each subcommand lives in src/cli/<name>.ts, builds
// typed options and calls the real modules.
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli/common';
import { commands } from './cli/registry';
import { VERSION } from './version';

/**
 * The program with the subcommand named in argv only (each loads its own
 * modules), or with all of them for help, usage errors and unknown names.
 */
export function buildProgram(argv: string[] = process.argv): Command {
  const program = new Command();
  program
    .name('gnpay')
    .description('Passive carrier-billing probe for mirrored Gn / S5/S8 GTP traffic')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted =
    name !== undefined && Object.prototype.hasOwnProperty.call(commands, name) ? [name] : Object.keys(commands);
  for (const n of wanted) commands[n]?.()(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version print and end with exit code 0
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`gnpay: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`gnpay: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`gnpay: ${String(err)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
