/**
 * One entry point for the benches: `npm run bench -- <name> [--quick] [-- <bench args>]`,
 * `npm run bench -- all --quick`, `npm run bench -- --list`.
 *
 * Each bench runs as its own child process (`node --import tsx bench/<script>.ts`), printing its
 * own table; the runner notes the commit and the load average before and after it, reads the
 * bench's headlines (figure, ceiling/peer of the same run) and writes one JSON per bench under
 * bench/results/ (git-ignored), then prints the summary. Exit status 1 when a bench failed.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHES, USAGE, benchArgs, parseRunnerArgs, resultFileName, runRecord, summaryTable, type RunRecord } from './runner.ts';
import { RESULT_ENV, markdownTable, type BenchResult } from './support/result.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', 'results');

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function runChild(script: string, args: string[], resultFile: string, timeoutSeconds: number): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, [RESULT_ENV]: resultFile },
    });
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${script} ran over ${timeoutSeconds} s, killing it\n`);
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseRunnerArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (args.list) {
    for (const [name, spec] of Object.entries(BENCHES)) process.stdout.write(`${name.padEnd(11)} ${spec.script.padEnd(30)} ${spec.what}${spec.stack ? ' (needs npm run stack:up)' : ''}\n`);
    process.stdout.write(`\n${USAGE}\n`);
    return 0;
  }
  mkdirSync(resultsDir, { recursive: true });
  const commit = git(['rev-parse', '--short=12', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const records: RunRecord[] = [];
  for (const name of args.names) {
    const spec = BENCHES[name];
    const benchArgv = benchArgs(spec, args.quick, args.extra);
    const startedAt = new Date().toISOString();
    const loadBefore = os.loadavg();
    process.stdout.write(`\n## bench ${name}: npx tsx ${spec.script} ${benchArgv.join(' ')}   (load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')})\n\n`);
    const resultFile = path.join(os.tmpdir(), `vigil-bench-${process.pid}-${name}.json`);
    rmSync(resultFile, { force: true });
    const t0 = performance.now();
    const exit = await runChild(spec.script, benchArgv, resultFile, spec.timeoutSeconds);
    const seconds = (performance.now() - t0) / 1000;
    let result: BenchResult | null = null;
    if (existsSync(resultFile)) {
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult;
      } catch (err) {
        process.stderr.write(`bench: ${name} wrote an unreadable result (${(err as Error).message})\n`);
      }
      rmSync(resultFile, { force: true });
    } else if (exit.code === 0) {
      process.stderr.write(`bench: ${name} exited 0 but reported no result (does it call emitResult?)\n`);
    }
    const record = runRecord({ name, spec, args: benchArgv, quick: args.quick, commit, dirty, startedAt, seconds, node: process.version, cpus: os.cpus().length, loadBefore, loadAfter: os.loadavg(), exitCode: exit.code, signal: exit.signal, result });
    const file = path.join(resultsDir, resultFileName(name, startedAt, commit));
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`\nbench ${name}: ${record.ok ? 'ok' : 'FAILED'} in ${record.seconds} s, load average after ${record.loadAverage.after.join(' ')}; ${path.relative(root, file)}\n`);
    records.push(record);
  }
  process.stdout.write(`\n## summary: commit ${commit}${dirty ? ' (uncommitted changes)' : ''}, node ${process.version}, ${os.cpus().length} cpus${args.quick ? ', --quick' : ''}\n\n${markdownTable(summaryTable(records))}\n`);
  return records.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
