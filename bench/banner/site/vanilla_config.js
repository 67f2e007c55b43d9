// vanilla-cookieconsent 3.1.0 configured for the bike shop: the same three
// purposes, titles and descriptions as tests/data/notices/shop.json (English),
// a consent modal (accept all / reject all / manage preferences) and a
// preferences modal with the three categories. Loaded with defer after the UMD
// bundle, as its documentation shows.
/* global CookieConsent */ // the UMD bundle loaded before this script
CookieConsent.run({
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: {},
    marketing: {},
  },
  guiOptions: {
    consentModal: { layout: 'box wide', position: 'bottom center', equalWeightButtons: true },
    preferencesModal: { layout: 'box', equalWeightButtons: true },
  },
  language: {
    default: 'en',
    translations: {
      en: {
        consentModal: {
          title: 'Your privacy choices',
          description: 'We ask before we use your data for anything beyond running the shop. Nothing is on until you turn it on.',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          showPreferencesBtn: 'Choose',
        },
        preferencesModal: {
          title: 'Your privacy choices',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          savePreferencesBtn: 'Save choices',
          closeIconLabel: 'Close',
          sections: [
            { title: 'Strictly necessary', description: 'Keeps your basket and your privacy choices.', linkedCategory: 'necessary' },
            { title: 'Audience measurement', description: 'Counts visits so we know which pages help. Data stays with us.', linkedCategory: 'analytics' },
            { title: 'Marketing', description: 'Shows you bike offers on other sites and measures our ads. Shared with our ad partner.', linkedCategory: 'marketing' },
          ],
        },
      },
    },
  },
});
