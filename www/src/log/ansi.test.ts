import { describe, expect, it } from "vitest";
import { PALETTE16, color256, overstrike, parseAnsi, stripAnsi } from "./ansi";

describe("parseAnsi", () => {
  it("gives a plain line as one unstyled span", () => {
    expect(parseAnsi("hello world")).toEqual([{ text: "hello world" }]);
    expect(parseAnsi("")).toEqual([]);
  });

  it("colours text with the 16 basic colours and resets", () => {
    expect(parseAnsi("\x1b[31mred\x1b[0m plain \x1b[92mbright\x1b[39m")).toEqual([
      { text: "red", fg: PALETTE16[1] },
      { text: " plain " },
      { text: "bright", fg: PALETTE16[10] },
    ]);
  });

  it("combines bold, underline and a background, and drops only what is switched off", () => {
    expect(parseAnsi("\x1b[1;4;44mA\x1b[24mB\x1b[22;49mC")).toEqual([
      { text: "A", bold: true, underline: true, bg: PALETTE16[4] },
      { text: "B", bold: true, bg: PALETTE16[4] },
      { text: "C" },
    ]);
  });

  it("reads 256-colour and 24-bit colours", () => {
    expect(parseAnsi("\x1b[38;5;196mx")).toEqual([{ text: "x", fg: "#ff0000" }]);
    expect(parseAnsi("\x1b[48;5;244mx")).toEqual([{ text: "x", bg: "#808080" }]);
    expect(parseAnsi("\x1b[38;2;18;52;86mx")).toEqual([{ text: "x", fg: "#123456" }]);
    expect(color256(16)).toBe("#000000");
    expect(color256(231)).toBe("#ffffff");
    expect(color256(300)).toBeUndefined();
  });

  it("treats ESC[m as a reset", () => {
    expect(parseAnsi("\x1b[33mwarn\x1b[mok")).toEqual([{ text: "warn", fg: PALETTE16[3] }, { text: "ok" }]);
  });

  it("drops escape sequences that are not colours", () => {
    expect(parseAnsi("\x1b[2K\x1b[1Gprogress \x1b]0;title\x07done")).toEqual([{ text: "progress done" }]);
  });

  it("marks inverse video so the viewer swaps the colours", () => {
    expect(parseAnsi("\x1b[7;32mX")).toEqual([{ text: "X", inverse: true, fg: PALETTE16[2] }]);
  });
});

describe("overstrike and stripAnsi", () => {
  it("keeps what was written after the last carriage return", () => {
    expect(overstrike(" 10%\r 50%\r100%")).toBe("100%");
    expect(overstrike("line\r")).toBe("line");
    expect(overstrike("no returns")).toBe("no returns");
  });

  it("strips every escape sequence", () => {
    expect(stripAnsi("\x1b[1;31mERROR\x1b[0m: disk full")).toBe("ERROR: disk full");
  });
});
