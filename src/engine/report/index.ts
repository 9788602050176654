export { buildRunReport, type GitFacts, type ReportSources } from "./build.js";
export { collectRunReport } from "./collect.js";
export { renderHtml } from "./html.js";
export { renderMarkdown, timeSummary } from "./markdown.js";
export { timelineSvg } from "./timeline.js";
export * from "./types.js";
