/**
 * A process running only the notifier stage of the on-call runtime, for kill -9 tests: the same
 * startOncall() as `./bin/vigil oncall`, without the incident processor (whose 30 s consumer
 * sessions make every restart after a SIGKILL wait for the dead member). Config from VIGIL_CONFIG.
 * Run: node --import tsx test/support/notifier-main.ts
 */
import { getConfig } from '../../core/config.ts';
import { createServiceLogger } from '../../core/logger.ts';
import { notifierStage } from '../../oncall/notify/stage.ts';
import { startOncall } from '../../oncall/runtime.ts';
import { startMetricsServer } from '../../pipeline/runtime/metrics-server.ts';

const config = getConfig();
const logger = createServiceLogger(config, { app: 'vigil-notifier-test' });
const http = await startMetricsServer({ host: config.oncall.httpHost, port: config.oncall.httpPort, logger, portSetting: 'oncall.httpPort' });
const oncall = await startOncall(config, logger, { stages: [notifierStage], skipSetup: true });
http.attach(oncall);
logger.info({ stages: oncall.stages }, 'on-call process running');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void oncall.close().then(() => http.close()).then(() => process.exit(0));
  });
}
