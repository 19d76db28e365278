/** An error that says what went wrong, why (cause) and what the reader can do about it (action). */
export class VigilError extends Error {
  readonly action?: string;
  readonly code?: string;
  constructor(message: string, opts: { cause?: unknown; action?: string; code?: string } = {}) {
    super(opts.action ? `${message} — ${opts.action}` : message, { cause: opts.cause });
    this.name = 'VigilError';
    this.action = opts.action;
    this.code = opts.code;
  }
}
