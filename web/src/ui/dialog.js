// The banner's two layers and the persistent "Privacy choices" control, drawn
// from the core's view model. The core decides what is shown and what is on;
// this file only lays it out. Every text comes from the view (the notice or the
// core's built-in labels) and enters the page as text.
import { h, safeUrl } from './dom.js';
import { FocusTrap } from './focus.js';

const FALLBACK_NOT_RECORDED = 'Your last choice could not be recorded. Please choose again.';

function lifetime(lang, days) {
  try {
    return new Intl.NumberFormat(lang, { style: 'unit', unit: 'day', unitDisplay: 'long' }).format(days);
  } catch (e) {
    return String(days);
  }
}

export class Dialog {
  /** on: {accept(), reject(), save(choices), download(), close(), choose()}; choose: the second layer opens from the first. */
  constructor(doc, on) {
    this.doc = doc;
    this.on = on;
    this.root = h(doc, 'div', { class: 'cs-root', 'data-consent-ui': '' });
    this.panel = null;
    this.reopen = null;
    this.trap = null;
    this.layer = 0;
    this.onReopen = null;
  }

  _mount() {
    if (!this.root.isConnected) this.doc.body.appendChild(this.root);
  }

  _buttons(view, withChoose) {
    const L = view.labels;
    const b = (action, label, handler) =>
      h(this.doc, 'button', { type: 'button', class: 'cs-btn', 'data-action': action, onclick: handler }, label);
    const row = [b('accept', L.accept_all, () => this.on.accept()), b('reject', L.reject_all, () => this.on.reject())];
    row.push(withChoose ? b('choose', L.choose, () => { if (this.on.choose) this.on.choose(); this.showChoices(view, true); })
      : b('save', L.save, () => this.on.save(this._choices())));
    return h(this.doc, 'div', { class: 'cs-actions' }, row);
  }

  _header(view, heading) {
    const doc = this.doc;
    const policy = safeUrl(view.policy_url);
    return [
      // tabindex -1: the heading takes focus when the dialog opens (not part of the Tab cycle).
      h(doc, 'h2', { id: 'cs-title', class: 'cs-title', tabindex: '-1' }, heading),
      h(doc, 'p', { id: 'cs-body', class: 'cs-body' }, view.body),
      view.gpc_applied ? h(doc, 'p', { class: 'cs-gpc', role: 'note' }, view.labels.gpc_applied) : null,
      h(doc, 'p', { class: 'cs-meta' }, [
        view.controller.name + ' · ',
        policy ? h(doc, 'a', { href: policy, target: '_blank', rel: 'noopener' }, view.labels.privacy_policy) : null,
      ]),
    ];
  }

  _purpose(view, p) {
    const doc = this.doc;
    const id = 'cs-p-' + p.id;
    const services = p.services.map((s) => h(doc, 'li', {}, [
      s.name + ' — ' + s.provider,
      s.cookies.length ? h(doc, 'ul', { class: 'cs-cookies' },
        s.cookies.map((c) => h(doc, 'li', {}, c.name + ' · ' + lifetime(view.language, c.lifetime_days)))) : null,
    ]));
    return h(doc, 'li', { class: 'cs-purpose' }, [
      h(doc, 'div', { class: 'cs-row' }, [
        h(doc, 'input', {
          type: 'checkbox', role: 'switch', id, class: 'cs-switch', 'data-purpose': p.id,
          'aria-describedby': id + '-d', checked: p.checked, disabled: !p.toggleable,
        }),
        h(doc, 'label', { for: id, class: 'cs-purpose-title' }, p.title),
        p.necessary ? h(doc, 'span', { class: 'cs-always' }, view.labels.always_on) : null,
      ]),
      h(doc, 'p', { id: id + '-d', class: 'cs-desc' }, [p.description,
        p.gpc_locked ? ' ' + view.labels.gpc_applied : null]),
      services.length ? h(doc, 'details', { class: 'cs-services' }, [
        h(doc, 'summary', {}, p.services.map((s) => s.name).join(', ')),
        h(doc, 'ul', {}, services),
      ]) : null,
    ]);
  }

  _choices() {
    const out = {};
    for (const input of this.panel.querySelectorAll('input[data-purpose]:not([disabled])'))
      out[input.getAttribute('data-purpose')] = input.checked;
    return out;
  }

