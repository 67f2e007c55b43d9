// tarteaucitron.js 1.34.0 configured for the bike shop: a centred first layer with "Accept all" and
// "Reject all" (highPrivacy: nothing runs before a click), English, and one service for the shop's
// audience measurement whose js() is the gated script (the same two lines the other pages gate).
/* global tarteaucitron */ // tarteaucitron.min.js, loaded before this script
tarteaucitron.init({
  privacyUrl: 'https://velo.example/privacy',
  hashtag: '#tarteaucitron',
  cookieName: 'tarteaucitron',
  orientation: 'middle',
  highPrivacy: true,
  DenyAllCta: true,
  AcceptAllCta: true,
  showAlertSmall: false,
  cookieslist: false,
  showIcon: true,
  removeCredit: true,
  moreInfoLink: true,
  useExternalCss: false,
  mandatory: true,
});
tarteaucitron.services.velostats = {
  key: 'velostats',
  type: 'analytic',
  name: 'Audience measurement (Matomo, self-hosted)',
  uri: 'https://velo.example/privacy',
  needConsent: true,
  cookies: ['_pk_id', '_pk_ses'],
  js: function () {
    window.analyticsRan = (window.analyticsRan || 0) + 1;
    document.cookie = '_pk_id.1.abcd=visitor; path=/; max-age=86400';
  },
};
