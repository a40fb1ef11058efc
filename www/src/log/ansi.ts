// ANSI escape sequences in log lines → styled spans.
//
// SGR (`ESC [ ... m`) sets bold, dim, italic, underline, inverse and the
// foreground/background colours (16 named, 256-colour and 24-bit); every
// other escape sequence (cursor moves, erase, OSC titles) is dropped. Each
// line starts unstyled, so that any line can be drawn without the lines
// before it. A carriage return inside a line keeps what was written last,
// as a terminal would show a progress bar.

export interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface Span extends Style {
  text: string;
}

/** The 16 basic colours (normal then bright), as a dark terminal shows them. */
export const PALETTE16 = [
  "#3b3b3b", "#e06c6c", "#87c05a", "#e5c07b", "#61a6ef", "#c678dd", "#56b6c2", "#d0d0d0",
  "#7f848e", "#ff7b7b", "#a8e07a", "#ffd580", "#82c0ff", "#e39bf5", "#7fd9e4", "#ffffff",
];

/** Colour n of the xterm 256-colour palette. */
export function color256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 16) return PALETTE16[n];
  if (n < 232) {
    const i = n - 16;
    const levels = [0, 95, 135, 175, 215, 255];
    return rgb(levels[Math.floor(i / 36)], levels[Math.floor(i / 6) % 6], levels[i % 6]);
  }
  const v = 8 + (n - 232) * 10;
  return rgb(v, v, v);
}

function rgb(r: number, g: number, b: number): string {
  const hex = (v: number) => Math.max(0, Math.min(255, v)).toString(16).padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** What a terminal shows of a line: the text after the last carriage return that wrote something. */
export function overstrike(line: string): string {
  if (!line.includes("\r")) return line;
  const parts = line.split("\r");
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i] !== "") return parts[i];
  }
  return "";
}

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), or a two-byte escape.
const ESCAPE = /\x1b\[([0-9;:?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

function applySgr(style: Style, params: string): Style {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let s: Style = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c === 27) s.inverse = false;
    else if (c >= 30 && c <= 37) s.fg = PALETTE16[c - 30];
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = PALETTE16[c - 40];
    else if (c === 49) delete s.bg;
    else if (c >= 90 && c <= 97) s.fg = PALETTE16[c - 90 + 8];
    else if (c >= 100 && c <= 107) s.bg = PALETTE16[c - 100 + 8];
    else if (c === 38 || c === 48) {
      const mode = codes[i + 1];
      let colour: string | undefined;
      if (mode === 5) {
        colour = color256(codes[i + 2]);
        i += 2;
      } else if (mode === 2) {
        colour = rgb(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      }
      if (colour) {
        if (c === 38) s.fg = colour;
        else s.bg = colour;
      }
    }
  }
  return s;
}

function clean(style: Style): Style {
  const out: Style = {};
  for (const [key, value] of Object.entries(style) as [keyof Style, unknown][]) {
    if (value !== undefined && value !== false) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** A line's spans; a line without escapes is one unstyled span. */
export function parseAnsi(line: string): Span[] {
  const text = overstrike(line);
  if (!text.includes("\x1b")) return text ? [{ text }] : [];
  const spans: Span[] = [];
  let style: Style = {};
  let last = 0;
  const push = (chunk: string) => {
    if (!chunk) return;
    const prev = spans[spans.length - 1];
    const st = clean(style);
    if (prev && sameStyle(prev, st)) prev.text += chunk;
    else spans.push({ ...st, text: chunk });
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m; m = ESCAPE.exec(text)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === "m") style = applySgr(style, m[1]);
  }
  push(text.slice(last));
  return spans;
}

function sameStyle(a: Style, b: Style): boolean {
  const keys: (keyof Style)[] = ["fg", "bg", "bold", "dim", "italic", "underline", "inverse"];
  return keys.every((k) => (a[k] ?? undefined) === (b[k] ?? undefined));
}

/** Text without any escape sequence (what search and copy see). */
export function stripAnsi(line: string): string {
  return overstrike(line).replace(ESCAPE, "");
}
