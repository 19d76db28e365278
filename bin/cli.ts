/** `vigil <command> [options]` — dispatches to one module per command under bin/commands/. */
import type { Command } from './command.ts';
import { UsageError, parseCommandArgs } from './command.ts';
import { VigilError } from '../core/errors.ts';

const loaders: Record<string, () => Promise<{ command: Command }>> = {
  stack: () => import('./commands/stack.ts'),
  produce: () => import('./commands/produce.ts'),
  pipeline: () => import('./commands/pipeline.ts'),
  api: () => import('./commands/api.ts'),
  gateway: () => import('./commands/gateway.ts'),
  oncall: () => import('./commands/oncall.ts'),
  nab: () => import('./commands/nab.ts'),
  detect: () => import('./commands/detect.ts'),
  retention: () => import('./commands/retention.ts'),
};

async function loadAll(): Promise<Command[]> {
  return Promise.all(Object.values(loaders).map(async (load) => (await load()).command));
}

/** `--config <file>` anywhere on the line is global: it names the JSON config file (VIGIL_CONFIG). */
function takeConfigFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--config') {
      const file = argv[++i];
      if (!file) throw new UsageError('--config needs a file path');
      process.env.VIGIL_CONFIG = file;
    } else if (arg.startsWith('--config=')) {
      process.env.VIGIL_CONFIG = arg.slice('--config='.length);
    } else {
      out.push(arg);
    }
  }
  return out;
}

async function main(rawArgv: string[]): Promise<number> {
  let argv: string[];
  try {
    argv = takeConfigFlag(rawArgv);
  } catch (err) {
    process.stderr.write(`vigil: ${(err as Error).message}\n`);
    return 2;
  }
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const commands = await loadAll();
    const lines = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
    process.stdout.write(
      `usage: vigil [--config <file.json>] <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'vigil <command> --help' for a command's options.\nConfiguration: VIGIL_* environment variables and an optional JSON file (--config or VIGIL_CONFIG); see README.\n`,
    );
    return name ? 0 : 1;
  }
  const load = loaders[name];
  if (!load) {
    process.stderr.write(`vigil: unknown command '${name}' — run 'vigil --help' for the list\n`);
    return 2;
  }
  const { command } = await load();
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return (await command.run(values, positionals)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`vigil ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A VigilError already says what went wrong and what to do: print that, not a stack trace.
    if (err instanceof VigilError) {
      const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
      process.stderr.write(`vigil: ${err.message}${cause}\n`);
    } else {
      process.stderr.write(`vigil: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  },
);
