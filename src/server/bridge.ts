/**
 * `tower server --stdio`: the protocol on stdin and stdout, for a client that reached this
 * machine through SSH (`ssh host tower server --stdio`). It does not host a room itself: the
 * agents must outlive the SSH link, so it joins the repository's server (starting one in the
 * background when none runs) and passes bytes between the link and the server's socket.
 *
 * Only the client's hello is read here: SSH has authenticated the user, who runs this process,
 * so the bridge reads the room's token (0600 in a 0700 folder of that user) and puts it in the
 * hello before passing it on. After the hello every byte is piped as it is, with the streams'
 * own backpressure: a slow link stops the bridge reading the socket, so the server sees a slow
 * client and keeps only the latest frames for it.
 */
import net from "node:net";
import { encodeFrame, FrameDecoder, type Message } from "../room/protocol/framing.js";
import { readToken } from "../room/protocol/token.js";
import { roomSocketPath } from "../room/protocol/unix-socket.js";

export interface BridgeStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The first message on `input`, and the bytes that came after it in the same chunks. */
function readFirstMessage(
  input: NodeJS.ReadableStream,
): Promise<{ message: Message; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const { messages, error } = decoder.push(chunk);
      if (error) return done(() => reject(error));
      const [message] = messages;
      if (!message) return;
      // The bytes of this chunk past the first frame belong to what follows it.
      const all = Buffer.concat(chunks);
      const rest = all.subarray(4 + all.readUInt32BE(0));
      done(() => resolve({ message, rest }));
    };
    const onEnd = () =>
      done(() => reject(new Error("the client closed the connection before its hello")));
    const done = (then: () => void) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.pause();
      then();
    };
    input.on("data", onData);
    input.on("end", onEnd);
  });
}

/**
 * Passes the client on `streams` to the server whose private folder is `dir`. Resolves when
 * either side has closed.
 */
export async function bridgeStdio(dir: string, streams: BridgeStreams): Promise<void> {
  const { input, output } = streams;
  const { message, rest } = await readFirstMessage(input);
  const token = await readToken(dir);
  const socket = net.connect(roomSocketPath(dir));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const hello = message.type === "hello" ? { ...message, token } : message;
  socket.write(encodeFrame(hello));
  if (rest.length > 0) socket.write(rest);
  await new Promise<void>((resolve) => {
    const finish = () => {
      socket.destroy();
      resolve();
    };
    socket.on("close", finish);
    socket.on("error", finish);
    input.on("end", () => socket.end());
    input.on("close", () => socket.end());
    output.on("error", finish);
    input.pipe(socket);
    socket.pipe(output as NodeJS.WritableStream, { end: true });
    input.resume();
  });
}
