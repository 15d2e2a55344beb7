// Where frames go. On a terminal: one screen redrawn in place (like `watch`), lines wrapped to its width so
// nothing is cut. Elsewhere (a pipe, a log, a test): plain sequential snapshots, one per settled step.
const ESC = '\x1b[';
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

export interface Output {
  write(text: string): unknown;
  /** A terminal's width; absent for a pipe. */
  columns?: number;
}

export interface Screen {
  /** The state changed: a live screen redraws, a plain stream waits for the next snapshot. */
  update(lines: string[]): void;
  /** A settled state: redrawn live, or printed as the next snapshot. */
  snapshot(lines: string[]): void;
  /** Leaves the last frame in place and gives the terminal back. */
  close(): void;
}

function visibleLength(text: string): number {
  return text.replace(SGR, '').length;
}

/**
 * Word-wraps one line to `width`, continuing under its own indentation plus two. A line that must wrap
 * loses its colours (they are decoration; the words carry the meaning).
 */
export function wrapLine(line: string, width: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const plain = line.replace(SGR, '');
  const lead = plain.length - plain.trimStart().length;
  const indent = ' '.repeat(Math.min(lead + 2, Math.floor(width / 2)));
  const out: string[] = [];
  let current = plain.slice(0, lead);
  // Words keep the spaces after them, so aligned columns stay aligned on the lines that fit.
  for (const word of plain.slice(lead).match(/\S+\s*/g) ?? []) {
    if (current.trim() !== '' && (current + word).trimEnd().length > width) {
      out.push(current.trimEnd());
      current = indent;
    }
    current += word;
  }
  out.push(current.trimEnd());
  // A word longer than the width is cut hard rather than left to the terminal's own wrapping.
  return out.flatMap((l) => (l.length <= width ? [l] : (l.match(new RegExp(`.{1,${width}}`, 'g')) ?? [l])));
}

export function createScreen(out: Output, live: boolean): Screen {
  if (!live) {
    let first = true;
    return {
      update() {},
      snapshot(lines) {
        out.write(`${first ? '' : '\n'}${lines.join('\n')}\n`);
        first = false;
      },
      close() {},
    };
  }
  let drawn: string | undefined;
  const draw = (lines: string[]) => {
    const width = Math.max(20, out.columns ?? 80);
    const text = lines.flatMap((l) => wrapLine(l, width - 1)).join(`${ESC}K\n`);
    if (text === drawn) return;
    // First frame: hide the cursor and clear the screen; then home, overwrite, erase what is left below.
    out.write(`${drawn === undefined ? `${ESC}?25l${ESC}2J` : ''}${ESC}H${text}${ESC}K\n${ESC}J`);
    drawn = text;
  };
  return {
    update: draw,
    snapshot: draw,
    close() {
      if (drawn !== undefined) out.write(`${ESC}?25h`);
    },
  };
}
