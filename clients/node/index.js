// @consent-sdk/client: consentd's backend client and a local consent mirror (issue #15).
'use strict';
const { ConsentClient, ConsentError } = require('./client.js');
const { Mirror, STALE } = require('./mirror.js');
const { loadWasmCore } = require('./wasm_core.js');

module.exports = { ConsentClient, ConsentError, Mirror, STALE, loadWasmCore };
