/*
 * A Worker replacement for pages opened from the file system (file://).
 *
 * Chromium refuses `new Worker(url)` on file:// pages, which breaks Material's
 * search. This script, listed in `extra.polyfills` (it must run before
 * Material's bundle), replaces `window.Worker` on file:// pages with
 * IFrameWorker: the worker script runs inside a hidden same-origin
 * (about:blank) iframe whose window is made to look like a worker's global
 * scope. Over http(s) it does nothing and the browser's Worker is used.
 *
 * What Material's search worker relies on:
 *   - `"IFrameWorker" in parent`: it then takes the base URL of its lunr
 *     language files from the first `script[src]` of its document, so the
 *     worker script must be that first script and its src must be absolute;
 *   - `yield importScripts(...)`: here importScripts returns a Promise;
 *   - global `addEventListener("message", ...)` and `postMessage(...)`.
 */
(function () {
  "use strict";
  if (location.protocol !== "file:" || "IFrameWorker" in window) return;

  class IFrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.onerror = null;
      this._queue = [];            // messages posted before the script ran
      this._ready = false;
      this._closed = false;
      const src = new URL(url, document.baseURI).href;

      // Hidden iframe without src: an about:blank document with our origin
      const frame = document.createElement("iframe");
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      frame.style.display = "none";
      (document.body || document.documentElement).appendChild(frame);
      this._frame = frame;
      const win = frame.contentWindow;
      const doc = frame.contentDocument;

      // Worker-like global scope: the iframe's own addEventListener/onmessage
      // receive what we dispatch there (see _deliver); postMessage, close and
      // importScripts are replaced
      win.postMessage = (data) => {
        if (this._closed) return;
        const copy = structuredClone(data);
        setTimeout(() => this._fire(new MessageEvent("message", { data: copy })));
      };
      win.close = () => this.terminate();
      win.importScripts = (...urls) =>
        urls.reduce(
          (done, u) => done.then(() => loadScript(doc, new URL(u, src).href)),
          Promise.resolve()
        );

      // Errors thrown in the worker script are reported as the worker's error
      // (Chromium mutes them to "Script error." as file:// scripts count as
      // cross-origin)
      win.addEventListener("error", (ev) => {
        if (this._closed) return;
        this._fire(new ErrorEvent("error", {
          message: ev.message, filename: ev.filename,
          lineno: ev.lineno, colno: ev.colno, error: ev.error
        }));
      });

      // Load the worker script (the first script[src] of the document), then
      // hand over what was posted meanwhile
      loadScript(doc, src).then(
        () => {
          this._ready = true;
          for (const data of this._queue.splice(0)) this._deliver(data);
        },
        () => this._closed || this._fire(new ErrorEvent("error", {
          message: `IFrameWorker: cannot load ${src}`, filename: src
        }))
      );
    }

    // Parent -> worker: cloned now (into the iframe's realm), like a real
    // Worker, then delivered asynchronously
    postMessage(data) {
      if (this._closed) return;
      const copy = this._frame.contentWindow.structuredClone(data);
      if (this._ready) this._deliver(copy);
      else this._queue.push(copy);
    }

    terminate() {
      this._closed = true;
      this._queue.length = 0;
      if (this._frame) this._frame.remove();
      this._frame = null;
    }

    // Dispatch a MessageEvent (built in the iframe's realm) on its window
    _deliver(data) {
      const win = this._frame.contentWindow;
      setTimeout(() => {
        if (!this._closed) win.dispatchEvent(new win.MessageEvent("message", { data }));
      });
    }

    // Worker -> parent: `on<type>` property first, then the listeners
    _fire(event) {
      const handler = this["on" + event.type];
      if (typeof handler === "function") handler.call(this, event);
      this.dispatchEvent(event);
    }
  }

  // Append a classic script to the iframe's document; resolves once it ran
  function loadScript(doc, src) {
    return new Promise((resolve, reject) => {
      const script = doc.createElement("script");
      script.src = src;
      script.async = false;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`IFrameWorker: cannot load ${src}`));
      (doc.head || doc.documentElement).appendChild(script);
    });
  }

  window.IFrameWorker = IFrameWorker;
  window.Worker = IFrameWorker;
})();
