/**
 * Secrets and key material named by the config: a password given inline or as a file, PEM
 * files checked when the config is read (a wrong path must stop the process at start-up, not
 * at the first reconnect). Used inside the zod schemas, so a refusal names the config field.
 *
 * Nothing here returns or reports a secret's value: messages name the field and the file only.
 *
 * Shared secrets (API keys, gateway tokens), further down, as the config holds them and as
 * callers present them. A configured secret is either its SHA-256 digest, `sha256:<64 hex>` —
 * what production configs should hold, so a leaked config file does not leak a usable key — or
 * the plain text (development; hashed on load and never kept). Presented secrets are hashed and
 * compared with every configured digest in constant time with no early exit, so neither how
 * much of a guess matches nor which entry it matches shows in the answer time. A presented value
 * is always hashed: the digest string itself is not a key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Reads a file named by `field`; the error names the field and file, never its content. */
function readNamed(file: string): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (err) {
    return { ok: false, reason: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/**
 * The password in `file`: its first line (editors and `echo` add a trailing newline, which is
 * never part of a password). Empty files are refused: a forgotten secret must not mean "no password".
 */
export function passwordFromFile(file: string, ctx: z.RefinementCtx, path: string[]): string {
  const read = readNamed(file);
  if (!read.ok) {
    ctx.addIssue({ code: 'custom', path, message: `cannot read the password file ${file} (${read.reason}); check the path and that this user may read it` });
    return '';
  }
  const password = read.text.replace(/\r?\n$/, '');
  if (password === '' || /[\r\n]/.test(password)) {
    ctx.addIssue({ code: 'custom', path, message: `the password file ${file} must hold one non-empty line` });
  }
  return password;
}

/** A path to a PEM file holding `what` (CERTIFICATE, PRIVATE KEY); checked readable and PEM now. */
export function pemFile(what: 'CERTIFICATE' | 'PRIVATE KEY') {
  return z
    .string()
    .min(1)
    .superRefine((file, ctx) => {
      const read = readNamed(file);
      if (!read.ok) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${file} (${read.reason}); check the path and that this user may read it` });
      } else if (!new RegExp(`-----BEGIN [A-Z ]*${what}-----`).test(read.text)) {
        ctx.addIssue({ code: 'custom', message: `${file} holds no PEM ${what.toLowerCase()} (-----BEGIN ...${what}-----)` });
      }
    });
}

/** The content of a PEM file the config named (already checked when the config was read). */
export function readPem(file: string): Buffer {
  return readFileSync(file);
}

/**
 * Resolves `password` / `passwordFile` (at most one may be set) to the password, `fallback`
 * when neither is: used by the transforms of the Kafka and ClickHouse sections.
 */
export function resolvePassword(
  value: { password?: string; passwordFile?: string },
  ctx: z.RefinementCtx,
  names: { password: string; passwordFile: string },
  fallback: string,
): string {
  if (value.password !== undefined && value.passwordFile !== undefined) {
    ctx.addIssue({ code: 'custom', path: [names.passwordFile], message: `set ${names.password} or ${names.passwordFile}, not both` });
    return '';
  }
  if (value.passwordFile !== undefined) return passwordFromFile(value.passwordFile, ctx, [names.passwordFile]);
  return value.password ?? fallback;
}

// Shared secrets: API keys and gateway tokens

export const DIGEST_PREFIX = 'sha256:';
const DIGEST_FORM = /^sha256:[0-9a-fA-F]{64}$/;

/** SHA-256 of the UTF-8 text: the digest a config entry `sha256:<hex>` names. */
export function secretDigest(plain: string): Buffer {
  return createHash('sha256').update(plain, 'utf8').digest();
}

/** The config form of a plain secret: `sha256:<64 lowercase hex>`. */
export function digestForm(plain: string): string {
  return `${DIGEST_PREFIX}${secretDigest(plain).toString('hex')}`;
}

export const isDigestForm = (configured: string): boolean => DIGEST_FORM.test(configured);

/** The 32-byte digest a configured secret stands for (its own digest when given in plain). */
export function configuredDigest(configured: string): Buffer {
  return isDigestForm(configured) ? Buffer.from(configured.slice(DIGEST_PREFIX.length), 'hex') : secretDigest(configured);
}

/**
 * Zod type of a configured secret: `sha256:<64 hex>`, or plain text of at least `minPlain`
 * characters. A value that starts with `sha256:` but is no digest is refused rather than taken
 * as a (guessable, mistyped) plain key.
 */
export function secretSchema(what: string, minPlain: number) {
  return z.string().superRefine((value, ctx) => {
    if (value.startsWith(DIGEST_PREFIX)) {
      if (!isDigestForm(value)) ctx.addIssue({ code: 'custom', message: `${what} in digest form must be sha256: and 64 hex digits (printf '%s' "$SECRET" | sha256sum)` });
    } else if (value.length < minPlain) {
      ctx.addIssue({ code: 'custom', message: `${what} must be at least ${minPlain} characters (or sha256:<64 hex> of one)` });
    }
  });
}

/** Index of the first entry whose digest repeats an earlier one, or -1. */
export function repeatedSecret(configured: readonly string[]): number {
  const seen = new Set<string>();
  for (const [i, c] of configured.entries()) {
    const hex = configuredDigest(c).toString('hex');
    if (seen.has(hex)) return i;
    seen.add(hex);
  }
  return -1;
}

export interface SecretMatcher<T> {
  /** True when at least one secret is configured (auth on). */
  readonly enabled: boolean;
  /** The value of the entry the presented secret matches, or undefined. */
  match(presented: string): T | undefined;
}

/** Constant-time matcher over configured secrets, each carrying a value (a principal, or true). */
export function secretMatcher<T>(entries: ReadonlyArray<{ secret: string; value: T }>): SecretMatcher<T> {
  const digests = entries.map((e) => ({ digest: configuredDigest(e.secret), value: e.value }));
  return {
    enabled: digests.length > 0,
    match(presented) {
      const d = secretDigest(presented);
      let found: T | undefined;
      // Every entry is compared, matched or not: the loop's time depends only on the entry count.
      for (const e of digests) if (timingSafeEqual(d, e.digest) && found === undefined) found = e.value;
      return found;
    },
  };
}

/**
 * Every secret value a config holds in plain text, for the log scrubber (core/logger.ts
 * redactValues): plain keys and tokens, ClickHouse passwords, receiver secrets, bearer tokens
 * and URLs with a path or credentials (a Slack webhook's path is its token), the Alertmanager URL
 * when it carries credentials. Digest-form entries are not secrets and are left out.
 */
export function configSecrets(config: {
  api: { apiKeys: ReadonlyArray<{ key: string }> };
  gateway: { tokens: readonly string[] };
  clickhouse: { password: string; readerPassword: string; username: string; readerUsername: string };
  notify: { receivers: ReadonlyArray<{ url: string; secret?: string; bearerToken?: string }> };
  alertmanager: { url: string | null };
}): string[] {
  const out: string[] = [];
  for (const k of config.api.apiKeys) if (!isDigestForm(k.key)) out.push(k.key);
  for (const t of config.gateway.tokens) if (!isDigestForm(t)) out.push(t);
  // A password equal to a user name (the local stack's vigil_reader) would blank the name too.
  const names = new Set([config.clickhouse.username, config.clickhouse.readerUsername]);
  for (const p of [config.clickhouse.password, config.clickhouse.readerPassword]) if (p && !names.has(p)) out.push(p);
  for (const r of config.notify.receivers) out.push(...receiverSecrets(r));
  if (config.alertmanager.url && hasCredentials(config.alertmanager.url)) out.push(config.alertmanager.url);
  return out;
}

/** The secret parts of one notification receiver (config file or API). */
export function receiverSecrets(r: { url: string; secret?: string; bearerToken?: string }): string[] {
  const out: string[] = [];
  if (r.secret) out.push(r.secret);
  if (r.bearerToken) out.push(r.bearerToken);
  if (hasPathOrCredentials(r.url)) out.push(r.url);
  return out;
}

function parsed(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
const hasCredentials = (url: string) => Boolean(parsed(url)?.username || parsed(url)?.password);
function hasPathOrCredentials(url: string): boolean {
  const u = parsed(url);
  return u !== null && (hasCredentials(url) || u.search !== '' || (u.pathname !== '/' && u.pathname !== ''));
}
