import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export type DataPath = readonly (string | number)[];
export interface Position {
  line: number;
  col: number;
}

interface Found {
  /** The key of the map entry holding the node, or the node itself for list items. */
  key: Node | null;
  node: Node | null;
}

/** Finds the source position of any value in the parsed document, by its data path. */
export class SourcePositions {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the value at `path`; for an empty or missing value, its key's or its parent's. */
  value(path: DataPath): Position {
    for (let depth = path.length; depth >= 0; depth--) {
      const found = this.find(path.slice(0, depth));
      if (!found) continue;
      const { key, node } = found;
      const empty = node === null || (isScalar(node) && node.value === null && !node.source);
      const target = depth === path.length && !empty ? node : (key ?? node);
      if (target) return this.pos(target);
    }
    return { line: 1, col: 1 };
  }

  /** Position of the key of the entry at `path` (the item itself inside a list). */
  key(path: DataPath): Position {
    const found = this.find(path);
    const target = found?.key ?? found?.node;
    return target ? this.pos(target) : this.value(path);
  }

  /** Keys of the map at `path`, in file order (JS objects put integer-like keys first). */
  keys(path: DataPath): string[] {
    const node = this.resolve(this.find(path)?.node ?? null);
    if (!isMap(node)) return [];
    return node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
  }

  private find(path: DataPath): Found | undefined {
    let found: Found = { key: null, node: this.doc.contents as Node | null };
    for (const segment of path) {
      const node = this.resolve(found.node);
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment),
        );
        if (!pair) return undefined;
        found = { key: pair.key as Node, node: pair.value as Node | null };
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (item === undefined) return undefined;
        found = { key: null, node: item };
      } else {
        return undefined;
      }
    }
    return found;
  }

  private resolve(node: Node | null): Node | null {
    return isAlias(node) ? (node.resolve(this.doc) ?? null) : node;
  }

  private pos(node: Node): Position {
    return this.offset(node.range?.[0] ?? 0);
  }

  /** 1-based line and column of a character offset. */
  offset(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line: Math.max(line, 1), col: Math.max(col, 1) };
  }
}
