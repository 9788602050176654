/**
 * The room's wire protocol (docs/protocol.md): framing, messages, the handshake, the token and
 * the transports. Node built-ins only: no Ink, React, node-pty, and nothing else of Tower's,
 * so a client and a server can be built on it alone.
 */
export * from "./client.js";
export * from "./framing.js";
export * from "./handshake.js";
export * from "./in-process.js";
export * from "./messages.js";
export * from "./requests.js";
export * from "./server.js";
export * from "./stdio.js";
export * from "./stream-transport.js";
export * from "./token.js";
export * from "./transport.js";
export * from "./unix-socket.js";
