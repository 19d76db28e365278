import type { Command } from '../command.ts';

// Placeholder until the stack command lands; it refuses to run rather than pretend.
export const command: Command = {
  name: 'stack',
  summary: '(stack: not built yet)',
  usage: 'usage: vigil stack — not built yet',
  options: {},
  async run() {
    process.stderr.write('vigil stack: not built yet\n');
    return 1;
  },
};
