import type { Command } from '../command.ts';

// Placeholder until the api command lands; it refuses to run rather than pretend.
export const command: Command = {
  name: 'api',
  summary: '(api: not built yet)',
  usage: 'usage: vigil api — not built yet',
  options: {},
  async run() {
    process.stderr.write('vigil api: not built yet\n');
    return 1;
  },
};
