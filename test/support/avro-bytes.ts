/** Avro wire pieces written by hand, so tests can build bodies an encoder would refuse (lying lengths, huge counts). */

/** A zig-zag base-128 varint (Avro int/long); exact for |n| up to 2^52. */
export function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const bytes: number[] = [];
  do {
    let b = z % 128;
    z = Math.floor(z / 128);
    if (z > 0) b |= 0x80;
    bytes.push(b);
  } while (z > 0);
  return Buffer.from(bytes);
}
