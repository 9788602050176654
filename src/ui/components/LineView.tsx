import { Text } from "ink";
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
};

/** One line of segments, never wrapped. */
export function LineView({ line }: { line: Line }) {
  return (
    <Text wrap="truncate">
      {line.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond their place
        <Text key={i} {...TONE[s.tone ?? "plain"]}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}
