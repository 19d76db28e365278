import { describe, expect, it } from 'vitest';
import { FrameCounter } from '../../../bench/support/ws-frame-counter.ts';

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, payload]);
}

describe('FrameCounter (fan-out bench client)', () => {
  const payloads = [
    Buffer.from('{"type":"hello","gatewayId":"g"}'),
    Buffer.from(`{"type":"event","channel":"live","data":{"sentAtUs":123}}`),
    Buffer.from('{"type":"event","x":"' + 'a'.repeat(300) + '"}'),
    Buffer.from('{"type":"event","x":"' + 'b'.repeat(70_000) + '"}'),
    Buffer.alloc(0),
    Buffer.from('{"t'),
  ];
  const stream = Buffer.concat([...payloads.map((p) => frame(1, p)), frame(9, Buffer.from('hi'))]);

  it.each([1, 2, 3, 7, 64, 4096, stream.length])('finds every frame, its type letter and payload in chunks of %i bytes', (size) => {
    const seen: Array<[number, number, string]> = [];
    const counter = new FrameCounter({ frame: (op, letter, payload) => seen.push([op, letter, payload!.toString('latin1')]) }, true);
    for (let i = 0; i < stream.length; i += size) counter.push(stream.subarray(i, i + size));
    expect(seen).toEqual([
      ...payloads.map((p): [number, number, string] => [1, p.length > 9 ? p[9] : -1, p.toString('latin1')]),
      [9, -1, 'hi'],
    ]);
    expect(seen.filter(([op, letter]) => op === 1 && letter === 0x65)).toHaveLength(3);
  });

  it('keeps no payload unless asked', () => {
    const got: Array<Buffer | null> = [];
    const counter = new FrameCounter({ frame: (_op, _l, p) => got.push(p) }, false);
    counter.push(stream);
    expect(got).toHaveLength(payloads.length + 1);
    expect(got.every((p) => p === null)).toBe(true);
  });
});
