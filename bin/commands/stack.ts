import type { Command } from '../command.ts';
import { parseBrokersOption, runStackCommand, stackUsage } from '../../deploy/stack.ts';

/** `vigil stack up [--brokers 1|3]|down|status [--json]`: the same module as deploy/stack.sh / npm run stack:*. */
export const command: Command = {
  name: 'stack',
  summary: 'start, stop or inspect the local Kafka + ClickHouse (up [--brokers 1|3] | down | status [--json])',
  usage: stackUsage,
  options: { json: { type: 'boolean' }, brokers: { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) {
      process.stderr.write(`${stackUsage}\n`);
      return 2;
    }
    let brokers;
    try {
      brokers = typeof values.brokers === 'string' ? parseBrokersOption(['--brokers', values.brokers]) : null;
    } catch (err) {
      process.stderr.write(`vigil stack: ${(err as Error).message}\n${stackUsage}\n`);
      return 2;
    }
    return runStackCommand(positionals[0], values.json === true, brokers);
  },
};
