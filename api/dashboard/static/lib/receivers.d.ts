import type { ReceiverOut } from '../../../../schemas/http/receivers.ts';
export type ReceiverType = ReceiverOut['type'];
export const RECEIVER_TYPES: ReceiverType[];
export const RECEIVER_NAME: RegExp;
export const TYPE_FIELDS: Record<ReceiverType, string[]>;
export const SOURCE_LABELS: Record<ReceiverOut['source'], string>;
export interface ReceiverFormFields {
  name?: string;
  type?: string;
  url?: string;
  secret?: string;
  bearerToken?: string;
  channel?: string;
  username?: string;
  timeoutMs?: string;
  sendResolved?: boolean;
}
export function receiverBody(
  fields: ReceiverFormFields,
  current?: Pick<ReceiverOut, 'name' | 'type'> | null,
): { name: string; body: Record<string, unknown> & { type: ReceiverType; sendResolved: boolean }; error?: undefined } | { error: string; name?: undefined; body?: undefined };
export function formFromReceiver(r: ReceiverOut): Required<ReceiverFormFields>;
export function receiverActions(r: Partial<ReceiverOut> | null | undefined): Array<'edit' | 'delete'>;
export function describeReceiver(r: Partial<ReceiverOut>): string;
export function sortReceivers<T extends { name: string }>(items: T[] | null | undefined): T[];
