/**
 * An error with an HTTP status the API answers with. Route code throws these for expected
 * refusals (404 unknown id, 409 invalid transition, 400 unusable filter); the error plugin turns
 * them into `{error, message, statusCode, details?}`.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorDetail } from '../schemas/http/common.ts';

export class HttpError extends Error {
  readonly statusCode: number;
  readonly details?: ErrorDetail[];
  constructor(statusCode: number, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.details = details;
  }
  get error(): string {
    return STATUS_CODES[this.statusCode] ?? 'Error';
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) => new HttpError(400, message, details);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string, details?: ErrorDetail[]) => new HttpError(409, message, details);
