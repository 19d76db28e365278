/**
 * A gateway in a child process of its own, so a fault test can read the gateway's RSS alone.
 * Config: the parsed VigilConfig as JSON in VIGIL_TEST_GATEWAY_CONFIG. Prints `{"port":N}` once
 * listening; on stdin `rss` it collects garbage (run with --expose-gc) and prints
 * `{"rss":N,"heapUsed":N}`; `stop` closes it cleanly.
 */
import { createInterface } from 'node:readline';
import type { VigilConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import { startGateway } from '../../../gateway/index.ts';

const config = JSON.parse(process.env.VIGIL_TEST_GATEWAY_CONFIG ?? 'null') as VigilConfig | null;
if (!config) throw new Error('VIGIL_TEST_GATEWAY_CONFIG is not set: the fault test passes the gateway config in it');
const gateway = await startGateway(config, createLogger('error'), { ensureTopics: false });
process.stdout.write(`${JSON.stringify({ port: gateway.port })}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    if (line === 'rss') {
      // Several rounds: uWS frees closed sockets' memory on later loop turns.
      for (let i = 0; i < 5; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 200));
      }
      const m = process.memoryUsage();
      process.stdout.write(`${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, gc: gc !== undefined })}\n`);
    } else if (line === 'stop') {
      await gateway.close();
      process.exit(0);
    }
  })();
});
