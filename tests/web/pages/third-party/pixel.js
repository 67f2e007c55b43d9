// The ad partner's tag: it marks the page and sets its cookie, as real tags do.
window.marketingRan = (window.marketingRan || 0) + 1;
document.cookie = '_ad_uid=partner-123; path=/; max-age=86400';
document.body.setAttribute('data-marketing', 'running');
