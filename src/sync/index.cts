/**
 * `require('racecheck/sync')`: what `require('@racecheck/sync')` gives, its CommonJS build, so CommonJS
 * code gets the same classes through either name (as ES modules do through index.ts).
 */
import sync = require('@racecheck/sync');
export = sync;
