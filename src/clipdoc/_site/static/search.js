// clipdoc site search: runs in the browser, offline, from file:// too.
// The index is a set of scripts that call clipdocSearch: docs() (the
// shards, documents and block size, in search/docs.js), shard() (the
// postings of the tokens whose first three characters fall in it,
// search/s<N>.js) and block() (the page, title, day, source, start of the
// text and URL of a few documents, search/d<N>.js), and text() (the whole
// text of one, search/t/<page>.js, for a result whose words are past the
// start of its text). A query loads the shards
// of its words and the blocks of the results it shows. A word of three
// characters or more finds every token it begins ("diffus": diffusion),
// and a word ending in a single "s" finds the word without it too
// ("transformers": transformer). Results are built with DOM methods and
// textContent: no text from the index is ever parsed as HTML.
(function () {
  "use strict";

  // The CJK characters, as search.py has them: one class, three uses.
  var CJK_CLASS = "[\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{2fa1f}]";
  var CJK = new RegExp(CJK_CLASS + "+", "gu");
  var WORD = /[\p{L}\p{N}]+/gu;
  var PAGE = 20;
  var SHARDS_AT_ONCE = 6;
  var CJK_ANY = new RegExp(CJK_CLASS, "u");
  var CJK_ONE = new RegExp("^" + CJK_CLASS, "u");
  var LATIN_ANY = /[A-Za-z\u00c0-\u024f]/;
  var CJK_LAST = new RegExp(CJK_CLASS + "$", "u");
  var WORD_REST = new RegExp("(?:(?!" + CJK_CLASS + ")[\\p{L}\\p{N}])+", "uy");

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

  // 32-bit FNV-1a of the UTF-8 bytes of the token's first three
  // characters, as in search.py: shard_of().
  function shardOf(token, shards) {
    var key = Array.from(token).slice(0, 3).join("");
    var value = 0x811c9dc5;
    var bytes = new TextEncoder().encode(key);
    for (var i = 0; i < bytes.length; i++) {
      value = Math.imul(value ^ bytes[i], 0x01000193) >>> 0;
    }
    return value % shards;
  }

  var state = {
    shards: 0, count: 0, blockSize: 1, tables: {}, blocks: {}, texts: new Map(), waiting: {},
  };

  function load(src) {
    if (!state.waiting[src]) {
      state.waiting[src] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = function () { reject(new Error(src)); };
        document.head.appendChild(script);
      });
    }
    return state.waiting[src];
  }

  function root() {
    return document.documentElement.getAttribute("data-root") || "";
  }

  function own(table, key) {
    return Object.prototype.hasOwnProperty.call(table, key);
  }

  // What a query word finds: a prefix of three characters or more (the
  // final "s" of a word of five letters or more taken off, unless it ends
  // in "ss", "us" or "is": models, agents, but not news, bias or focus),
  // else the token itself.
  function searched(word) {
    var letters = Array.from(word);
    if (CJK_ONE.test(word)) return { prefix: null, token: word };
    if (letters.length >= 5 && /[a-z]s$/.test(word) && !/(ss|us|is)$/.test(word)) {
      return { prefix: letters.slice(0, -1).join(""), token: null };
    }
    if (letters.length >= 3) return { prefix: word, token: null };
    return { prefix: null, token: word };
  }

  // The tokens of a shard a query word finds.
  function found(word) {
    var table = state.tables[shardOf(word, state.shards)] || {};
    var search = searched(word);
    if (search.token !== null) return own(table, search.token) ? [search.token] : [];
    return Object.keys(table).filter(function (token) {
      return token.lastIndexOf(search.prefix, 0) === 0;
    });
  }

  // Documents holding every word: id -> how many of the words are in its
  // title. A token's entry is [all, in title], each a list of document
  // numbers, ascending, delta-encoded.
  function matches(words) {
    var scores = null;
    words.forEach(function (word) {
      var all = new Set();
      var inTitle = new Set();
      found(word).forEach(function (token) {
        var entry = state.tables[shardOf(word, state.shards)][token];
        decode(entry[0]).forEach(function (id) { all.add(id); });
        decode(entry[1]).forEach(function (id) { inTitle.add(id); });
      });
      var next = new Map();
      all.forEach(function (id) {
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
    var text = own(messages, key) && typeof messages[key] === "string" ?
      messages[key] : ENGLISH[key];
    return text.replace(/\{(count|query|error)\}/g, function (whole, name) {
      return values && own(values, name) ? String(values[name]) : whole;
    });
  }

  // The words to mark in a result: each word's prefix or token.
  function marker(words) {
    var terms = words.map(function (word) {
      var search = searched(word);
      return search.prefix !== null ? search.prefix : search.token;
    }).filter(Boolean).sort(function (a, b) { return b.length - a.length; });
    if (terms.length === 0) return null;
    var escaped = terms.map(function (term) {
      return term.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    });
    return new RegExp(escaped.join("|"), "giu");
  }

  // ``text`` folded as the index folds its words (NFKC, lower case), with
  // the span of ``text`` each code unit comes from: a character and the
  // marks after it fold together, so that a match maps back to whole
  // characters ("ＡＩ" and "ﬁ" are found as "ai" and "fi", and marked).
  function folded(text) {
    var whole = text.normalize("NFKC").toLowerCase();
    if (whole.length === text.length && text.normalize("NFKC") === text) {
      return { text: whole, starts: null, ends: null };
    }
    var out = [];
    var starts = [];
    var ends = [];
    var at = 0;
    (text.match(/.\p{M}*/gsu) || []).forEach(function (cluster) {
      var fold = cluster.normalize("NFKC").toLowerCase();
      for (var i = 0; i < fold.length; i++) {
        starts.push(at);
        ends.push(at + cluster.length);
      }
      out.push(fold);
      at += cluster.length;
    });
    return { text: out.join(""), starts: starts, ends: ends };
  }

  // Where ``pattern`` matches ``text`` folded: [start, end] spans of
  // ``text``, in order and apart. Matches that overlap are one span (大模型
  // is matched by 大模 and 模型), and a match that ends inside a Latin word
  // is taken to its end (diffus: diffusion; transformers: transformer, and
  // its s).
  function spans(text, pattern) {
    var found = [];
    if (pattern === null) return found;
    var fold = folded(text);
    pattern.lastIndex = 0;
    var match;
    while ((match = pattern.exec(fold.text)) !== null && match[0]) {
      var stop = match.index + match[0].length;
      if (!CJK_LAST.test(match[0])) {
        WORD_REST.lastIndex = stop;
        if (WORD_REST.exec(fold.text) !== null) stop = WORD_REST.lastIndex;
      }
      var start = fold.starts === null ? match.index : fold.starts[match.index];
      var end = fold.ends === null ? stop : fold.ends[stop - 1];
      var previous = found[found.length - 1];
      if (previous !== undefined && start <= previous[1]) {
        previous[1] = Math.max(previous[1], end);
      } else {
        found.push([start, end]);
      }
      // The next match may start inside this one: one character on.
      pattern.lastIndex = match.index + (fold.text.codePointAt(match.index) > 0xffff ? 2 : 1);
    }
    return found;
  }

  // ``text`` into ``element``, each match of ``pattern`` in a <mark>; the
  // element says its language when it is not the page's, as the site's own
  // pages do: Chinese for text with CJK characters, else English for text
  // with Latin letters.
  function marked(element, text, pattern) {
    var at = 0;
    var lang = CJK_ANY.test(text) ? "zh" : LATIN_ANY.test(text) ? "en" : null;
    if (lang !== null && lang !== document.documentElement.lang) element.lang = lang;
    spans(text, pattern).forEach(function (span) {
      element.appendChild(document.createTextNode(text.slice(at, span[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(span[0], span[1]);
      element.appendChild(mark);
      at = span[1];
    });
    element.appendChild(document.createTextNode(text.slice(at)));
  }

  // A window of the text around the first match (its start when none).
  function snippet(text, pattern) {
    var found = spans(text, pattern);
    var start = found.length > 0 ? Math.max(0, found[0][0] - 40) : 0;
    if (start > 0 && /[\udc00-\udfff]/.test(text.charAt(start))) start -= 1;
    var end = Math.min(text.length, start + 180);
    if (end < text.length && /[\ud800-\udbff]/.test(text.charAt(end - 1))) end -= 1;
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  // A query's words: its tokens, without a URL's scheme (the index holds
  // none) and, for a run of CJK characters, only its pairs when it has any
  // (a pair holds its characters: they would load more and find nothing
  // more).
  function queryWords(query) {
    var all = tokens(query.replace(/[a-z][a-z0-9+.-]*:\/\//gi, " "));
    var pairs = new Set();
    all.forEach(function (token) {
      var letters = Array.from(token);
      if (letters.length === 2 && CJK_ONE.test(token)) {
        letters.forEach(function (letter) { pairs.add(letter); });
      }
    });
    return Array.from(new Set(all.filter(function (token) {
      return !(Array.from(token).length === 1 && pairs.has(token));
    })));
  }

  // What the status line echoes of a query: its first eighty characters.
  function shortened(query) {
    var letters = Array.from(query);
    return letters.length <= 80 ? query : letters.slice(0, 80).join("") + "…";
  }

  function block(id) {
    return Math.floor(id / state.blockSize);
  }

  function show(query) {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-more");
    list.textContent = "";
    more.hidden = true;
    var words = queryWords(query);
    if (!query.trim()) return;
    if (words.length === 0) {
      status.textContent = say("short");
      return;
    }
    status.textContent = say("searching");
    var shards = words.map(function (t) { return shardOf(t, state.shards); });
    var needed = Array.from(new Set(shards));
    // The shards a few at a time: when the words of those loaded already
    // have no document in common, the others cannot add one (a long query
    // loads what it needs to find nothing, not every shard of its words).
    function documentsOf(start) {
      var batch = needed.slice(start, start + SHARDS_AT_ONCE);
      return Promise.all(batch.map(function (number) {
        return load(root() + "search/s" + number + ".js");
      })).then(function () {
        var done = start + batch.length;
        if (done >= needed.length) return matches(words);
        var partial = matches(words.filter(function (word, i) {
          return needed.indexOf(shards[i]) < done;
        }));
        return partial.size === 0 ? partial : documentsOf(done);
      });
    }
    documentsOf(0).then(function (scores) {
      var ids = Array.from(scores.keys()).sort(function (a, b) {
        return scores.get(b) - scores.get(a) || a - b;
      });
      status.textContent = say(ids.length === 1 ? "one" : "many", {
        count: ids.length,
        query: shortened(query.trim()),
      });
      var pattern = marker(words);
      var shown = 0;
      function page() {
        var next = ids.slice(shown, shown + PAGE);
        shown += next.length;
        var blocks = Array.from(new Set(next.map(block)));
        return Promise.all(blocks.map(function (number) {
          return load(root() + "search/d" + number + ".js");
        })).then(function () {
          next.forEach(function (id) {
            var item = result(id, pattern);
            list.appendChild(item);
            var unmarked = item.querySelector(".snippet mark, .url mark") === null;
            if (pattern !== null && unmarked && entry(id)[6] > 0) {
              later(id, item, pattern);
            }
          });
          more.hidden = shown >= ids.length;
        });
      }
      more.onclick = function () {
        // The button goes when the last results come: the keyboard's focus
        // goes to the first of the results it brought, not to the page.
        var first = shown;
        page().then(function () {
          var link = list.querySelectorAll(".entry-title a")[first];
          if (link) link.focus();
        }).catch(function (error) {
          status.textContent = say("failed", { error: error.message });
        });
      };
      return page();
    }).catch(function (error) {
      status.textContent = say("failed", { error: error.message });
    });
  }

  function entry(id) {
    var entries = state.blocks[block(id)] || [];
    return entries[id - block(id) * state.blockSize] || ["", "", "", "", "", "", 0];
  }

  // A result whose words are past the start of its text: the snippet is
  // cut from the part of its text that has them, its parts loaded one after
  // another until one does (search/t/<page>.js, <page>-1.js, ...).
  function later(id, item, pattern) {
    var page = entry(id)[0];
    var parts = entry(id)[6];
    var name = page.replace(/^c\//, "").replace(/\.html$/, "");
    function part(number) {
      var file = number === 0 ? name : name + "-" + number;
      load(root() + "search/t/" + file + ".js").then(function () {
        var text = state.texts.get(page + "#" + number);
        if (typeof text !== "string") return;
        if (spans(text, pattern).length === 0) {
          if (number + 1 < parts) part(number + 1);
          return;
        }
        var cut = snippet(text, pattern);
        if (number > 0 && cut.charAt(0) !== "…") cut = "…" + cut;
        var paragraph = item.querySelector(".snippet");
        if (paragraph === null) {
          paragraph = document.createElement("p");
          paragraph.className = "excerpt snippet";
          item.appendChild(paragraph);
        }
        paragraph.textContent = "";
        marked(paragraph, cut, pattern);
      }, function () {});
    }
    part(0);
  }

  function result(id, pattern) {
    var doc = entry(id);
    var item = document.createElement("li");
    item.className = "entry";
    var heading = document.createElement("h2");
    heading.className = "entry-title";
    var link = document.createElement("a");
    link.href = root() + doc[0];
    marked(link, doc[1] || say("untitled"), doc[1] ? pattern : null);
    heading.appendChild(link);
    var meta = document.createElement("p");
    meta.className = "entry-meta";
    meta.textContent = [doc[2], doc[3]].filter(Boolean).join(" · ");
    item.appendChild(heading);
    item.appendChild(meta);
    if (doc[4]) {
      var text = document.createElement("p");
      text.className = "excerpt snippet";
      marked(text, snippet(doc[4], pattern), pattern);
      item.appendChild(text);
    }
    // A word found in the address: the address, marked.
    if (doc[5] && pattern !== null && item.querySelector("mark") === null) {
      if (spans(doc[5], pattern).length > 0) {
        var address = document.createElement("p");
        address.className = "url";
        marked(address, doc[5], pattern);
        item.appendChild(address);
      }
    }
    return item;
  }

  window.clipdocSearch = {
    tokens: tokens,
    shardOf: shardOf,
    docs: function (shards, count, blockSize) {
      state.shards = shards;
      state.count = count;
      state.blockSize = blockSize;
    },
    shard: function (number, table) {
      state.tables[number] = table;
    },
    block: function (number, entries) {
      state.blocks[number] = entries;
    },
    text: function (page, part, text) {
      state.texts.set(page + "#" + part, text);
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
