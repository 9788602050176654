export * from "./comments.js";
export * from "./diff.js";
export * from "./prompt.js";
