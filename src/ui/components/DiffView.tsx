import { Box } from "ink";
import { useAppStore } from "../store/context.js";
import { diffViewLines } from "../view/diff.js";
import { LineView } from "./LineView.js";

/** The review view (`d`): only the rows on screen are built and drawn, whatever the diff's length. */
export function DiffScreen({ width, height }: { width: number; height: number }) {
  const review = useAppStore((s) => s.review);
  if (!review) return null;
  const lines = diffViewLines(review, width, height);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
        <LineView key={i} line={line} />
      ))}
    </Box>
  );
}
