// The sections JavaScript CommonMark readers see, for
// benchmarks/viewer_agreement.py: commonmark.js (the reference
// implementation) and markdown-it with its "commonmark" preset, its default
// preset (html off, tables on, nesting limit 100) and its default preset
// with html on (as editors such as VS Code configure it). tests/test_viewers_js.py
// asks it too, one document at a time, with inline parsing on.
//
// Each line on standard input is JSON:
//   * a string (a document): the answer is one object, for each reader the
//     0-based lines of top-level level-2 ATX headings ("h2") and of
//     top-level setext headings ("setext");
//   * an array of strings: the answer is an array of such objects;
//   * {"documents": [...], "readers": [...]}: the same, only those readers.
// One line of JSON is written per line read.
//
// Only block structure matters here, so inline parsing is switched off
// (CLIPDOC_JS_FULL=1 keeps it, to check that this changes nothing).
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.CLIPDOC_JS_MODULES || path.join(here, "..", "build", "js", "node_modules");
const require = createRequire(modules + "/");
const commonmark = require("commonmark");
const markdownit = require("markdown-it");
const full = process.env.CLIPDOC_JS_FULL === "1";

const INLINE_RULES = ["inline", "linkify", "replacements", "smartquotes", "text_join"];

function blockOnly(md) {
  if (!full) md.core.ruler.disable(INLINE_RULES, true);
  return md;
}

const cmReader = new commonmark.Parser();
if (!full) cmReader.processInlines = () => {};

function commonmarkHeadings(text) {
  const h2 = [];
  const setext = [];
  for (let node = cmReader.parse(text).firstChild; node; node = node.next) {
    if (node.type !== "heading") continue;
    const [[first], [last]] = node.sourcepos;
    if (first !== last) setext.push(first - 1);
    else if (node.level === 2) h2.push(first - 1);
  }
  return { h2, setext };
}

function markdownItReader(md) {
  return (text) => {
    const h2 = [];
    const setext = [];
    for (const token of md.parse(text, {})) {
      if (token.type !== "heading_open" || token.level !== 0) continue;
      if (token.markup === "=" || token.markup === "-") setext.push(token.map[0]);
      else if (token.tag === "h2") h2.push(token.map[0]);
    }
    return { h2, setext };
  };
}

const READERS = {
  "commonmark.js": commonmarkHeadings,
  "markdown-it:commonmark": markdownItReader(blockOnly(markdownit("commonmark"))),
  "markdown-it:default": markdownItReader(blockOnly(markdownit("default"))),
  "markdown-it:default+html": markdownItReader(blockOnly(markdownit("default", { html: true }))),
};

function answer(text, names) {
  const result = {};
  for (const name of names) {
    try {
      result[name] = READERS[name](text);
    } catch (error) {
      result[name] = { error: String(error) };
    }
  }
  return result;
}

const ALL = Object.keys(READERS);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const request = JSON.parse(line);
  let reply;
  if (typeof request === "string") reply = answer(request, ALL);
  else if (Array.isArray(request)) reply = request.map((text) => answer(text, ALL));
  else {
    const names = request.readers ?? ALL;
    reply = request.documents.map((text) => answer(text, names));
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
