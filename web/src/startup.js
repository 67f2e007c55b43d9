// The banner's start-up as a small state machine: named states, the events that
// move between them, and nothing else. boot.js says what happens on entering
// each state (fetch, draw, load the core); this file only says which moves are
// allowed, so every path is one line of the table and tested on its own.
//
//   fetchingView  a first visit: waiting for consentd's first-visit view and the page's DOM
//   asking        the first layer is on screen, drawn from that view; no wasm core
//   answered      the visitor chose on the first layer: the server's core said what that
//                 allows (click_outcome), carried out here; still no wasm core
//   loadingCore   the wasm core, the notice and the DOM are on their way (a returning
//                 visitor; the second layer; another tab chose; a refusal; no view came)
//   running       the core's banner runs the page (banner.js)
//   failed        the core could not start: nothing gated runs (fail closed)
//
// An event a state has no move for is ignored (a late answer, a second click).

export const TRANSITIONS = {
  idle: { firstVisit: 'fetchingView', returning: 'loadingCore' },
  fetchingView: { viewShown: 'asking', viewFailed: 'loadingCore' },
  asking: { answered: 'answered', coreNeeded: 'loadingCore' },
  answered: { coreNeeded: 'loadingCore' },
  loadingCore: { coreReady: 'running', coreFailed: 'failed' },
  running: {},
  failed: {},
};

export class Startup {
  /** onEnter: {state: (data, from) => void}, called after each move into that state. */
  constructor(onEnter, transitions = TRANSITIONS) {
    this.state = 'idle';
    this.onEnter = onEnter || {};
    this.transitions = transitions;
    this.history = ['idle'];
  }

  /** Moves on event when the current state has a move for it; returns whether it moved. */
  send(event, data) {
    const next = this.transitions[this.state][event];
    if (!next) return false;
    const from = this.state;
    this.state = next;
    this.history.push(next);
    const enter = this.onEnter[next];
    if (enter) enter(data, from);
    return true;
  }
}
