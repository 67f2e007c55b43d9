// The outbox's bound. A browser that stays offline while its visitor (or a
// script clicking for them) decides again and again must not fill its storage
// with decisions: above OUTBOX_LIMIT entries, the ones whose loss changes
// nothing the server must hear are let go, in this order:
//   1. a grant-only decision (accept_all, or custom with every switch on) that
//      a later decision of the same subject follows: the later one states every
//      purpose again, and a grant not sent is only a grant not recorded;
//   2. a decision the same subject made again, identically, later on: the later
//      copy records the same choice (a withdrawal included);
//   3. a decision followed by a later reject_all of the same subject, which
//      refuses every purpose: whatever the earlier one withdrew stays withdrawn.
// The newest entry is never let go, nor a withdrawal that nothing later
// repeats or covers; the only way past the bound is distinct withdrawals one
// after another, each a click of its own.
// Whoever comes next takes over the "before" of what is let go: reverting it
// (outbox.js) must not bring back a decision that was never sent.

export const OUTBOX_LIMIT = 50;

function grantOnly(request) {
  if (request.method === 'accept_all') return true;
  const choices = Object.values(request.choices || {});
  return request.method === 'custom' && choices.length > 0 && choices.every((on) => on === true);
}

function sameChoice(a, b) {
  return a.subject_id === b.subject_id && a.method === b.method && a.notice_version === b.notice_version &&
    JSON.stringify(a.choices || null) === JSON.stringify(b.choices || null) &&
    JSON.stringify(a.purposes || null) === JSON.stringify(b.purposes || null);
}

const RULES = [
  (e, later) => grantOnly(e.request) && later.some((l) => l.request.subject_id === e.request.subject_id),
  (e, later) => later.some((l) => sameChoice(l.request, e.request)),
  (e, later) => later.some((l) => l.request.subject_id === e.request.subject_id && l.request.method === 'reject_all'),
];

function letGo(entries, index) {
  const next = entries[index + 1];
  if (next && 'before' in entries[index]) next.before = entries[index].before;
  entries.splice(index, 1);
}

/** entries (oldest first) cut down to OUTBOX_LIMIT where the rules allow; changes and returns entries. */
export function boundOutbox(entries, limit = OUTBOX_LIMIT) {
  for (const rule of RULES) {
    for (let i = 0; entries.length > limit && i < entries.length - 1;) {
      if (rule(entries[i], entries.slice(i + 1))) letGo(entries, i);
      else i++;
    }
  }
  return entries;
}
