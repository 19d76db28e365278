/**
 * Loads uWebSockets.js and refuses its JavaScript fallback.
 *
 * The package (@trufflesuite/uws-js-unofficial 20.30, aliased as uWebSockets.js) picks its
 * implementation in src/uws.js: with UWS_USE_FALLBACK=true|True|TRUE|1 it returns the JS
 * fallback (dist/index.js, built on `ws`); otherwise it requires
 * binaries/uws_<platform>_<arch>_<ABI>.node and, if that throws, prints a warning and returns
 * the same fallback. Both paths look like a working module, so we classify what we got:
 * the native addon's functions are `[native code]` and it exports native-only helpers, the
 * fallback is compiled TypeScript (`__esModule`, `default`, JS `App`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Uws from 'uWebSockets.js';
import { VigilError } from '../core/errors.ts';

export type UwsModule = typeof Uws;

export type UwsVerdict = { native: true } | { native: false; reason: string };

const FALLBACK_ENV_VALUES = new Set(['true', 'True', 'TRUE', '1']);

function isNativeFunction(fn: unknown): boolean {
  return typeof fn === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}

/** Pure: decide from the loaded module object whether it is the native addon. */
export function classifyUwsModule(mod: unknown): UwsVerdict {
  if (typeof mod !== 'object' || mod === null) return { native: false, reason: 'module is not an object' };
  const m = mod as Record<string, unknown>;
  if (typeof m.App !== 'function') return { native: false, reason: 'module has no App() factory' };
  if (!isNativeFunction(m.App)) return { native: false, reason: 'App() is a JavaScript function (the ws-based fallback), not the native addon' };
  if ('__esModule' in m || 'default' in m) return { native: false, reason: 'module has the compiled-TypeScript shape of the fallback (__esModule/default exports)' };
  for (const name of ['us_listen_socket_close', 'us_socket_local_port', 'getParts'] as const) {
    if (!isNativeFunction(m[name])) return { native: false, reason: `native export ${name}() is missing or not native` };
  }
  return { native: true };
}

export function fallbackForcedByEnv(env: NodeJS.ProcessEnv): boolean {
  const v = env.UWS_USE_FALLBACK;
  return v !== undefined && FALLBACK_ENV_VALUES.has(v);
}

/** The binary the package would try for this process (see src/uws.js). */
export function expectedBinaryPath(packageEntry: string, proc: Pick<NodeJS.Process, 'platform' | 'arch' | 'versions'> = process): string {
  return path.join(path.dirname(packageEntry), '..', 'binaries', `uws_${proc.platform}_${proc.arch}_${proc.versions.modules}.node`);
}

export interface LoadNativeOptions {
  env?: NodeJS.ProcessEnv;
  /** Injected in tests; defaults to a require bound to this file. */
  requireFn?: NodeJS.Require;
}

/** Load the native uWebSockets.js or throw a VigilError naming the cause and the fix. */
export function loadNativeUws(options: LoadNativeOptions = {}): UwsModule {
  const env = options.env ?? process.env;
  const requireFn = options.requireFn ?? createRequire(import.meta.url);
  if (fallbackForcedByEnv(env)) {
    throw new VigilError(`uWebSockets.js is forced onto its slow JavaScript fallback by UWS_USE_FALLBACK=${env.UWS_USE_FALLBACK}`, {
      code: 'UWS_FALLBACK',
      action: 'unset UWS_USE_FALLBACK; the gateway only runs on the native uWebSockets.js binary',
    });
  }
  const mod: unknown = requireFn('uWebSockets.js');
  const verdict = classifyUwsModule(mod);
  if (verdict.native) return mod as UwsModule;

  // Re-try the binary ourselves to surface the real load error the package only printed.
  let binary = '(unresolved)';
  let cause: unknown = new Error(verdict.reason);
  try {
    binary = expectedBinaryPath(requireFn.resolve('uWebSockets.js'));
    if (!existsSync(binary)) cause = new Error(`no prebuilt binary ${path.basename(binary)} in the package (${verdict.reason})`);
    else requireFn(binary);
  } catch (err) {
    cause = err;
  }
  throw new VigilError(`uWebSockets.js fell back to its slow JavaScript implementation: ${cause instanceof Error ? cause.message : String(cause)}`, {
    cause,
    code: 'UWS_FALLBACK',
    action: `run the gateway on a Node.js/platform with a native build (this package ships ABI 93/108/115 for linux/darwin x64/arm64, win32 x64; this process is ${process.platform}-${process.arch} ABI ${process.versions.modules}, expected ${binary})`,
  });
}
