/** What an operator fills in for the production templates' REPLACE-ME placeholders (valid values of the right shape). */
import { PLACEHOLDER } from '../../deploy/production/units.ts';

export const filledIn: Record<string, string> = {
  VIGIL_API_KEYS: JSON.stringify([{ name: 'dashboard', key: `sha256:${'a'.repeat(64)}`, roles: ['read'] }]),
  VIGIL_GATEWAY_TOKENS: `sha256:${'b'.repeat(64)}`,
};

/** `env` with every placeholder replaced by its filled-in value. */
export function fillPlaceholders(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === PLACEHOLDER ? filledIn[k] : v]));
}
