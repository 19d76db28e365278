/**
 * Secrets and key material named by the config: a password given inline or as a file, PEM
 * files checked when the config is read (a wrong path must stop the process at start-up, not
 * at the first reconnect). Used inside the zod schemas, so a refusal names the config field.
 *
 * Nothing here returns or reports a secret's value: messages name the field and the file only.
 */
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
