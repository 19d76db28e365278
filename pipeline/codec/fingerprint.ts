/**
 * Parsing Canonical Form and CRC-64-AVRO ("Rabin") fingerprints, as the Avro specification
 * and its Java reference (SchemaNormalization) define them. Producers in other languages
 * stamp the fingerprint into single-object-encoded records, so this must match them byte
 * for byte: test/fixtures/avro-vectors.json pins the values (see the script beside it).
 */

type SchemaJson = string | SchemaJson[] | { [key: string]: unknown };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function fullName(name: string, namespace: string): string {
  // A dotted name is already full; otherwise it lives in the enclosing namespace.
  if (name.includes('.') || !namespace) return name;
  return `${namespace}.${name}`;
}

function namespaceOf(full: string): string {
  const dot = full.lastIndexOf('.');
  return dot < 0 ? '' : full.slice(0, dot);
}

interface Dialect {
  /** Python's avro writes {"type":"long"} for a primitive carrying other attributes. */
  wrapAttributedPrimitives: boolean;
}
const SPEC: Dialect = { wrapAttributedPrimitives: false };
const PYTHON_LIBRARY: Dialect = { wrapAttributedPrimitives: true };

function canonical(schema: SchemaJson, namespace: string, seen: Set<string>, dialect: Dialect): string {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return JSON.stringify(schema);
    return JSON.stringify(fullName(schema, namespace));
  }
  if (Array.isArray(schema)) {
    return `[${schema.map((branch) => canonical(branch, namespace, seen, dialect)).join(',')}]`;
  }
  if (schema === null || typeof schema !== 'object') {
    throw new TypeError(`not an Avro schema: ${JSON.stringify(schema)}`);
  }
  const type = schema.type;
  if (typeof type !== 'string' && typeof type === 'object' && type !== null) {
    // {"type": {...}} wraps another schema; only the inner one matters.
    return canonical(type as SchemaJson, namespace, seen, dialect);
  }
  if (typeof type !== 'string') throw new TypeError(`schema without a type: ${JSON.stringify(schema)}`);
  // [PRIMITIVES] + [STRIP]: {"type":"long","logicalType":...} is just "long".
  if (PRIMITIVES.has(type)) {
    if (dialect.wrapAttributedPrimitives && Object.keys(schema).length > 1) return `{"type":${JSON.stringify(type)}}`;
    return JSON.stringify(type);
  }
  switch (type) {
    case 'array':
      return `{"type":"array","items":${canonical(schema.items as SchemaJson, namespace, seen, dialect)}}`;
    case 'map':
      return `{"type":"map","values":${canonical(schema.values as SchemaJson, namespace, seen, dialect)}}`;
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed': {
      if (typeof schema.name !== 'string') throw new TypeError(`${type} without a name`);
      const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
      const name = fullName(schema.name, ns);
      // A named type is spelled out once; later uses are its full name.
      if (seen.has(name)) return JSON.stringify(name);
      seen.add(name);
      const head = `{"name":${JSON.stringify(name)},"type":${JSON.stringify(type)}`;
      if (type === 'enum') {
        return `${head},"symbols":${JSON.stringify(schema.symbols)}}`;
      }
      if (type === 'fixed') {
        // [INTEGERS]: a plain JSON number, no quotes or leading zeros.
        return `${head},"size":${Number(schema.size)}}`;
      }
      const inner = namespaceOf(name);
      const fields = (schema.fields as Array<{ name: string; type: SchemaJson }>).map(
        (field) => `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type, inner, seen, dialect)}}`,
      );
      return `${head},"fields":[${fields.join(',')}]}`;
    }
    default:
      // A reference written as {"type": "io.vigil.X"}.
      return JSON.stringify(fullName(type, namespace));
  }
}

/** The schema's Parsing Canonical Form: no docs, defaults, aliases or logical types; full names; fixed key order. */
export function parsingCanonicalForm(schema: unknown): string {
  return canonical(schema as SchemaJson, '', new Set(), SPEC);
}

/**
 * The form Python's `avro` library (1.12) computes, which differs from the spec for
 * primitives with attributes such as logicalType. Only used to recognise fingerprints that
 * Python producers stamp; it does not reproduce that library's other quirks (named fixed
 * types are re-expanded there at every reference).
 */
export function pythonLibraryCanonicalForm(schema: unknown): string {
  return canonical(schema as SchemaJson, '', new Set(), PYTHON_LIBRARY);
}

const EMPTY64 = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;
const TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY64 & -(fp & 1n) & MASK64);
    table.push(fp);
  }
  return table;
})();

/** CRC-64-AVRO of raw bytes, as an unsigned 64-bit integer. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY64;
  for (const b of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)];
  return fp;
}

/** A schema fingerprint in the forms the wire and humans use. */
export interface Fingerprint {
  /** Unsigned value; Java's `parsingFingerprint64` is the same bits as a signed long. */
  value: bigint;
  /** The 8 bytes as they appear after `C3 01` in single-object encoding (little-endian). */
  bytes: Buffer;
  /** Hex of `bytes` (wire order), e.g. for logs and fixtures. */
  hex: string;
  /** Low and high 32-bit halves of the wire bytes, for allocation-free lookups. */
  lo: number;
  hi: number;
}

export function fingerprintFromValue(value: bigint): Fingerprint {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  return { value, bytes, hex: bytes.toString('hex'), lo: bytes.readUInt32LE(0), hi: bytes.readUInt32LE(4) };
}

/** CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form. */
export function schemaFingerprint(schema: unknown): Fingerprint {
  return fingerprintFromValue(crc64Avro(Buffer.from(parsingCanonicalForm(schema), 'utf8')));
}
