// consent.js: the one script a site adds (an async classic script). Its
// settings are the data- attributes of its own tag (config.js).
import { pushDefaults } from './consent_mode.js';
import { readConfig } from './config.js';
import { boot } from './boot.js';

// Consent Mode defaults first, before anything else on the page can ask (even
// when the tag turns out to be misconfigured).
pushDefaults(window);
boot(window, readConfig(document));
