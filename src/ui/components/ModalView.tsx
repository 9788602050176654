import { Box, Text } from "ink";
import type { Modal } from "../store/slices.js";
import { dialogTextWidth, wrapText } from "../view/types.js";

/** A dialog in the middle of the screen: confirm, pick one, type a line, or read a text. */
export function ModalView({
  modal,
  width,
  height,
}: {
  modal: Modal;
  width: number;
  height: number;
}) {
  const text = dialogTextWidth(width);
  const inner = text + 4;
  // Sentences wrap; texts to scroll (a diff, a command's output) are cut, as a terminal would.
  const wrap = (lines: readonly string[]) => lines.flatMap((line) => wrapText(line, text));
  let body: string[];
  let hint: string;
  switch (modal.kind) {
    case "confirm":
      body = wrap(modal.lines);
      hint = [
        ...modal.choices.map((c) => `${c.keys.map(keyLabel).join(" / ")}: ${c.label}`),
        `${modal.choices.some((c) => c.keys.includes("n")) ? "" : "n / "}Esc: cancel`,
      ].join("    ");
      break;
    case "form":
      body = modal.fields.flatMap((field, i) => {
        const current = i === modal.field;
        const mark = current ? "▶ " : "  ";
        if (field.kind === "line") {
          return [
            `${mark}${field.label}`,
            `    ${current ? `${modal.draft}█` : field.value || "(none)"}`,
          ];
        }
        const items = field.items.map((item) => `    • ${item}`);
        if (current) items.push(`    + ${modal.draft}█`);
        else if (items.length === 0) items.push("    (none)");
        return [`${mark}${field.label}`, ...items];
      });
      hint =
        modal.fields[modal.field]?.kind === "list"
          ? "Enter: add the entry (on an empty one: next field)    Tab: next field    Esc: cancel"
          : "Enter / Tab: next field    Shift-Tab: back    Esc: cancel";
      break;
    case "pick":
      body = modal.options.map((o, i) => `${i === modal.selected ? "▶" : " "} ${o.label}`);
      hint = "↑/↓ choose    Enter: select    Esc: cancel";
      break;
    case "input":
      body = [
        ...wrap(modal.lines ?? []),
        ...(modal.lines?.length ? [""] : []),
        modal.label,
        `> ${modal.value}█`,
      ];
      hint = "Enter: send    Esc: cancel";
      break;
    case "text":
      body = modal.lines.slice(modal.offset);
      hint = "Esc or q: close    ↑/↓ PgUp/PgDn: scroll";
      break;
  }
  const shown = body.slice(0, Math.max(1, height - 6));
  return (
    <Box width={width} height={height} alignItems="center" justifyContent="center">
      <Box flexDirection="column" borderStyle="round" paddingX={1} width={inner}>
        <Text bold wrap="truncate">
          {modal.title}
        </Text>
        <Text> </Text>
        {shown.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
          <Text key={i} wrap="truncate">
            {line || " "}
          </Text>
        ))}
        {body.length > shown.length ? (
          <Text dimColor>… {body.length - shown.length} more lines</Text>
        ) : null}
        <Text> </Text>
        <Text dimColor wrap="truncate">
          {hint}
        </Text>
      </Box>
    </Box>
  );
}

/** A key name as the hints write it. */
const keyLabel = (key: string) =>
  key === "enter" ? "Enter" : key === "escape" ? "Esc" : key === "space" ? "Space" : key;
