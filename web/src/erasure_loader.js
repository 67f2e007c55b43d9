// "Delete my records" (erasure/main.js) is not part of consent.js: a first visit
// never needs it, so its texts and steps sit in consent-erase.<hash>.js beside
// it, fetched (checked by the integrity the build wrote into assets.js) once a
// visitor opens the privacy choices that show the button.
import { ASSETS } from './assets.js';
import { loadScript } from './core_loader.js';

let loading = null;

/** Resolves to the erasure steps (window.ConsentErasure); a failed load is tried again on the next call. */
export function loadErasure(win, base) {
  if (win.ConsentErasure) return Promise.resolve(win.ConsentErasure);
  if (!loading) {
    const file = ASSETS['consent-erase.js'];
    loading = loadScript(win.document, base + file.file, file.integrity).then(() => {
      if (!win.ConsentErasure) throw new Error('consent-erase.js defined nothing');
      return win.ConsentErasure;
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}
