/**
 * The setup every dashboard browser test shares: an isolated test env with an API key, a
 * ClickHouse client to seed it, the API on a free port, Debian's Chromium, pages that start with
 * the key in localStorage and report script errors, and one teardown for all of it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { startApi, type RunningApi } from '../../api/index.ts';
import type { TopicNames, VigilConfig } from '../../core/config.ts';
import { startGateway } from '../../gateway/index.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { launchChromium } from './chromium.ts';
import { createTestEnv, type TestEnv } from './env.ts';
import { waitFor } from './wait.ts';

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');

export interface DashboardHarnessOptions {
  /** The API key's roles (default read + operate) and name (default `browser-operator`). */
  roles?: string[];
  keyName?: string;
  /** Deep-merged over the test config (the API key and port 0 are added to `api`). */
  overrides?: Record<string, unknown>;
  /** Fill ClickHouse before the API starts. */
  seed?: (ch: ClickHouseClient, env: TestEnv) => Promise<void>;
  /**
   * Runs after seeding, before the API: start what the API should see (a gateway, …) and return
   * the config the API gets (default env.config). Register its teardown with `onClose`.
   */
  beforeApi?: (env: TestEnv, onClose: (fn: () => Promise<unknown>) => void) => Promise<VigilConfig | void>;
  /** localStorage entries every page starts with besides the API key (e.g. auto-refresh off). */
  storage?: Record<string, string>;
  /** Partitions of the keyed topics (default 1). */
  partitions?: number;
  /** false: pages start without the key (a test of the key prompt stores it itself). */
  presetKey?: boolean;
}

export interface PageOptions extends BrowserContextOptions {
  /** Default timeout of the page's waits (ms, default 20 s: the machine is shared and loaded). */
  timeout?: number;
  /** Extra localStorage entries for this page. */
  storage?: Record<string, string>;
}

export interface DashboardHarness {
  env: TestEnv;
  ch: ClickHouseClient;
  api: RunningApi;
  browser: Browser;
  apiKey: string;
  /** Uncaught script errors of every page the harness opened; a test ends by expecting []. */
  pageErrors: string[];
  /** A page in a context of its own (own localStorage), the key stored before any script runs (unless presetKey is false). */
  newPage(options?: PageOptions): Promise<Page>;
  /** The page's context too, to close both or open a second page sharing its storage. */
  newContextPage(options?: PageOptions): Promise<{ context: BrowserContext; page: Page }>;
  /** GET /api/v1/<route> with the key: status and JSON body (null when not JSON). */
  apiGet(route: string): Promise<{ status: number; body: unknown }>;
  /** Any method, a JSON body when given. */
  apiRequest(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startDashboardHarness(name: string, options: DashboardHarnessOptions = {}): Promise<DashboardHarness> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const apiKey = `${name.replace(/[^a-z0-9]/gi, '-')}-key-0123456789`;
  const overrides = options.overrides ?? {};
  const env = await createTestEnv(`browser_${name}`, {
    partitions: options.partitions ?? 1,
    overrides: {
      ...overrides,
      api: { ...((overrides.api as Record<string, unknown>) ?? {}), port: 0, apiKeys: [{ key: apiKey, roles: options.roles ?? ['read', 'operate'], name: options.keyName ?? 'browser-operator' }] },
    },
  });
  const closers: Array<() => Promise<unknown>> = [];
  const ch = createClickHouse(env.config, { logger: env.logger });
  let api: RunningApi | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
    await ch.close().catch(() => undefined);
    await env.cleanup();
  };
  try {
    await options.seed?.(ch, env);
    const apiConfig = (await options.beforeApi?.(env, (fn) => closers.push(fn))) ?? env.config;
    api = await startApi(apiConfig, env.logger);
    browser = await launchChromium();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  const running = { api, browser };

  async function newContextPage({ timeout = 20_000, storage, ...contextOptions }: PageOptions = {}) {
    const context = await running.browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const entries = { ...(options.presetKey === false ? {} : { 'vigil.apiKey': apiKey }), ...options.storage, ...storage };
    await page.addInitScript((items) => {
      for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
    }, entries);
    return { context, page };
  }

  async function apiRequest(method: string, route: string, body?: unknown) {
    const res = await fetch(`${running.api.url}/api/v1/${route}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
  }

  return {
    env,
    ch,
    api: running.api,
    browser: running.browser,
    apiKey,
    pageErrors,
    newContextPage,
    async newPage(pageOptions) {
      return (await newContextPage(pageOptions)).page;
    },
    apiGet: (route) => apiRequest('GET', route),
    apiRequest,
    close,
  };
}

/**
 * A `beforeApi` for tests that publish events as the pipeline would: a connected producer and a
 * gateway on a free port (set `gateway: { port: 0 }` in overrides), ready once it is assigned
 * `topic`; the API is told the gateway's port. `producer()` is usable after the harness started.
 */
export function gatewayWithProducer(topic: keyof TopicNames): { beforeApi: NonNullable<DashboardHarnessOptions['beforeApi']>; producer(): Producer } {
  let producer: Producer | undefined;
  return {
    producer() {
      if (!producer) throw new Error('gatewayWithProducer: the harness has not started yet');
      return producer;
    },
    async beforeApi(env, onClose) {
      const p = createKafka(env.config, env.logger).producer();
      await p.connect();
      producer = p;
      onClose(() => p.disconnect());
      const gateway = await startGateway(env.config, env.logger);
      onClose(() => gateway.close());
      const name = env.topics[topic];
      await waitFor(() => (gateway.source.status().assigned[name]?.length ?? 0) > 0, 30_000, { message: `gateway assigned ${name}` });
      return { ...env.config, gateway: { ...env.config.gateway, port: gateway.port } };
    },
  };
}
