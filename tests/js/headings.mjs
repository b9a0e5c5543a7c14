// The headings two JavaScript CommonMark readers see: commonmark.js (the
// reference implementation) and markdown-it (what most editors use). Reads
// one JSON string (a document) per line on standard input and writes, per
// line, a JSON object: for each reader, the 0-based lines of top-level
// level-2 ATX headings, and of top-level setext headings.
import { createInterface } from "node:readline";
import { createRequire } from "node:module";

const require = createRequire(process.env.CLIPDOC_JS_MODULES + "/");
const commonmark = require("commonmark");
const markdownit = require("markdown-it");

const markdownIt = markdownit("commonmark");
const reader = new commonmark.Parser();

function commonmarkHeadings(text) {
  const h2 = [];
  const setext = [];
  for (let node = reader.parse(text).firstChild; node; node = node.next) {
    if (node.type !== "heading") continue;
    const [[first], [last]] = node.sourcepos;
    if (first !== last) setext.push(first - 1);
    else if (node.level === 2) h2.push(first - 1);
  }
  return { h2, setext };
}

function markdownItHeadings(text) {
  const h2 = [];
  const setext = [];
  for (const token of markdownIt.parse(text, {})) {
    if (token.type !== "heading_open" || token.level !== 0) continue;
    if (token.markup === "=" || token.markup === "-") setext.push(token.map[0]);
    else if (token.tag === "h2") h2.push(token.map[0]);
  }
  return { h2, setext };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const text = JSON.parse(line);
  const answer = { commonmark: commonmarkHeadings(text), "markdown-it": markdownItHeadings(text) };
  process.stdout.write(JSON.stringify(answer) + "\n");
}
