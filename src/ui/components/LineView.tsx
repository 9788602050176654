import { Text } from "ink";
import { useAppStore } from "../store/context.js";
import type { Line, Tone } from "../view/types.js";

const TONE: Record<
  Tone,
  { color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean }
> = {
  plain: {},
  muted: { dimColor: true },
  accent: { color: "cyan" },
  ok: { color: "green" },
  warn: { color: "yellow" },
  error: { color: "red" },
  title: { bold: true },
  selected: { inverse: true },
  accentStrong: { color: "cyan", bold: true },
  okStrong: { color: "green", inverse: true },
  errorStrong: { color: "red", inverse: true },
};

/** A tone without its colour, for NO_COLOR: attributes only. */
const plainTone = (tone: Tone) => {
  const { color: _color, ...rest } = TONE[tone];
  return rest;
};

/** One line of segments, never wrapped. */
export function LineView({ line }: { line: Line }) {
  const noColor = useAppStore((s) => s.colorMode === "none");
  return (
    <Text wrap="truncate">
      {line.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond their place
        <Text key={i} {...(noColor ? plainTone(s.tone ?? "plain") : TONE[s.tone ?? "plain"])}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}
