/**
 * DVC 3 entries (`hash: md5`) hash the raw bytes. DVC 2 entries (no `hash:` key) mean
 * `md5-dos2unix`: a text file has CRLF turned into LF, chunk by chunk, before hashing.
 */
export type HashName = 'md5' | 'md5-dos2unix';

/** DVC reads files in 1 MiB chunks; the dos2unix rewrite is applied per chunk, so the size matters. */
export const CHUNK_SIZE = 1 << 20;
/** DVC decides "text or binary" from the first 512 bytes. */
export const TEXT_SNIFF_SIZE = 512;

const TEXT_BYTES = (() => {
  const table = new Uint8Array(256);
  for (let b = 32; b < 127; b++) table[b] = 1;
  for (const c of '\n\r\t\f\b') table[c.charCodeAt(0)] = 1;
  return table;
})();

/** DVC's `istextblock`: no NUL byte and at most 30% of bytes outside printable ASCII. */
export function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nonText = 0;
  for (let i = 0; i < block.length; i++) {
    const b = block[i];
    if (b === 0) return false;
    if (!TEXT_BYTES[b]) nonText++;
  }
  return nonText / block.length <= 0.3;
}

/** `chunk.replace(b"\r\n", b"\n")` — returns the chunk itself when there is nothing to replace. */
export function dos2unixChunk(chunk: Uint8Array): Uint8Array {
  let crlf = chunk.indexOf(13);
  if (crlf < 0) return chunk;
  const out = new Uint8Array(chunk.length);
  let n = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] === 13 && i + 1 < chunk.length && chunk[i + 1] === 10) continue;
    out[n++] = chunk[i];
  }
  return out.subarray(0, n);
}
