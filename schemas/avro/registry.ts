/**
 * The Avro schemas Vigil reads and writes, with their Confluent ids and fingerprints.
 *
 * We run no Schema Registry server, so the id of each schema is the static table below
 * (a producer using Confluent framing must register our schemas under these ids). A
 * published version is never edited: its fingerprint is pinned here and loading fails when
 * the file no longer matches. Evolve by adding `<name>.v<N+1>.avsc` and a row.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import avro from 'avsc';
import { VigilError } from '../../core/errors.ts';
import {
  type Fingerprint,
  parsingCanonicalForm,
  pythonLibraryCanonicalForm,
  schemaFingerprint,
  crc64Avro,
  fingerprintFromValue,
} from '../../pipeline/codec/fingerprint.ts';

export interface SchemaTableRow {
  file: string;
  /** Confluent Schema Registry id; unique across all rows, never reused. */
  id: number;
  /** CRC-64-AVRO of the Parsing Canonical Form, wire (little-endian) hex. */
  fingerprint: string;
}

export const SCHEMA_TABLE: readonly SchemaTableRow[] = [
  { file: 'metric-point.v1.avsc', id: 1, fingerprint: 'ee52d5998cd8c773' },
  { file: 'anomaly-event.v1.avsc', id: 2, fingerprint: '2b81dd07298d3d11' },
  { file: 'alert-event.v1.avsc', id: 3, fingerprint: 'eeb466991ba010f0' },
  { file: 'live-snapshot.v1.avsc', id: 4, fingerprint: '72980743c23db1e8' },
  { file: 'sla-snapshot.v1.avsc', id: 5, fingerprint: '4ad4b8223620ae97' },
  { file: 'alert-command.v1.avsc', id: 6, fingerprint: '1720c7f3b6f03511' },
  { file: 'command-result.v1.avsc', id: 7, fingerprint: '4ac2063940c82dfb' },
  { file: 'incident-event.v1.avsc', id: 8, fingerprint: 'b767445d1ad97119' },
  { file: 'alert-event.v2.avsc', id: 9, fingerprint: 'd407a57876162f10' },
  { file: 'command-result.v2.avsc', id: 10, fingerprint: '75516ecba622ec94' },
  { file: 'incident-event.v2.avsc', id: 11, fingerprint: 'd91880be9b9e2540' },
];

export const AVRO_SCHEMA_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface SchemaEntry {
  /** Full name, e.g. io.vigil.MetricPoint. */
  name: string;
  version: number;
  id: number;
  /** The .avsc file it came from (or a label for schemas registered in code). */
  file: string;
  schema: Record<string, unknown>;
  canonicalForm: string;
  fingerprint: Fingerprint;
  /**
   * Other fingerprints that identify this schema on input. Python's `avro` library keeps
   * {"type":"long"} for logical-typed primitives in its canonical form, so its producers
   * stamp a different fingerprint for the same schema; we accept it, never produce it.
   */
  aliasFingerprints: Fingerprint[];
  type: avro.Type;
  writerOnly: boolean;
}

export interface SchemaDefinition {
  schema: Record<string, unknown>;
  version: number;
  id: number;
  file?: string;
  /** When set, the computed fingerprint must equal it (guards published versions). */
  pinnedFingerprint?: string;
  /**
   * Accepted from producers but never used as the reader schema: lets producers move to a
   * new version before the consumers do (the reader stays on the older version).
   */
  writerOnly?: boolean;
}

export interface SchemaRegistry {
  readonly entries: readonly SchemaEntry[];
  /** Lookup by the two little-endian 32-bit halves of a wire fingerprint (allocation-free). */
  byFingerprint(lo: number, hi: number): SchemaEntry | undefined;
  byId(id: number): SchemaEntry | undefined;
  /** The highest version of a name that is not writer-only: the reader schema for that record. */
  latest(name: string): SchemaEntry;
  get(name: string, version: number): SchemaEntry | undefined;
}

export const AVRO_TYPE_OPTIONS: Readonly<{ wrapUnions: 'auto'; omitRecordMethods: true }> = Object.freeze({ wrapUnions: 'auto', omitRecordMethods: true });

const FILE_NAME = /^([a-z0-9-]+)\.v(\d+)\.avsc$/;

