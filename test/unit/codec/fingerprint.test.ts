import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc64Avro, parsingCanonicalForm, pythonLibraryCanonicalForm, schemaFingerprint } from '../../../pipeline/codec/fingerprint.ts';
import { AVRO_SCHEMA_DIR, SCHEMA_TABLE } from '../../../schemas/avro/registry.ts';

interface FingerprintVector {
  schema: unknown;
  canonicalForm: string;
  fingerprintHex: string;
  fingerprintJavaLong: string;
  pythonLibrary: { canonicalForm: string; fingerprintHex: string };
  java?: { canonicalForm: string; fingerprintJavaLong: string };
}
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/avro/vectors.json', import.meta.url), 'utf8')) as {
  fingerprints: Record<string, FingerprintVector>;
};

describe('Parsing Canonical Form and CRC-64-AVRO vs Python avro / Java SchemaNormalization', () => {
  const entries = Object.entries(vectors.fingerprints);

  it('has vectors for edge cases and every committed schema', () => {
    expect(entries.length).toBeGreaterThanOrEqual(15);
    for (const row of SCHEMA_TABLE) expect(vectors.fingerprints[row.file], row.file).toBeDefined();
  });

  it.each(entries)('%s: canonical form and fingerprint match', (_name, v) => {
    expect(parsingCanonicalForm(v.schema)).toBe(v.canonicalForm);
    const fp = schemaFingerprint(v.schema);
    expect(fp.hex).toBe(v.fingerprintHex);
    expect(BigInt.asIntN(64, fp.value).toString()).toBe(v.fingerprintJavaLong);
    if (v.java) expect(v.java.fingerprintJavaLong).toBe(v.fingerprintJavaLong);
  });

  it.each(entries.filter(([name]) => name !== 'fixed-referenced-twice'))(
    "%s: recognises the fingerprint Python's avro library stamps",
    (_name, v) => {
      const form = pythonLibraryCanonicalForm(v.schema);
      expect(form).toBe(v.pythonLibrary.canonicalForm);
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(crc64Avro(Buffer.from(form)));
      expect(bytes.toString('hex')).toBe(v.pythonLibrary.fingerprintHex);
    },
  );

  it('CRC-64-AVRO of nothing is the empty fingerprint', () => {
    expect(crc64Avro(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
  });

  it('docs, defaults, aliases and logical types do not change the fingerprint; names and types do', () => {
    const base = { type: 'record', name: 'P', namespace: 'n', fields: [{ name: 't', type: 'long' }] };
    const decorated = {
      type: 'record', name: 'P', namespace: 'n', doc: 'x', aliases: ['Q'],
      fields: [{ name: 't', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0, doc: 'y' }],
    };
    expect(schemaFingerprint(decorated).hex).toBe(schemaFingerprint(base).hex);
    expect(schemaFingerprint({ ...base, name: 'R' }).hex).not.toBe(schemaFingerprint(base).hex);
    expect(schemaFingerprint({ ...base, fields: [{ name: 't', type: 'int' }] }).hex).not.toBe(schemaFingerprint(base).hex);
  });

  it('unwraps {"type": {...}} and reads dotted names as full names', () => {
    expect(parsingCanonicalForm({ type: { type: 'array', items: 'int' } })).toBe('{"type":"array","items":"int"}');
    expect(parsingCanonicalForm({ type: 'enum', name: 'a.B', namespace: 'ignored', symbols: ['X'] })).toBe(
      '{"name":"a.B","type":"enum","symbols":["X"]}',
    );
  });

  it('rejects things that are not schemas', () => {
    expect(() => parsingCanonicalForm(42)).toThrow(/not an Avro schema/);
    expect(() => parsingCanonicalForm({ fields: [] })).toThrow(/without a type/);
  });

  it('every .avsc file in schemas/avro is in the id table', () => {
    const files = readdirSync(AVRO_SCHEMA_DIR).filter((f) => f.endsWith('.avsc')).sort();
    expect(SCHEMA_TABLE.map((r) => r.file).sort()).toEqual(files);
  });
});
