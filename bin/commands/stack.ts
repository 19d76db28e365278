import type { Command } from '../command.ts';
import { runStackCommand, stackUsage } from '../../deploy/stack.ts';

/** `vigil stack up|down|status [--json]`: the same module as deploy/stack.sh / npm run stack:*. */
export const command: Command = {
  name: 'stack',
  summary: 'start, stop or inspect the local Kafka + ClickHouse (up | down | status [--json])',
  usage: stackUsage,
  options: { json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) {
      process.stderr.write(`${stackUsage}\n`);
      return 2;
    }
    return runStackCommand(positionals[0], values.json === true);
  },
};