  _open(view, content, layer) {
    this._mount();
    this.hide(true);
    this.layer = layer;
    this.root.setAttribute('dir', view.dir);
    this.root.setAttribute('lang', view.language);
    this.panel = h(this.doc, 'div', {
      class: 'cs-dialog cs-layer-' + layer, role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': 'cs-title', 'aria-describedby': 'cs-body',
    }, content);
    this.root.insertBefore(this.panel, this.root.firstChild);
    if (this.reopen) this.reopen.hidden = true;
    const keep = this.trap;
    if (keep) keep.release();
    this.trap = new FocusTrap(this.panel, () => this.close());
    // Moving between layers keeps the element to return to on close.
    if (keep) this.trap.returnTo = keep.returnTo;
    // Focus goes to the dialog's heading, not to a button: a keyboard visitor starts from the question,
    // with no answer preselected that one Enter would give (WAI-ARIA APG dialog pattern: the first
    // focusable element, or a static element at the start of the content).
    this.trap.activate(this.doc, this.panel.querySelector('.cs-title'));
  }

  showFirst(view) {
    this._open(view, [...this._header(view, view.title), this._buttons(view, true)], 1);
  }

  /** erasable: this browser has records to delete ("Delete my records" opens its explanation first: erasure/main.js). */
  showChoices(view, fromFirst, receiptCount, erasable) {
    const doc = this.doc;
    const secondary = [];
    if (fromFirst) secondary.push(h(doc, 'button', { type: 'button', class: 'cs-link', 'data-action': 'back',
      onclick: () => this.showFirst(view) }, view.labels.back));
    if (receiptCount) secondary.push(h(doc, 'button', { type: 'button', class: 'cs-link', 'data-action': 'download',
      onclick: () => this.on.download() }, view.labels.download_receipts));
    if (erasable && view.labels.delete_records) secondary.push(h(doc, 'button', { type: 'button', class: 'cs-link',
      'data-action': 'erase', 'aria-haspopup': 'dialog', onclick: () => this.on.erase() }, view.labels.delete_records));
    this._open(view, [
      ...this._header(view, view.labels.dialog_label),
      h(doc, 'ul', { class: 'cs-purposes' }, view.purposes.map((p) => this._purpose(view, p))),
      this._buttons(view, false),
      secondary.length ? h(doc, 'div', { class: 'cs-secondary' }, secondary) : null,
    ], 2);
  }

  /**
   * A panel of another step (the erasure's, erasure/main.js) with the dialog's focus handling: content must
   * start with an h2#cs-title.cs-title (focused on opening) and a p#cs-body. Returns the panel.
   */
  showPanel(view, content, step) {
    this._open(view, content, 2);
    this.panel.setAttribute('data-step', step);
    return this.panel;
  }

  /**
   * Tells the visitor, in the open panel, that their last choice was not recorded (a live region: screen
   * readers read it out, WAI-ARIA role=status). The core's label when it has one, else English.
   */
  showStatus(view, message) {
    if (!this.panel) return;
    const text = message || (view.labels && view.labels.choice_not_recorded) || FALLBACK_NOT_RECORDED;
    const old = this.panel.querySelector('.cs-status');
    if (old) old.remove();
    this.panel.insertBefore(h(this.doc, 'p', { class: 'cs-status', role: 'status' }, text), this.panel.firstChild);
  }

  /** Closing without a choice records nothing: silence is not consent. */
  close() {
    this.hide();
    this.on.close();
  }

  hide(replacing) {
    if (this.panel) this.panel.remove();
    this.panel = null;
    this.layer = 0;
    if (replacing) return;
    if (this.reopen) this.reopen.hidden = false;
    if (this.trap) this.trap.deactivate(this.reopen);
    this.trap = null;
  }

  /**
   * Closes after a choice. The panel leaves sight in the click's task (a class: no layout forced) and the
   * DOM in the next one, with focus moving back then: removing a focused subtree and moving focus both lay
   * the page out at once, which a click that stores the choice and starts gated scripts need not wait for.
   */
  hideAfterChoice() {
    const panel = this.panel;
    const trap = this.trap;
    this.panel = null;
    this.trap = null;
    this.layer = 0;
    if (trap) trap.release();
    if (panel) panel.classList.add('cs-gone');
    if (this.reopen) this.reopen.hidden = false;
    setTimeout(() => {
      if (panel) panel.remove();
      if (trap && !this.trap) trap.deactivate(this.reopen);
    }, 0);
  }

  isOpen() { return this.layer !== 0; }

  /** The persistent control: choices can be changed or withdrawn at any time. */
  showReopen(view, onOpen) {
    this._mount();
    this.onReopen = onOpen;   // whoever drives the dialog now (the first-visit view, then the core's banner)
    if (!this.reopen) {
      this.reopen = h(this.doc, 'button', { type: 'button', class: 'cs-reopen', 'aria-haspopup': 'dialog',
        'data-action': 'privacy-choices', onclick: () => this.onReopen() });
      this.root.appendChild(this.reopen);
    }
    this.reopen.textContent = view.labels.privacy_choices;
    this.reopen.hidden = this.isOpen();
  }
}
