/**
 * A `vigil pipeline` child process for tests that must kill one (SIGKILL is a crash no
 * in-process handle can fake): configured from a test config through VIGIL_* variables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VigilConfig } from '../../core/config.ts';

const vigilBin = fileURLToPath(new URL('../../bin/vigil', import.meta.url));

export function pipelineChildEnv(config: VigilConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    VIGIL_CONFIG: '',
    VIGIL_LOG_LEVEL: process.env.VIGIL_TEST_CHILD_LOG ? 'info' : 'warn',
    VIGIL_KAFKA_BROKERS: config.kafka.brokers.join(','),
    VIGIL_TOPIC_PREFIX: config.kafka.topicPrefix,
    VIGIL_KAFKA_GROUP_ID: config.kafka.groupId,
    VIGIL_KAFKA_PARTITIONS: String(config.kafka.partitions),
    VIGIL_CLICKHOUSE_URL: config.clickhouse.url,
    VIGIL_CLICKHOUSE_DATABASE: config.clickhouse.database,
    ...(config.clickhouse.cluster === null ? {} : { VIGIL_CLICKHOUSE_CLUSTER: config.clickhouse.cluster }),
    VIGIL_WINDOW_SIZE: String(config.pipeline.windowSize),
    VIGIL_WORKER_THREADS: String(config.pipeline.workerThreads),
    VIGIL_SNAPSHOT_INTERVAL_MS: String(config.pipeline.snapshotIntervalMs),
    VIGIL_PIPELINE_HTTP_PORT: '0', // the metrics server must not need the default port (a demo may hold it)
    ...extra,
  };
}

export interface PipelineProcess {
  child: ChildProcess;
  /** The signal or exit code it ended with. */
  exited: Promise<NodeJS.Signals | number | null>;
}

export function spawnPipeline(config: VigilConfig, extra: Record<string, string> = {}): PipelineProcess {
  const child = spawn(vigilBin, ['pipeline', '--stats-every', '0'], { env: pipelineChildEnv(config, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  if (process.env.VIGIL_TEST_CHILD_LOG) child.stdout?.on('data', (d) => appendFileSync(process.env.VIGIL_TEST_CHILD_LOG!, d));
  else child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  void exited.then((how) => {
    if (how !== 'SIGKILL' && how !== 'SIGTERM' && how !== 0) console.error(`pipeline child exited with ${how}: ${stderr}`);
  });
  return { child, exited };
}
