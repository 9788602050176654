/**
 * A merge from the keys: the room merges, its commands' output comes as events and is shown as it
 * comes, then what Tower says of the outcome (wrapped to the dialog) and the failed command's
 * last lines (cut, as a terminal would).
 */
import type { MergeValue } from "../../room/commands.js";
import { dialogTextWidth, wrapText } from "../view/types.js";
import type { Controller } from "./controller.js";

export function runMerge(ctl: Controller, streamId: string): void {
  const output: string[] = [`merging ${streamId}`];
  const show = (title: string, follow = true) =>
    ctl.store.getState().openModal({
      kind: "text",
      title,
      lines: [...output],
      offset: follow ? Math.max(0, output.length - 12) : 0,
    });
  show(`Merging ${streamId}…`);
  const unlisten = ctl.client.on((event) => {
    if (event.type !== "merge.output" || event.stream !== streamId) return;
    output.push(event.line);
    show(`Merging ${streamId}…`);
  });
  ctl.client.run({ type: "merge", stream: streamId }).then(
    (reply) => {
      unlisten();
      if (!reply.ok) {
        output.push(reply.error);
        return show(`Merge of ${streamId} failed`, false);
      }
      const result = reply.value as MergeValue;
      const width = dialogTextWidth(ctl.store.getState().size.cols);
      output.push(...result.said.flatMap((line) => wrapText(line, width)));
      output.push(...result.tail.map((line) => `  ${line}`));
      show(`Merge of ${streamId}: ${result.outcome.replace("_", " ")}`);
    },
    (error: unknown) => {
      unlisten();
      output.push(error instanceof Error ? error.message : String(error));
      show(`Merge of ${streamId} failed`, false);
    },
  );
}
