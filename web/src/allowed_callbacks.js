// Consent.whenAllowed(purposes, fn): the site's own code for a purpose, run the first moment every purpose
// named is allowed on this page, or at once if it already is. It keeps the promise a gated script keeps
// (gating.js) for code the site would rather keep in its own bundle than in a <script type="text/plain">:
// tarteaucitron's `js`, Klaro's and vanilla-cookieconsent's callbacks. It runs once, before the gated
// elements, in the click's own task: a function the page already compiled starts sooner than a script
// element the browser must compile first (bench/banner: ~0.3 ms for the first inline script of a page).
// A later withdrawal cannot undo what it did; Consent.on('change') tells the site's code to stop.
//
// Before consent.js has run (its tag is async), the site queues the same call:
//   (window.ConsentQueue = window.ConsentQueue || []).push(['whenAllowed', 'analytics', () => { … }]);

function purposeList(purposes) {
  const list = Array.isArray(purposes) ? purposes.map(String) : String(purposes == null ? '' : purposes).split(/\s+/);
  return list.filter(Boolean);
}

export class AllowedCallbacks {
  constructor() {
    this.waiting = [];
  }

  /**
   * purposes: "analytics", "analytics marketing" (all of them) or an array; allowed(purpose) is asked now.
   * Returns a function that cancels fn if it has not run yet.
   */
  add(purposes, fn, allowed) {
    const list = purposeList(purposes);
    if (!list.length) throw new TypeError('Consent.whenAllowed: name at least one purpose');
    if (typeof fn !== 'function') throw new TypeError('Consent.whenAllowed: the second argument must be a function');
    const entry = { purposes: list, fn };
    this.waiting.push(entry);
    this.run(allowed);
    return () => { this.waiting = this.waiting.filter((e) => e !== entry); };
  }

  /** Runs (once, in the order they were added) every waiting callback whose purposes are all allowed now. */
  run(allowed) {
    if (!this.waiting.length) return;
    const ready = this.waiting.filter((e) => e.purposes.every((p) => allowed(p)));
    if (!ready.length) return;
    this.waiting = this.waiting.filter((e) => !ready.includes(e));
    for (const e of ready) {
      try { e.fn(); } catch (error) { setTimeout(() => { throw error; }); }  // one broken callback stops nothing else
    }
  }
}

/**
 * Takes over window.ConsentQueue: what the site queued before consent.js ran is carried out now, and a
 * push from then on is carried out at once. Only 'whenAllowed' is a command; anything else is reported.
 */
export function drainQueue(win, api) {
  const queued = Array.isArray(win.ConsentQueue) ? win.ConsentQueue : [];
  const perform = (command) => {
    const [name, ...args] = Array.isArray(command) ? command : [];
    if (name !== 'whenAllowed') {
      console.error('consent.js: ConsentQueue: unknown command ' + JSON.stringify(String(name)));
      return;
    }
    try { api.whenAllowed(...args); } catch (error) { console.error('consent.js: ConsentQueue: ' + error.message); }
  };
  win.ConsentQueue = { push: (...commands) => { commands.forEach(perform); return 0; } };
  queued.forEach(perform);
}
