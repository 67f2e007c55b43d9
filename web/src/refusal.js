// A decision the server refused for good (outbox.js): the page falls back to
// the last state the server acknowledged — the "before" the refused entry
// kept — and the decisions queued after it are applied again on top of that
// (they become "unapplied", which the core applies: banner.js). A choice made
// before the core ran was never applied: it is only taken back.
//
// A refusal never makes anything more allowed than it is now: a purpose that is
// not granted in the state being left stays as it is, so a withdrawal the
// server did not take (an expired token, a bug) still holds in this page. This
// reads only each purpose record's "state" (the core's state JSON); whether a
// grant still counts is the core's to say, and it is asked again at once.

function merged(before, applied) {
  const out = {};
  for (const id of new Set(Object.keys(before).concat(Object.keys(applied)))) {
    const was = before[id];
    const now = applied[id];
    const regrant = was && was.state === 'granted' && !(now && now.state === 'granted');
    const record = regrant ? now : was;
    if (record) out[id] = record;
  }
  return out;
}

/** Carries a refusal out in storage; entry: the refused outbox entry, later: the entries queued after it. */
export function revertRefused(store, entry, later) {
  const id = entry.request.decision_id;
  const unapplied = store.get('unapplied', []);
  const wasApplied = !unapplied.some((r) => r.decision_id === id);
  const next = unapplied.filter((r) => r.decision_id !== id);
  if (wasApplied) {
    store.set('state', merged(entry.before || {}, store.get('state', {})));
    for (const e of later) if (!next.some((r) => r.decision_id === e.request.decision_id)) next.push(e.request);
  }
  store.set('unapplied', next);
}
