/**
 * npm run prometheus [-- --port <n>] [--scrape-interval <s>] [--alertmanager <host:port>] [--data-dir <dir>] [--api-key-file <file>]
 *
 * Debian's prometheus in the foreground, scraping this host's Vigil processes at the ports in
 * vigil.config (pipeline.httpPort, gateway.port, api.port, oncall.httpPort) with Vigil's alerting
 * rules, data in .stack/prometheus/ unless --data-dir says where (kept across runs). Listens on
 * 127.0.0.1, on a free port unless --port says which; Ctrl-C stops it. With api.apiKeys set, the
 * API's /metrics needs a key with the `metrics` role: --api-key-file names a file holding it
 * (the config may hold only its digest), sent as a bearer token on the vigil-api scrapes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createServiceLogger } from '../../core/logger.ts';
import { checkTarget, localTargets, prometheusDir } from './config.ts';
import { startPrometheus } from './server.ts';

function intOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new VigilError(`--${name} takes a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, 'scrape-interval': { type: 'string' }, alertmanager: { type: 'string', multiple: true }, 'data-dir': { type: 'string' }, 'api-key-file': { type: 'string' } },
    strict: true,
  });
  const config = getConfig();
  const logger = createServiceLogger(config, { app: 'vigil-prometheus' });
  const interval = intOption('scrape-interval', values['scrape-interval'], 5, 1, 3600);
  const keyFile = values['api-key-file'] === undefined ? undefined : path.resolve(values['api-key-file']);
  if (keyFile !== undefined && !existsSync(keyFile)) throw new VigilError(`--api-key-file ${keyFile} does not exist`, { action: 'give the file holding the scrape key (role metrics)' });
  if (keyFile === undefined && config.api.apiKeys.length > 0) logger.warn('api.apiKeys is set but no --api-key-file given: scrapes of the API will get 401');
  const prometheus = await startPrometheus({
    logger,
    port: intOption('port', values.port, 0, 0, 65535),
    dir: path.resolve(values['data-dir'] ?? path.join(prometheusDir, '..', '..', '.stack', 'prometheus')),
    targets: localTargets(config),
    scrapeIntervalSec: interval,
    evaluationIntervalSec: interval,
    alertmanagers: (values.alertmanager ?? []).map(checkTarget),
    credentialsFiles: keyFile ? { 'vigil-api': keyFile } : {},
  });
  process.stdout.write(`Prometheus ${prometheus.url} (targets, rules and alerts under /targets, /rules, /alerts); data in ${prometheus.dir}; Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await prometheus.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`vigil prometheus: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
