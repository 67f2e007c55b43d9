// What every page of the shop shares, all of it strictly necessary: the
// "Privacy choices" link in the footer, the current page in the navigation,
// and the basket (one cookie the notice lists as necessary).
'use strict';
(function () {
  for (const link of document.querySelectorAll('[data-privacy-choices]')) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      if (window.Consent) window.Consent.show();
    });
  }
  const here = location.pathname === '/' ? '/index.html' : location.pathname;
  for (const a of document.querySelectorAll('.top nav a')) {
    if (a.getAttribute('href') === here || (here === '/index.html' && a.getAttribute('href') === '/')) a.setAttribute('aria-current', 'page');
  }

  const basketCount = () => {
    const m = document.cookie.match(/(?:^|;\s*)basket=(\d+)/);
    return m ? Number(m[1]) : 0;
  };
  const showBasket = () => {
    const el = document.getElementById('basket');
    if (el) el.textContent = 'Basket: ' + basketCount();
  };
  for (const button of document.querySelectorAll('[data-add-to-basket]')) {
    button.addEventListener('click', () => {
      // A session cookie: gone when the browser closes (lifetime 0 in the notice).
      document.cookie = 'basket=' + (basketCount() + 1) + '; path=/; SameSite=Lax';
      showBasket();
    });
  }
  showBasket();
})();
