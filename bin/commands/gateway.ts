import type { Command } from '../command.ts';

// Placeholder until the gateway command lands; it refuses to run rather than pretend.
export const command: Command = {
  name: 'gateway',
  summary: '(gateway: not built yet)',
  usage: 'usage: vigil gateway — not built yet',
  options: {},
  async run() {
    process.stderr.write('vigil gateway: not built yet\n');
    return 1;
  },
};
