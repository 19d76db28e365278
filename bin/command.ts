import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One CLI command: its help text and what it runs. Every command answers --help. */
export interface Command {
  name: string;
  summary: string;
  usage: string; // full help text shown by --help
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number | void>;
}

export class UsageError extends Error {}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${cmd.usage}`);
  }
}
