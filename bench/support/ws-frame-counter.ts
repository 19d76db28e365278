/**
 * A streaming reader of server-to-client WebSocket frames (RFC 6455, unmasked) for the fan-out
 * bench's subscribers: it finds frame boundaries and the first byte of each payload's `type`
 * value without building a message per frame, so one client process can hold thousands of
 * sockets and count millions of frames per second — the bench measures the server, not a
 * WebSocket library in the client. Payloads are kept only when asked (the sampled sockets).
 */

/** Offset of the first letter of the type in `{"type":"...` (event frames: 'e'). */
const TYPE_LETTER_OFFSET = 9;

export interface FrameSink {
  /** A complete frame: its opcode, the byte at TYPE_LETTER_OFFSET (-1 when shorter) and, if kept, the payload. */
  frame(opcode: number, typeLetter: number, payload: Buffer | null): void;
}

export class FrameCounter {
  private readonly head = Buffer.alloc(14);
  private headLen = 0;
  private inPayload = false;
  private remaining = 0;
  private offset = 0;
  private opcode = 0;
  private typeLetter = -1;
  private parts: Buffer[] = [];

  constructor(
    private readonly sink: FrameSink,
    private readonly keepPayload: boolean,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inPayload) {
        this.head[this.headLen++] = chunk[i++];
        if (this.headLen < 2) continue;
        const len7 = this.head[1] & 0x7f;
        const headerBytes = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.head[1] & 0x80 ? 4 : 0);
        if (this.headLen < headerBytes) continue;
        this.opcode = this.head[0] & 0x0f;
        this.remaining = len7 === 126 ? this.head.readUInt16BE(2) : len7 === 127 ? Number(this.head.readBigUInt64BE(2)) : len7;
        this.headLen = 0;
        this.offset = 0;
        this.typeLetter = -1;
        this.inPayload = true;
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      if (this.offset <= TYPE_LETTER_OFFSET && TYPE_LETTER_OFFSET < this.offset + take) this.typeLetter = chunk[i + TYPE_LETTER_OFFSET - this.offset];
      if (this.keepPayload) this.parts.push(chunk.subarray(i, i + take));
      i += take;
      this.offset += take;
      this.remaining -= take;
      if (this.remaining === 0) this.finish();
    }
  }

  private finish(): void {
    this.inPayload = false;
    const payload = this.keepPayload ? Buffer.concat(this.parts) : null;
    this.parts = [];
    this.sink.frame(this.opcode, this.typeLetter, payload);
  }
}
