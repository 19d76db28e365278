/**
 * Fault 8 (issue #12): ClickHouse's disk full under the steady load. The PRIVATE clickhouse-server
 * (test/support/private-clickhouse.ts) keeps its data folder on a small tmpfs of its own, which the
 * test fills to the last byte with a file once a third of the load is sent, and frees 30 s later.
 * Meanwhile the pipeline pauses and says why (/health 503, lastError naming ClickHouse's error),
 * and nothing is committed that is not stored (committed offsets sampled against the stored ones
 * every second); afterwards every point is stored once and every anomaly and alert transition
 * of the reference run is seen once.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TestEnv } from '../support/index.ts';
import { clickhouseServerBinary, startPrivateClickHouse, type PrivateClickHouse } from '../support/private-clickhouse.ts';
import { faultLoad } from './support/load.ts';
import { conclude, referenceRun, type Reference } from './support/run.ts';
import { STALL_AFTER_MS, describeSamples, privateServerEnv, runClickHouseFault } from './support/clickhouse-fault.ts';

const FULL_MS = 30_000;
/**
 * Room for what the server writes during the load: not only the stored data (a few MB) but every
 * small part of every insert (a file per column, each at least a 4 KiB tmpfs page) and the parts
 * merged away, which 18.16 keeps for old_parts_lifetime (8 min). 192 MiB was full from that alone
 * before the test filled anything. Filled by the test anyway.
 */
const TMPFS_SIZE = '1g';

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Whether this machine lets the test mount a tmpfs (root, and a container that allows mount(2)); the reason when not. */
function mountRefused(): string | null {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'vigil-tmpfs-probe-'));
  try {
    const m = run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    if (!m.ok) return `mount -t tmpfs refused (${m.out || 'no output'}): the test needs root and a mount-capable container`;
    run('umount', [probe]);
    return null;
  } finally {
    rmdirSync(probe);
  }
}

if (!clickhouseServerBinary()) throw new Error('clickhouse-server is not installed (/usr/sbin or /usr/bin): run bash deploy/install-deps.sh');
const refused = mountRefused();
if (refused) console.warn(`[faults] clickhouse-disk skipped: ${refused}`);

/** Writes zeros into `file` until the filesystem has no byte left; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // The last partial chunk: byte by byte is too slow, halve until nothing fits.
        for (let size = chunk.length >> 1; size > 0; size >>= 1) {
          try {
            for (;;) written += writeSync(fd, chunk, 0, size);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          }
        }
        return written;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const load = faultLoad();
let server: PrivateClickHouse | undefined;
let mounted: string | undefined;
let reference: Reference;
let env: TestEnv;
let ch: ClickHouseClient;

describe.skipIf(refused !== null)('fault 8: ClickHouse disk full under load', () => {
  beforeAll(async () => {
    [server, reference] = await Promise.all([
      startPrivateClickHouse({
        prepareData: (dataDir) => {
          const m = run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0755`, 'tmpfs', dataDir]);
          if (!m.ok) throw new Error(`cannot mount a tmpfs on ${dataDir}: ${m.out}`);
          mounted = dataDir;
        },
      }),
      referenceRun('f-chdisk', load),
    ]);
    ({ env, ch } = await privateServerEnv('f-chdisk', server));
  });

  afterAll(async () => {
    await ch?.close();
    await env?.cleanup().catch(() => undefined);
    // The server first (it holds files on the mount), then the mount, then the folder.
    await server?.stop('SIGKILL');
    if (mounted) {
      const u = run('umount', [mounted]);
      if (!u.ok) run('umount', ['-l', mounted]);
    }
    await server?.close();
  });

  it('pauses and says why, commits nothing unstored, catches up once space is freed; every point once, every anomaly and transition once', async () => {
    const filler = path.join(server!.dataDir, 'vigil-test-filler');
    let filled = 0;
    let usedBefore = 0;
    const r = await runClickHouseFault({
      config: env.config,
      topic: env.topics.metrics,
      load,
      ch,
      instanceId: 'f-chdisk',
      holdMs: FULL_MS,
      fault: {
        readable: true,
        begin: async () => {
          const before = statfsSync(server!.dataDir);
          usedBefore = (before.blocks - before.bfree) * before.bsize;
          filled = fillUp(filler);
          const fs = statfsSync(server!.dataDir);
          console.info(`[faults] clickhouse-disk: ${usedBefore} bytes used by the server, filled ${filled} bytes, ${fs.bavail * fs.bsize} bytes left`);
          if (filled < 100 << 20) throw new Error(`the tmpfs was nearly full before the fill (${usedBefore} bytes used): raise TMPFS_SIZE`);
        },
        end: async () => rmSync(filler),
      },
    });
    const during = describeSamples(r.samples);
    const ahead = r.samples.flatMap((s) => s.aheadOfStore.map((a) => `+${s.at} ms ${a}`));
    expect(ahead, 'nothing committed past what ClickHouse holds').toEqual([]);
    expect(r.samples.length, 'samples while the disk was full').toBeGreaterThan(10);
    // The reason, as ClickHouse gives it.
    // Whichever write hit the full disk first: the points or derived rows ("ClickHouse insert …") or a state snapshot.
    const named = r.samples.find((s) => /ClickHouse insert.* failed .*Code: \d+.*No space left on device/.test(s.lastError ?? ''));
    expect(named, `lastError names ClickHouse's disk error: ${during}`).toBeDefined();
    const down = r.samples.find((s) => s.status === 503 && s.stalledPartitions > 0);
    expect(down, `/health 503 with the stalled partitions: ${during}`).toBeDefined();
    const lags = r.samples.map((s) => s.lag ?? 0);
    // e.g. "Code: 75, … Cannot write to file …/primary.idx, errno: 28, strerror: No space left on device"
    const text = named!.lastError!;
    const code = /Code: \d+/.exec(text)?.[0];
    const what = /Cannot write to file \S*?([^/\s]+), (errno: \d+, strerror: [^,]+)/.exec(text);
    const chError = code && what ? `${code}, Cannot write to file …/${what[1]}, ${what[2]}` : text.slice(0, 160);
    console.info(`[faults] clickhouse-disk: lastError ${named!.lastError}`);
    await conclude({
      id: 'clickhouse-disk',
      order: 8,
      fault: `the (private) ClickHouse server's data folder (a ${TMPFS_SIZE.replace('g', ' GiB')} tmpfs, ${(usedBefore / 2 ** 20).toFixed(0)} MiB used by the server) filled to the last byte, freed 30 s later; server and pipeline left running`,
      duration: `${Math.round(r.heldMs / 1000)} s full`,
      notes:
        `ClickHouse answered "${chError}"; lastError names it at +${Math.round(named!.at / 1000)} s, /health 503 (stalled, stallAfterMs ${STALL_AFTER_MS / 1000} s) at +${Math.round(down!.at / 1000)} s; ` +
        `lag max ${Math.max(...lags).toLocaleString('en-US')}; committed never past stored (${r.samples.length} samples)`,
      load,
      produced: r.sent.produced,
      sentInMs: r.sent.elapsedMs,
      recoveryMs: r.recoveryMs,
      reference,
      ch,
      db: env.config.clickhouse.database,
    });
  });
});
