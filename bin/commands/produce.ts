import type { Command } from '../command.ts';

// Placeholder until the produce command lands; it refuses to run rather than pretend.
export const command: Command = {
  name: 'produce',
  summary: '(produce: not built yet)',
  usage: 'usage: vigil produce — not built yet',
  options: {},
  async run() {
    process.stderr.write('vigil produce: not built yet\n');
    return 1;
  },
};
