/**
 * A real sshd on 127.0.0.1 for the SSH tests, started by the test and gone after it: a
 * throwaway host key and user key in a temporary folder, the user key the only one authorised,
 * and an ssh client configuration that checks the host against that host key
 * (StrictHostKeyChecking yes, its own known_hosts), reached as the host alias `tower-test`
 * through a wrapper script (what TOWER_SSH names). Nothing outside the temporary folder is
 * written. `startSshd` says why not when sshd cannot run here (not installed, or run as root
 * without its privilege-separation folder /run/sshd, which only the system may create).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const SSHD = "/usr/sbin/sshd";
export const HOST_ALIAS = "tower-test";

export interface Sshd {
  /** A script that runs ssh with this server's client configuration (for TOWER_SSH). */
  ssh: string;
  host: string;
  port: number;
  stop(): void;
}

/** Why sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install -y openssh-server)`;
  if (process.getuid?.() === 0 && !existsSync("/run/sshd")) {
    return "sshd run as root needs /run/sshd (mkdir -p /run/sshd, as the openssh-server package does)";
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("data", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  const why = sshdUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-sshd-"));
  const keygen = (file: string) =>
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
  const hostKey = path.join(dir, "host_key");
  const userKey = path.join(dir, "user_key");
  keygen(hostKey);
  keygen(userKey);
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
  const port = await freePort();
  writeFileSync(
    path.join(dir, "known_hosts"),
    `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, "utf8")}`,
  );
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The keys live in a temporary folder, not in a home folder sshd would check.
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "PrintMotd no",
      // The far side's bash would run the test user's ~/.bashrc first (Debian's bash does when
      // sshd starts it, unless it is a nested shell): whatever a machine's dotfiles do (here,
      // pyenv's rehash waited 60 s on a lock a killed shell had left) is not what these tests
      // test. SHLVL=1 makes bash count itself nested.
      "SetEnv SHLVL=1",
      "LogLevel ERROR",
    ].join("\n"),
  );
  writeFileSync(
    path.join(dir, "ssh_config"),
    [
      `Host ${HOST_ALIAS}`,
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      `  User ${os.userInfo().username}`,
      `  IdentityFile ${userKey}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${path.join(dir, "known_hosts")}`,
      "  StrictHostKeyChecking yes",
      "  LogLevel ERROR",
    ].join("\n"),
  );
  const ssh = path.join(dir, "ssh");
  writeFileSync(ssh, `#!/bin/sh\nexec ssh -F ${path.join(dir, "ssh_config")} "$@"\n`);
  chmodSync(ssh, 0o755);
  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    ssh,
    host: HOST_ALIAS,
    port,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
