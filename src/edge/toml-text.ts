// config.toml's bytes → text. TOML is UTF-8 by definition and the runtime refuses a file in any other
// encoding, while Node's decoder would quietly turn a Latin-1 byte into U+FFFD and read on. So the bytes
// are checked first, and a file in another encoding is named as such: UTF-16 (what Windows Notepad saves
// as "Unicode"), or the line of the first byte that is not UTF-8. A line number, never content.

export type DecodedToml = { text: string } | { error: string };

/** Offset of the first byte that does not begin or continue a well-formed UTF-8 sequence; -1 when there is none. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes and the range the first of them must fall in (no overlong forms, no surrogates,
    // nothing above U+10FFFF), per the Unicode standard's table of well-formed sequences.
    let more: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) more = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      more = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      more = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= more; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += more + 1;
  }
  return -1;
}

// A byte-order mark either way, or a NUL among the first two bytes (UTF-16 of ASCII text without a mark).
function looksUtf16(bytes: Uint8Array): boolean {
  const [a, b] = bytes;
  return (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff) || (bytes.length >= 2 && (a === 0 || b === 0));
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

export function decodeToml(bytes: Uint8Array): DecodedToml {
  if (looksUtf16(bytes)) return { error: 'UTF-16 (as Windows Notepad saves "Unicode"), not UTF-8' };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0)
    return {
      error: `not UTF-8 from line ${lineOf(bytes, bad)} on: Latin-1 or another 8-bit encoding, or a stray byte`,
    };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // A UTF-8 byte-order mark is allowed: editors on Windows write one.
  return { text: text.replace(/^\uFEFF/, '') };
}
