/** The HTTP API's JSON schemas; `sharedSchemas` are registered once (fastify.addSchema) and referenced by `$ref`. */
import { alertEventSchema, alertSchema } from './alerts.ts';
import { notificationSchema } from './notifications.ts';
import { anomalySchema } from './anomalies.ts';
import { errorResponse } from './common.ts';
import { incidentSchema, incidentStepSchema } from './incidents.ts';
import { ruleSchema, slaDefinitionSchema } from './definitions.ts';
import { seriesPointSchema } from './series.ts';
import { silenceSchema } from './silences.ts';
import { liveMetricSchema, slaStatusSchema } from './status.ts';

export const sharedSchemas = [errorResponse, alertSchema, alertEventSchema, anomalySchema, ruleSchema, slaDefinitionSchema, slaStatusSchema, liveMetricSchema, seriesPointSchema, silenceSchema, incidentSchema, incidentStepSchema, notificationSchema] as const;

export * from './common.ts';
export * from './ingest.ts';
export * from './alerts.ts';
export * from './notifications.ts';
export * from './anomalies.ts';
export * from './definitions.ts';
export * from './status.ts';
export * from './series.ts';
export * from './silences.ts';
export * from './incidents.ts';
