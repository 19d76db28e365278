/**
 * Rules and SLA definitions: /api/v1/rules[/:id], /api/v1/sla/definitions[/:id].
 *
 * The edge schemas check field names and JSON types (unknown fields are refused); the meaning
 * (monotonic levels, objective range, defaults) is checked by validateRule / validateSla from
 * pipeline/alerts/definitions.ts, the same code the pipeline applies to the config topic, so
 * the API can never store a definition the pipeline would reject.
 */
import { DEFINITION_LIMITS } from '../../pipeline/alerts/definitions.ts';
import { SEVERITIES } from '../records.ts';
import { commonErrors, errorRef, nameString } from './common.ts';


/** Same pattern the pipeline enforces on ids in config keys. */
// Not '.' or '..': a URL path segment of only dots is removed by clients (RFC 3986), so such an id could not be addressed.
export const DEFINITION_ID_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,64}$';
export const definitionIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: DEFINITION_ID_PATTERN } },
} as const;

const level = {
  type: 'object',
  additionalProperties: false,
  required: ['severity', 'value'],
  properties: { severity: { type: 'string', enum: [...SEVERITIES] }, value: { type: 'number' } },
} as const;

const nullableName = { anyOf: [nameString, { type: 'null' }] } as const;

const ruleCommon = {
  // Optional in a body; when given it must equal the id in the path, so it has the path's form.
  id: { type: 'string', minLength: 1, maxLength: 64, pattern: DEFINITION_ID_PATTERN, description: 'optional; equal to the id in the path' },
  source: nullableName,
  enabled: { type: 'boolean' },
  description: { type: 'string', maxLength: 2000 },
} as const;

const thresholdRuleFields = {
  kind: { type: 'string', enum: ['threshold'] },
  metric: nameString,
  ...ruleCommon,
  direction: { type: 'string', enum: ['above', 'below'] },
  levels: { type: 'array', minItems: 1, maxItems: SEVERITIES.length, items: level },
  forMs: { type: 'integer', minimum: 0, maximum: DEFINITION_LIMITS.maxForMs },
  hysteresis: { type: 'number', minimum: 0 },
} as const;

const anomalyRuleFields = {
  kind: { type: 'string', enum: ['anomaly'] },
  metric: nullableName,
  ...ruleCommon,
  minScore: { type: 'number', minimum: 0, maximum: 1 },
  minConfidence: { type: 'number', minimum: 0, maximum: 1 },
  severity: { type: 'string', enum: [...SEVERITIES] },
  scoreLevels: { type: 'array', maxItems: SEVERITIES.length, items: level },
} as const;

/**
 * A rule is one of two kinds; `kind` selects the branch (ajv runs with `discriminator: true`,
 * so a wrong field is reported against the branch the caller chose, not both).
 */
export const ruleBody = {
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    { title: 'ThresholdRule', type: 'object', additionalProperties: false, required: ['kind', 'metric', 'direction', 'levels'], properties: thresholdRuleFields },
    {
      title: 'AnomalyRule',
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'minScore', 'severity'],
      description: 'scoreLevels must each be more severe than the base severity',
      properties: anomalyRuleFields,
      example: { kind: 'anomaly', metric: 'response_time', source: null, minScore: 0.8, minConfidence: 0.5, severity: 'medium', scoreLevels: [{ severity: 'high', value: 0.95 }], enabled: true, description: 'slow responses' },
    },
  ],
} as const;

const ruleOut = {
  $id: 'Rule',
  type: 'object',
  properties: {
    ...thresholdRuleFields,
    ...anomalyRuleFields,
    kind: { type: 'string', enum: ['threshold', 'anomaly'] },
    metric: { type: ['string', 'null'] },
    source: { type: ['string', 'null'] },
    isDefault: { type: 'boolean', description: 'a built-in default, not overridden in the config topic' },
  },
} as const;
export const ruleSchema = ruleOut;

export const slaBody = {
  type: 'object',
  additionalProperties: false,
  required: ['metric', 'comparator', 'threshold', 'objective'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64, pattern: DEFINITION_ID_PATTERN, description: 'optional; equal to the id in the path' },
    name: nameString,
    metric: nameString,
    source: nullableName,
    comparator: { type: 'string', enum: ['lt', 'lte', 'gt', 'gte'] },
    threshold: { type: 'number' },
    // The validator's own bounds, so the document allows exactly what the server accepts.
    objective: { type: 'number', minimum: DEFINITION_LIMITS.minObjective, maximum: DEFINITION_LIMITS.maxObjective },
    windowMs: { type: 'integer', minimum: DEFINITION_LIMITS.minWindowMs, maximum: DEFINITION_LIMITS.maxWindowMs },
    enabled: { type: 'boolean' },
  },
} as const;

export const slaDefinitionSchema = {
  $id: 'SlaDefinition',
  type: 'object',
  properties: {
    ...slaBody.properties,
    source: { type: ['string', 'null'] },
    isDefault: { type: 'boolean' },
  },
} as const;

const list = (ref: string) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: ref } } },
});

const deleted = {
  type: 'object',
  required: ['id', 'deleted', 'revertedToDefault'],
  properties: {
    id: { type: 'string' },
    deleted: { type: 'boolean' },
    revertedToDefault: { type: 'boolean', description: 'a built-in default with this id is in force again' },
  },
} as const;

export interface DeletedDefinition {
  id: string;
  deleted: boolean;
  revertedToDefault: boolean;
}

function routes(kind: 'rule' | 'sla', tag: string, ref: string, body: object) {
  const noun = kind === 'rule' ? 'alert rule' : 'SLA definition';
  return {
    list: { tags: [tag], summary: `Every ${noun} in force`, response: { 200: list(ref), ...commonErrors } },
    get: { tags: [tag], summary: `One ${noun}`, params: definitionIdParams, response: { 200: { $ref: ref }, 404: errorRef, ...commonErrors } },
    put: {
      tags: [tag],
      summary: `Create or replace an ${noun} (written to the config topic; every pipeline instance applies it)`,
      params: definitionIdParams,
      body,
      response: { 200: { $ref: ref }, 201: { $ref: ref }, ...commonErrors },
    },
    delete: {
      tags: [tag],
      summary: `Delete an ${noun} override (a built-in default with the same id comes back)`,
      params: definitionIdParams,
      response: { 200: deleted, 404: errorRef, 409: errorRef, ...commonErrors },
    },
  } as const;
}

export const ruleRoutes = routes('rule', 'rules', 'Rule#', ruleBody);
export const slaDefinitionRoutes = routes('sla', 'sla', 'SlaDefinition#', slaBody);
