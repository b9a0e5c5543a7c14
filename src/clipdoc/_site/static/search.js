// clipdoc site search: runs in the browser, offline, from file:// too.
// The index is a set of scripts (search/docs.js and search/s<N>.js) that
// call clipdocSearch.docs() and clipdocSearch.shard(); only the shards the
// query's words fall in are loaded. Results are built with DOM methods and
// textContent: no text from the index is ever parsed as HTML.
(function () {
  "use strict";

  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u{20000}-\u{2fa1f}]+/gu;
  var WORD = /[\p{L}\p{N}]+/gu;
  var PAGE = 50;

  // Must agree with clipdoc/_site/search.py: tokens().
  function tokens(text) {
    var found = [];
    var words = text.normalize("NFKC").toLowerCase().match(WORD) || [];
    words.forEach(function (word) {
      var start = 0;
      word.replace(CJK, function (run, offset) {
        plain(found, word.slice(start, offset));
        var characters = Array.from(run);
        characters.forEach(function (c) { found.push(c); });
        for (var i = 0; i + 1 < characters.length; i++) {
          found.push(characters[i] + characters[i + 1]);
        }
        start = offset + run.length;
        return run;
      });
      plain(found, word.slice(start));
    });
    return found;
  }

  function plain(found, word) {
    if (Array.from(word).length >= 2) found.push(word);
  }

  // 32-bit FNV-1a of the UTF-8 bytes, as in search.py: shard_of().
  function shardOf(token, shards) {
    var value = 0x811c9dc5;
    var bytes = new TextEncoder().encode(token);
    for (var i = 0; i < bytes.length; i++) {
      value = Math.imul(value ^ bytes[i], 0x01000193) >>> 0;
    }
    return value % shards;
  }

  var state = { docs: null, shards: 0, tables: {}, waiting: {} };

  function load(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
  }

  function loadShard(number) {
    if (!state.waiting[number]) {
      state.waiting[number] = load(root() + "search/s" + number + ".js");
    }
    return state.waiting[number];
  }

  function root() {
    return document.documentElement.getAttribute("data-root") || "";
  }

  // Documents holding every token: id -> how many of the tokens are in its
  // title. A token's entry is [all, in title], each a list of document
  // numbers, ascending, delta-encoded.
  function matches(words) {
    var scores = null;
    words.forEach(function (token) {
      var entry = state.tables[shardOf(token, state.shards)][token] || [[], []];
      var inTitle = new Set(decode(entry[1]));
      var next = new Map();
      decode(entry[0]).forEach(function (id) {
        if (scores === null || scores.has(id)) {
          next.set(id, (scores === null ? 0 : scores.get(id)) + (inTitle.has(id) ? 1 : 0));
        }
      });
      scores = next;
    });
    return scores || new Map();
  }

  function decode(deltas) {
    var id = 0;
    return deltas.map(function (delta) { return (id += delta); });
  }

  // What the page says, in the site's language: the search page carries
  // the messages (data-messages); English when it does not.
  var ENGLISH = {
    short: "Type a word of two letters or more, or a CJK character.",
    searching: "Searching…",
    one: "{count} clipping found for “{query}”",
    many: "{count} clippings found for “{query}”",
    failed: "The search index could not be loaded ({error}).",
    untitled: "(untitled)",
  };

  function say(key, values) {
    var list = document.getElementById("search-results");
    var messages = {};
    try {
      messages = JSON.parse((list && list.getAttribute("data-messages")) || "{}");
    } catch (error) {
      messages = {};
    }
    var text = Object.prototype.hasOwnProperty.call(messages, key) &&
      typeof messages[key] === "string" ? messages[key] : ENGLISH[key];
    return text.replace(/\{(count|query|error)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ?
        String(values[name]) : whole;
    });
  }

  function show(query) {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-more");
    list.textContent = "";
    more.hidden = true;
    var words = Array.from(new Set(tokens(query)));
    if (!query.trim()) return;
    if (words.length === 0) {
      status.textContent = say("short");
      return;
    }
    status.textContent = say("searching");
    var needed = Array.from(new Set(words.map(function (t) { return shardOf(t, state.shards); })));
    Promise.all(needed.map(loadShard)).then(function () {
      var scores = matches(words);
      var ids = Array.from(scores.keys()).sort(function (a, b) {
        return scores.get(b) - scores.get(a) || a - b;
      });
      status.textContent = say(ids.length === 1 ? "one" : "many", {
        count: ids.length,
        query: query,
      });
      var shown = 0;
      function page() {
        ids.slice(shown, shown + PAGE).forEach(function (id) { list.appendChild(result(id)); });
        shown += PAGE;
        more.hidden = shown >= ids.length;
      }
      more.onclick = page;
      page();
    }, function (error) {
      status.textContent = say("failed", { error: error.message });
    });
  }

  function result(id) {
    var doc = state.docs[id];
    var item = document.createElement("li");
    item.className = "entry";
    var heading = document.createElement("h2");
    heading.className = "entry-title";
    var link = document.createElement("a");
    link.href = root() + doc[0];
    link.textContent = doc[1] || say("untitled");
    heading.appendChild(link);
    var meta = document.createElement("p");
    meta.className = "entry-meta";
    meta.textContent = [doc[2], doc[3]].filter(Boolean).join(" · ");
    item.appendChild(heading);
    item.appendChild(meta);
    return item;
  }

  window.clipdocSearch = {
    tokens: tokens,
    shardOf: shardOf,
    docs: function (shards, docs) {
      state.shards = shards;
      state.docs = docs;
    },
    shard: function (number, table) {
      state.tables[number] = table;
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("search-results")) return;
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var input = document.getElementById("site-search");
    input.value = query;
    load(root() + "search/docs.js").then(function () {
      show(query);
    }, function (error) {
      document.getElementById("search-status").textContent =
        say("failed", { error: error.message });
    });
  });
})();
