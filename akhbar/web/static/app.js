/* akhbar: small progressive enhancement, no framework. Every page works without it;
   with it: the light/dark switch, the service worker (offline reading), following
   hashtags and sources (kept in this browser only), saving articles for offline. */
"use strict";
(function () {
  const FOLLOWS_KEY = "akhbar-follows";
  const THEME_KEY = "akhbar-theme";
  const SAVED_CACHE = "akhbar-saved"; // the same name as pwa.SAVED_CACHE
  const RTL = new Set(["ar", "fa", "he", "ps", "ur", "ckb", "yi", "dv"]);
  const root = document.documentElement;
  const ui = root.lang || "ar";

  const dirOf = (lang) => (!lang ? "auto" : RTL.has(lang.split("-")[0].toLowerCase()) ? "rtl" : "ltr");
  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));

  function store(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function keep(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  // -- service worker ---------------------------------------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  }

  // -- light / dark -------------------------------------------------------------
  const dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const isDark = () => (root.dataset.theme ? root.dataset.theme === "dark" : !!(dark && dark.matches));
  $$(".theme-toggle").forEach((button) => {
    const show = () => button.setAttribute("aria-pressed", String(isDark()));
    button.hidden = false;
    show();
    if (dark && dark.addEventListener) dark.addEventListener("change", show);
    button.addEventListener("click", () => {
      const next = isDark() ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* not stored: this page only */ }
      show();
    });
  });

  // -- follow hashtags and sources -------------------------------------------------
  const follows = () => store(FOLLOWS_KEY, []).filter((f) => f && f.kind && f.id);
  const same = (a, b) => a.kind === b.kind && String(a.id) === String(b.id);

  $$("button[data-follow-kind]").forEach((button) => {
    const item = {
      kind: button.dataset.followKind, id: button.dataset.followId,
      name: button.dataset.followName, href: button.dataset.followHref,
    };
    const show = () => {
      const on = follows().some((f) => same(f, item));
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? button.dataset.labelOn : button.dataset.labelOff;
    };
    button.hidden = false;
    show();
    button.addEventListener("click", () => {
      const list = follows();
      const next = list.some((f) => same(f, item)) ? list.filter((f) => !same(f, item)) : list.concat([item]);
      keep(FOLLOWS_KEY, next);
      show();
    });
  });

  // -- cards built in the browser (/for-you, /saved) -----------------------------------
  // dd-mm-yyyy as the server writes card dates, in Arabic-Indic digits for the Arabic interface
  const dateFormat = (() => {
    try {
      return new Intl.DateTimeFormat(ui === "ar" ? "ar-u-nu-arab" : ui, { day: "2-digit", month: "2-digit", year: "numeric" });
    } catch (e) { return null; }
  })();
  const cardDate = (when) => {
    const parts = Object.fromEntries(dateFormat.formatToParts(when).map((p) => [p.type, p.value]));
    return [parts.day, parts.month, parts.year].join("-");
  };

  function card(item) {
    const template = $("#card-template");
    const el = template.content.firstElementChild.cloneNode(true);
    if (item.lang) el.lang = item.lang;
    el.dir = dirOf(item.lang);
    const link = $(".card-title a", el);
    link.href = item.href;
    link.textContent = item.title;
    const source = $(".source", el);
    if (item.source) {
      source.href = item.sourceHref || "#";
      $("bdi", source).textContent = item.source;
    } else {
      source.remove();
    }
    const time = $("time", el);
    if (item.published) {
      time.dateTime = item.published;
      const when = new Date(item.published);
      time.textContent = item.publishedText || (dateFormat && !isNaN(when) ? cardDate(when) : item.published);
    } else {
      time.remove();
    }
    const excerpt = $(".excerpt", el);
    if (item.summary) {
      excerpt.textContent = item.summary.length > 200 ? item.summary.slice(0, 200).replace(/\s+\S*$/, "") + "…" : item.summary;
      if (item.lang) excerpt.lang = item.lang;
      excerpt.dir = dirOf(item.lang);
    } else {
      excerpt.remove();
    }
    return el;
  }

  function state(container, name) {
    $$("[data-state]", container).forEach((el) => { el.hidden = el.dataset.state !== name; });
  }

  // -- /for-you: the newest from what the reader follows ----------------------------------
  const forYou = $("#for-you");
  if (forYou) {
    const list = follows();
    const chips = $(".following", forYou);
    list.forEach((f) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      const own = typeof f.href === "string" && f.href.startsWith("/") && !f.href.startsWith("//");
      a.href = own ? f.href : (f.kind === "tag" ? "/tag/" : "/source/") + encodeURIComponent(f.id);
      const name = document.createElement("bdi");
      name.textContent = f.name || f.id;
      a.append(name);
      li.append(a);
      chips.append(li);
    });
    if (!list.length) {
      state(forYou, "empty");
    } else {
      state(forYou, "loading");
      const api = (f) => (f.kind === "tag"
        ? "/api/v1/tags/" + encodeURIComponent(f.id) + "/articles?limit=20"
        : "/api/v1/sources/" + encodeURIComponent(f.id) + "/articles?limit=20");
      Promise.all(list.map((f) => fetch(api(f), { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { items: [] }))
        .catch(() => null)))
        .then((answers) => {
          const seen = new Set();
          const items = [];
          answers.forEach((body) => (body ? body.items : []).forEach((a) => {
            if (!seen.has(a.id)) { seen.add(a.id); items.push(a); }
          }));
          items.sort((a, b) => (a.published < b.published ? 1 : a.published > b.published ? -1 : b.id - a.id));
          const cards = $(".cards", forYou);
          items.slice(0, 40).forEach((a) => cards.append(card({
            href: "/article/" + a.id, title: a.title, lang: a.lang, summary: a.summary,
            source: a.source, sourceHref: "/source/" + a.source_id, published: a.published,
          })));
          if (items.length) state(forYou, "list");
          else state(forYou, answers.every((b) => b === null) ? "error" : "nothing");
        });
    }
  }

  // -- saving articles for offline reading ---------------------------------------------------
  const canCache = "caches" in window;

  $$("button[data-save-article]").forEach((button) => {
    if (!canCache) return;
    const url = button.dataset.saveArticle;
    const show = (on) => {
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? button.dataset.labelOn : button.dataset.labelOff;
    };
    button.hidden = false;
    caches.open(SAVED_CACHE).then((cache) => cache.match(url, { ignoreVary: true })).then((hit) => show(!!hit));
    button.addEventListener("click", async () => {
      const cache = await caches.open(SAVED_CACHE);
      button.disabled = true;
      try {
        if (await cache.match(url, { ignoreVary: true })) {
          await cache.delete(url, { ignoreVary: true });
          show(false);
        } else {
          await cache.add(new Request(url, { credentials: "same-origin", cache: "reload" }));
          show(true);
        }
      } catch (e) {
        show(false);
      } finally {
        button.disabled = false;
      }
    });
  });

  // -- /saved: the saved articles, read back from the cache ---------------------------------
  const saved = $("#saved");
  if (saved) {
    if (!canCache) {
      state(saved, "error");
    } else {
      const parser = new DOMParser();
      caches.open(SAVED_CACHE)
        .then(async (cache) => {
          const requests = await cache.keys();
          const items = [];
          for (const request of requests) {
            const response = await cache.match(request, { ignoreVary: true });
            if (!response) continue;
            const doc = parser.parseFromString(await response.text(), "text/html");
            const story = $("article.story", doc);
            if (!story) continue;
            const time = $(".meta time", story);
            const source = $(".meta a.source", story);
            const body = $(".body", story);
            items.push({
              key: request, href: new URL(request.url).pathname, lang: story.getAttribute("lang"),
              title: ($("h1", story) || {}).textContent || request.url,
              source: source ? source.textContent.trim() : "", sourceHref: source ? source.getAttribute("href") : "",
              published: time ? time.getAttribute("datetime") : "", publishedText: time ? time.textContent.trim() : "",
              summary: body ? body.textContent.trim().replace(/\s+/g, " ") : "",
            });
          }
          items.sort((a, b) => (a.published < b.published ? 1 : -1));
          const cards = $(".cards", saved);
          items.forEach((item) => {
            const el = card(item);
            const remove = $("#remove-template").content.firstElementChild.cloneNode(true);
            remove.addEventListener("click", async () => {
              await cache.delete(item.key, { ignoreVary: true });
              el.remove();
              if (!$(".card", cards)) state(saved, "empty");
            });
            el.append(remove);
            cards.append(el);
          });
          state(saved, items.length ? "list" : "empty");
        })
        .catch(() => state(saved, "error"));
    }
  }
})();