function buildEntry(def: SchemaDefinition): SchemaEntry {
  const label = def.file ?? `${String(def.schema.name)} v${def.version}`;
  let type: avro.Type;
  try {
    // A fresh options object each time: avsc stores its name registry in it.
    type = avro.Type.forSchema(def.schema as avro.Schema, { ...AVRO_TYPE_OPTIONS });
  } catch (cause) {
    throw new VigilError(`Avro schema ${label} does not parse`, { cause, action: 'fix the schema JSON' });
  }
  if (type.typeName !== 'record' || !type.name) {
    throw new VigilError(`Avro schema ${label} is not a named record`, { action: 'every Vigil wire schema is a record' });
  }
  const canonicalForm = parsingCanonicalForm(def.schema);
  const fingerprint = schemaFingerprint(def.schema);
  if (def.pinnedFingerprint !== undefined && def.pinnedFingerprint !== fingerprint.hex) {
    throw new VigilError(
      `published schema ${label} changed: fingerprint ${fingerprint.hex}, pinned ${def.pinnedFingerprint}`,
      { action: 'restore the published file and add the change as a new version (.v<N+1>.avsc) with a new id' },
    );
  }
  const pythonForm = pythonLibraryCanonicalForm(def.schema);
  const aliasFingerprints =
    pythonForm === canonicalForm ? [] : [fingerprintFromValue(crc64Avro(Buffer.from(pythonForm, 'utf8')))];
  return { name: type.name, version: def.version, id: def.id, file: label, schema: def.schema, canonicalForm, fingerprint, aliasFingerprints, type, writerOnly: def.writerOnly ?? false };
}

/** Build a registry from definitions; ids, fingerprints and (name, version) must be unique. */
export function createSchemaRegistry(defs: readonly SchemaDefinition[]): SchemaRegistry {
  const entries = defs.map(buildEntry);
  const ids = new Map<number, SchemaEntry>();
  const fingerprints = new Map<number, SchemaEntry[]>();
  const versions = new Map<string, SchemaEntry>();
  const latest = new Map<string, SchemaEntry>();
  for (const entry of entries) {
    if (!Number.isInteger(entry.id) || entry.id < 0 || entry.id > 0x7fffffff) {
      throw new VigilError(`schema ${entry.file} has invalid id ${entry.id}`, { action: 'use a small non-negative integer' });
    }
    const sameId = ids.get(entry.id);
    if (sameId) throw new VigilError(`schemas ${sameId.file} and ${entry.file} share id ${entry.id}`, { action: 'give each schema its own id' });
    ids.set(entry.id, entry);
    const key = `${entry.name}@${entry.version}`;
    if (versions.has(key)) throw new VigilError(`two schemas are ${entry.name} v${entry.version}`, { action: 'bump the version' });
    versions.set(key, entry);
    for (const fp of [entry.fingerprint, ...entry.aliasFingerprints]) {
      const bucket = fingerprints.get(fp.lo) ?? [];
      const clash = bucket.find((e) => [e.fingerprint, ...e.aliasFingerprints].some((f) => f.value === fp.value));
      // Identical canonical forms are one schema to a reader; registering it twice is a mistake.
      if (clash) throw new VigilError(`schemas ${clash.file} and ${entry.file} have the same fingerprint ${fp.hex}`, { action: 'drop the duplicate' });
      bucket.push(entry);
      fingerprints.set(fp.lo, bucket);
    }
    const prev = latest.get(entry.name);
    if (!entry.writerOnly && (!prev || prev.version < entry.version)) latest.set(entry.name, entry);
  }
  return {
    entries,
    byFingerprint(lo, hi) {
      const bucket = fingerprints.get(lo);
      if (!bucket) return undefined;
      for (const entry of bucket) {
        if (entry.fingerprint.hi === hi && entry.fingerprint.lo === lo) return entry;
        for (const alias of entry.aliasFingerprints) if (alias.hi === hi && alias.lo === lo) return entry;
      }
      return undefined;
    },
    byId: (id) => ids.get(id),
    latest(name) {
      const entry = latest.get(name);
      if (!entry) throw new VigilError(`no Avro schema named ${name}`, { action: `add schemas/avro/<name>.v1.avsc and a row in SCHEMA_TABLE` });
      return entry;
    },
    get: (name, version) => versions.get(`${name}@${version}`),
  };
}

/** Definitions for the committed schema files (optionally from another folder, for tests). */
export function committedSchemaDefinitions(dir = AVRO_SCHEMA_DIR, table: readonly SchemaTableRow[] = SCHEMA_TABLE): SchemaDefinition[] {
  return table.map((row) => {
    const match = FILE_NAME.exec(row.file);
    if (!match) throw new VigilError(`schema file name ${row.file} is not <name>.v<N>.avsc`, { action: 'rename it' });
    let schema: Record<string, unknown>;
    try {
      schema = JSON.parse(readFileSync(path.join(dir, row.file), 'utf8'));
    } catch (cause) {
      throw new VigilError(`cannot load Avro schema ${row.file}`, { cause, action: `check ${dir}` });
    }
    return { schema, version: Number(match[2]), id: row.id, file: row.file, pinnedFingerprint: row.fingerprint };
  });
}

let defaultRegistry: SchemaRegistry | undefined;

/** The registry of the committed schemas, built once per process. */
export function getSchemaRegistry(): SchemaRegistry {
  defaultRegistry ??= createSchemaRegistry(committedSchemaDefinitions());
  return defaultRegistry;
}
