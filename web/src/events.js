// Listeners of Consent.on(…) and the DOM event consent:change, both told
// synchronously, in the task of the click that changed something.

export class Events {
  constructor(doc) {
    this.doc = doc;
    this.listeners = {};
  }

  on(name, fn) {
    (this.listeners[name] = this.listeners[name] || []).push(fn);
    return () => { this.listeners[name] = (this.listeners[name] || []).filter((f) => f !== fn); };
  }

  emit(name, detail) {
    for (const fn of (this.listeners[name] || []).slice()) {
      try { fn(detail); } catch (e) { setTimeout(() => { throw e; }); }  // one broken listener does not stop the rest
    }
    this.doc.dispatchEvent(new CustomEvent('consent:' + name, { detail }));
  }
}
