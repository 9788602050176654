/**
 * A unix socket that stays where clients look for it: it listens at a path, and listens there
 * again when the path is gone (a temp-folder cleaner, a careless rm) while the process lives, as
 * tmux's server does when sent SIGUSR1, but unasked. Each listening is a net.Server with the
 * same connection handler; connections already open are not touched by any of it.
 */
import { promises as fsp } from "node:fs";
import net from "node:net";

export class SocketAtPath {
  private readonly servers: net.Server[] = [];
  private closed = false;

  /**
   * `onError` hears what goes wrong on a socket once it listens (an accept that fails: EMFILE
   * where libuv cannot make room, ENOMEM): the socket goes on. Without a listener, net.Server
   * throws the error out of the event loop, and the process dies of a passing shortage.
   */
  constructor(
    readonly path: string,
    private readonly onConnection: (socket: net.Socket) => void,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Listens at the path, mode 0600; rejects as net.Server's listen does (EADDRINUSE: taken). */
  async listen(): Promise<void> {
    const server = net.createServer(this.onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => {
        server.off("error", reject);
        server.on("error", (error) => this.onError(error));
        resolve();
      });
    });
    this.servers.push(server);
    await fsp.chmod(this.path, 0o600);
  }

  /**
   * Listens again if nothing is at the path any more, and says whether it did; whatever is there
   * (this socket, or one another process put there since) is left alone.
   */
  async ensure(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await fsp.lstat(this.path);
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return false;
    }
    if (this.closed) return false;
    await this.listen();
    return true;
  }

  /** Stops listening (the socket's file goes with it); open connections stay until closed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.servers
        .splice(0)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
