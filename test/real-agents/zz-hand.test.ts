import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { it } from "vitest";
import { makeRepo, tower } from "../helpers/repo.js";
import { claudeEnv } from "./cli-env.js";
import { cliBinary } from "./clis.js";
import { ModelServer } from "./model-server.js";

it(
  "hand",
  async () => {
    const model = await new ModelServer({
      script: [{ text: "Noted: the word is papaya." }],
      fallbackText: "The word was papaya, as you said.",
    }).listen();
    const plan = `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Remember the word papaya", agent: ["${cliBinary("claude")}", "{task}"] }
`;
    const repo = await makeRepo({ plan });
    const root = realpathSync(repo.root);
    mkdirSync("/tmp/zzh/run", { recursive: true, mode: 0o700 });
    const started = await tower(root, ["start", "A"], { XDG_RUNTIME_DIR: "/tmp/zzh/run" });
    if (started.code !== 0) throw new Error(started.stderr);
    const agent = claudeEnv({
      modelUrl: model.url,
      trust: [root, path.join(path.dirname(root), "demo-stream-A")],
    });
    const lines = Object.entries({
      ...agent.env,
      XDG_RUNTIME_DIR: "/tmp/zzh/run",
      TOWER_IN_PROCESS: "0",
      ROOT: root,
      AGENT_HOME: agent.home,
    }).map(([k, v]) => `export ${k}=${JSON.stringify(String(v))}`);
    writeFileSync("/tmp/zzh/env.sh", `${lines.join("\n")}\n`);
    await new Promise((resolve) => setTimeout(resolve, 25 * 60_000));
  },
  30 * 60_000,
);
