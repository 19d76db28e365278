import type { Command } from '../command.ts';

// Placeholder until the pipeline command lands; it refuses to run rather than pretend.
export const command: Command = {
  name: 'pipeline',
  summary: '(pipeline: not built yet)',
  usage: 'usage: vigil pipeline — not built yet',
  options: {},
  async run() {
    process.stderr.write('vigil pipeline: not built yet\n');
    return 1;
  },
};
