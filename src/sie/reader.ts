import iconv from 'iconv-lite';
import { MAX_LINE_LENGTH } from './lineTokens.js';
import { SieParser, type SieHeader, type SieProblem, type SieUnknownLabel, type SieVerification } from './parser.js';

/**
 * Reads a SIE 4 file as a stream of bytes: decoded from PC8 (IBM code page 437, as #FORMAT PC8
 * declares and SIE 4 requires) by iconv-lite, split into lines (CRLF or LF), parsed line by line.
 * Verifications are yielded as their blocks close; nothing else of the file is kept but its
 * header, so memory stays bounded whatever the file's length.
 */
export interface SieReadResult {
  readonly header: SieHeader;
  readonly problems: readonly SieProblem[];
  readonly unknownLabels: readonly SieUnknownLabel[];
  readonly verificationsRead: number;
  readonly lines: number;
}

export interface SieReadOptions {
  /** Called now and then with the bytes read so far. */
  readonly onProgress?: (bytesRead: number, verificationsRead: number) => void;
}

/** The decoding SIE 4 prescribes: PC8 is IBM code page 437, where å ä ö Å Ä Ö are 0x86 0x84 0x94 0x8F 0x8E 0x99. */
export const SIE_ENCODING = 'cp437';

/** The file's bytes: a file stream, a request body, or chunks in memory. */
export type SieSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

export class SieReader {
  private readonly parser = new SieParser();
  private lines = 0;

  constructor(private readonly source: SieSource, private readonly options: SieReadOptions = {}) {}

  get header(): SieHeader {
    return this.parser.header;
  }

  get problems(): readonly SieProblem[] {
    return this.parser.problems;
  }

  /** The well-formed verifications of the file, in file order; call result() after the last. */
  async *verifications(): AsyncGenerator<SieVerification> {
    const decoder = iconv.getDecoder(SIE_ENCODING);
    let pending = '';
    let bytesRead = 0;
    let sinceProgress = 0;
    for await (const chunk of this.source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytesRead += bytes.length;
      sinceProgress += bytes.length;
      pending += decoder.write(bytes);
      let start = 0;
      for (let newline = pending.indexOf('\n', start); newline !== -1; newline = pending.indexOf('\n', start)) {
        const end = newline > start && pending[newline - 1] === '\r' ? newline - 1 : newline;
        const verification = this.line(pending.slice(start, end));
        start = newline + 1;
        if (verification) yield verification;
      }
      pending = pending.slice(start);
      if (pending.length > MAX_LINE_LENGTH) {
        // A line without end this long is no SIE file; the tokenizer says so, and the rest is skipped.
        this.line(pending);
        pending = '';
      }
      if (sinceProgress >= 1 << 20) {
        sinceProgress = 0;
        this.options.onProgress?.(bytesRead, this.parser.verificationsRead);
      }
    }
    pending += decoder.end() ?? '';
    if (pending.endsWith('\r')) pending = pending.slice(0, -1);
    if (pending !== '') {
      const verification = this.line(pending);
      if (verification) yield verification;
    }
    this.parser.end();
    this.options.onProgress?.(bytesRead, this.parser.verificationsRead);
  }

  private line(text: string): SieVerification | null {
    this.lines += 1;
    return this.parser.push(text);
  }

  result(): SieReadResult {
    return {
      header: this.parser.header,
      problems: this.parser.problems,
      unknownLabels: this.parser.unknownLabels,
      verificationsRead: this.parser.verificationsRead,
      lines: this.lines,
    };
  }
}

/** Reads a whole file's verifications into memory: for tests and small files only. */
export async function readSieFully(source: SieSource): Promise<SieReadResult & { verifications: SieVerification[] }> {
  const reader = new SieReader(source);
  const verifications: SieVerification[] = [];
  for await (const verification of reader.verifications()) verifications.push(verification);
  return { ...reader.result(), verifications };
}

/** Encodes text as SIE 4 wants it on disk: PC8 (code page 437). */
export function encodePc8(text: string): Buffer {
  return iconv.encode(text, SIE_ENCODING);
}
