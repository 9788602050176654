/**
 * Colour as the terminal can show it. `NO_COLOR` (any value) turns colours off, keeping bold,
 * dim, italic, underline, inverse and strikethrough; a terminal that does not announce 256
 * colours (TERM without `256color`, no COLORTERM) gets 256-colour and truecolor codes brought
 * down to the nearest of the 16 standard colours.
 */
export type ColorMode = "none" | "16" | "full";

export function colorModeFromEnv(env: NodeJS.ProcessEnv = process.env): ColorMode {
  if (env.NO_COLOR !== undefined) return "none";
  if (/truecolor|24bit/i.test(env.COLORTERM ?? "") || /256color|direct/i.test(env.TERM ?? ""))
    return "full";
  return "16";
}

const BASIC: [number, number, number][] = [
  [0, 0, 0],
  [205, 0, 0],
  [0, 205, 0],
  [205, 205, 0],
  [0, 0, 238],
  [205, 0, 205],
  [0, 205, 205],
  [229, 229, 229],
  [127, 127, 127],
  [255, 0, 0],
  [0, 255, 0],
  [255, 255, 0],
  [92, 92, 255],
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 255],
];

function rgbOf256(n: number): [number, number, number] {
  if (n < 16) return BASIC[n] ?? [0, 0, 0];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return [v, v, v];
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return [level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6)];
}

/** The nearest of the 16 standard colours. */
export function nearest16([r, g, b]: [number, number, number]): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  BASIC.forEach(([br, bg, bb], i) => {
    const d = (r - br) ** 2 + (g - bg) ** 2 + (b - bb) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/** Rewrites the parameters of one SGR sequence for the colour mode. */
function adaptParams(params: number[], mode: ColorMode): number[] {
  const out: number[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i] ?? 0;
    if (p === 38 || p === 48) {
      const background = p === 48;
      let rgb: [number, number, number] | undefined;
      if (params[i + 1] === 5) {
        rgb = rgbOf256(params[i + 2] ?? 0);
        i += 2;
      } else if (params[i + 1] === 2) {
        rgb = [params[i + 2] ?? 0, params[i + 3] ?? 0, params[i + 4] ?? 0];
        i += 4;
      }
      if (mode === "16" && rgb) {
        const c = nearest16(rgb);
        out.push((c < 8 ? 30 + c : 90 + c - 8) + (background ? 10 : 0));
      }
      continue;
    }
    const isColor =
      (p >= 30 && p <= 39) ||
      (p >= 40 && p <= 49) ||
      (p >= 90 && p <= 97) ||
      (p >= 100 && p <= 107);
    if (mode === "none" && isColor) continue;
    out.push(p);
  }
  return out;
}

/** A row of styled text as the terminal can show it (unchanged in `full` mode). */
export function adaptRow(row: string, mode: ColorMode): string {
  if (mode === "full") return row;
  return row.replace(/\x1b\[([0-9;:]*)m/g, (_all, body: string) => {
    if (body === "" || body === "0") return `\x1b[${body}m`;
    const params = body.split(/[;:]/).map((x) => Number(x || 0));
    const kept = adaptParams(params, mode);
    return kept.length ? `\x1b[${kept.join(";")}m` : "";
  });
}
