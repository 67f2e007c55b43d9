// The files consent.js fetches beside itself, by name and Subresource Integrity
// hash. web/build.mjs replaces this module with the built files' content-hashed
// names (consent-banner.<hash>.wasm …) and their sha384 digests, so a site can
// serve every one of them "immutable" and a changed byte fails to load instead
// of running. These unhashed names, without integrity, are what an unbuilt
// source tree would fetch.
export const ASSETS = {
  'consent.css': { file: 'consent.css', integrity: '' },
  'consent-banner.wasm': { file: 'consent-banner.wasm', integrity: '' },
};
