export { createLoadGenerator, type LoadGenOptions, type LoadGenerator, type GroundTruth, type SeriesInfo, type Tick } from './generator.ts';
export {
  INCIDENT_KINDS,
  INCIDENT_DEFAULTS,
  parseIncidents,
  parseGaps,
  type IncidentKind,
  type IncidentSpec,
  type GapSpec,
  type GroundTruthIncident,
  type GroundTruthGap,
} from './incidents.ts';
export { readNabCsv, parseNabCsv, parseUtcTimestamp, mergeByTime, type CsvSeries, type CsvReplayOptions } from './csv.ts';
export { pace, type PaceOptions, type PaceResult } from './pace.ts';
export { parseDuration } from './duration.ts';
export { STANDARD_PROFILES, GENERIC_PROFILE, profileFor, type MetricProfile } from './profiles.ts';
export { createPrng, hashSeed, type Prng } from './prng.ts';
