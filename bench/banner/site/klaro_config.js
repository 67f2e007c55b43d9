// klaro 0.7.22 configured for the bike shop: the same three purposes, titles
// and descriptions as tests/data/notices/shop.json (English), one service per
// purpose (the necessary one required), nothing on by default, and its consent
// notice (accept all / decline / let me choose) shown on a first visit. Loaded
// with defer before klaro.js, as its documentation shows.
/* exported klaroConfig */ // klaro.js, loaded after this script, reads this global
var klaroConfig = {
  version: 1,
  elementID: 'klaro',
  storageMethod: 'cookie',
  cookieName: 'klaro',
  default: false,
  mustConsent: false,
  acceptAll: true,
  hideDeclineAll: false,
  groupByPurpose: true,
  showNoticeTitle: true,
  lang: 'en',
  translations: {
    en: {
      privacyPolicyUrl: 'https://velo.example/privacy',
      consentNotice: {
        title: 'Your privacy choices',
        description: 'We ask before we use your data for anything beyond running the shop. Nothing is on until you turn it on.',
        learnMore: 'Choose',
      },
      consentModal: {
        title: 'Your privacy choices',
        description: 'We ask before we use your data for anything beyond running the shop. Nothing is on until you turn it on.',
      },
      ok: 'Accept all',
      acceptAll: 'Accept all',
      decline: 'Reject all',
      purposes: {
        necessary: { title: 'Strictly necessary', description: 'Keeps your basket and your privacy choices.' },
        analytics: { title: 'Audience measurement', description: 'Counts visits so we know which pages help. Data stays with us.' },
        marketing: { title: 'Marketing', description: 'Shows you bike offers on other sites and measures our ads. Shared with our ad partner.' },
      },
      'shop-session': { title: 'Shop session', description: 'Velo GmbH' },
      matomo: { title: 'Matomo', description: 'Velo GmbH (self-hosted)' },
      adpartner: { title: 'AdPartner Pixel', description: 'AdPartner Inc.' },
    },
  },
  services: [
    { name: 'shop-session', purposes: ['necessary'], required: true, cookies: ['basket'] },
    { name: 'matomo', purposes: ['analytics'], cookies: [/^_pk_id/, /^_pk_ses/] },
    { name: 'adpartner', purposes: ['marketing'], cookies: ['_ad_uid'] },
  ],
};
