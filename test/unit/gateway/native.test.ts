import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { classifyUwsModule, expectedBinaryPath, fallbackForcedByEnv, loadNativeUws } from '../../../gateway/native.ts';

const require = createRequire(import.meta.url);
// The package's own JS fallback, exactly what src/uws.js returns when the binary fails.
const fallbackModule: unknown = require('uWebSockets.js/dist/index.js');
const nativeModule: unknown = require('uWebSockets.js');

/** A require() that resolves like the real one but returns `mod` for the package itself. */
function requireReturning(mod: unknown): NodeJS.Require {
  const fake = ((id: string) => (id === 'uWebSockets.js' ? mod : require(id))) as NodeJS.Require;
  fake.resolve = require.resolve;
  return fake;
}

describe('classifyUwsModule', () => {
  it('accepts the native addon this machine loads', () => {
    expect(classifyUwsModule(nativeModule)).toEqual({ native: true });
  });

  it('rejects the package JS fallback (dist/index.js)', () => {
    const verdict = classifyUwsModule(fallbackModule);
    expect(verdict.native).toBe(false);
    if (!verdict.native) expect(verdict.reason).toMatch(/JavaScript function|fallback/);
  });

  it('rejects look-alikes: JS App with native helpers, native App with fallback markers, missing exports', () => {
    const real = nativeModule as Record<string, unknown>;
    expect(classifyUwsModule({ ...real, App: () => ({}) }).native).toBe(false);
    expect(classifyUwsModule({ ...real, __esModule: true }).native).toBe(false);
    expect(classifyUwsModule({ ...real, default: {} }).native).toBe(false);
    const { getParts: _omit, ...withoutGetParts } = real;
    expect(classifyUwsModule(withoutGetParts).native).toBe(false);
    expect(classifyUwsModule({ App: Math.max }).native).toBe(false);
    for (const junk of [null, undefined, 42, 'uws', {}, { App: 1 }]) expect(classifyUwsModule(junk).native).toBe(false);
  });
});

describe('fallbackForcedByEnv', () => {
  it('matches exactly the values src/uws.js honours', () => {
    for (const v of ['true', 'True', 'TRUE', '1']) expect(fallbackForcedByEnv({ UWS_USE_FALLBACK: v })).toBe(true);
    for (const v of ['false', '0', '', 'yes', 'tRUE']) expect(fallbackForcedByEnv({ UWS_USE_FALLBACK: v })).toBe(false);
    expect(fallbackForcedByEnv({})).toBe(false);
  });
});

describe('loadNativeUws', () => {
  it('returns the native module', () => {
    const mod = loadNativeUws({ env: {} });
    expect(typeof mod.App).toBe('function');
    expect(classifyUwsModule(mod).native).toBe(true);
  });

  it('refuses UWS_USE_FALLBACK before loading anything', () => {
    let loaded = false;
    const spy = ((id: string) => {
      loaded = true;
      return require(id);
    }) as NodeJS.Require;
    spy.resolve = require.resolve;
    expect(() => loadNativeUws({ env: { UWS_USE_FALLBACK: 'true' }, requireFn: spy })).toThrow(/UWS_USE_FALLBACK=true.*unset UWS_USE_FALLBACK/);
    expect(loaded).toBe(false);
  });

  it('refuses an injected fallback with a VigilError carrying cause and action', () => {
    let error: unknown;
    try {
      loadNativeUws({ env: {}, requireFn: requireReturning(fallbackModule) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(VigilError);
    const e = error as VigilError;
    expect(e.code).toBe('UWS_FALLBACK');
    expect(e.message).toMatch(/fell back to its slow JavaScript implementation/);
    expect(e.action).toMatch(/native build/);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('names the binary it would load for this process', () => {
    const entry = require.resolve('uWebSockets.js');
    const p = expectedBinaryPath(entry, { platform: 'linux', arch: 'x64', versions: { ...process.versions, modules: '115' } });
    expect(p).toMatch(/binaries\/uws_linux_x64_115\.node$/);
    const missing = expectedBinaryPath(entry, { platform: 'sunos', arch: 'x64', versions: { ...process.versions, modules: '999' } });
    expect(missing).toMatch(/uws_sunos_x64_999\.node$/);
  });
});
