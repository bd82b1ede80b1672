// p-memoize 4.0.2 → 4.0.3: calls made before the first one settled each ran the function again.
// 4.0.2 stored a result in the cache only after the promise settled; 4.0.3 caches the pending promise.
// https://github.com/sindresorhus/p-memoize/pull/25 ("Fix consecutive non awaited calls").
//
// Three request handlers of a web app read the same remote config through a memoized fetch, as in the
// package's readme (`pMemoize(got, {maxAge: 1000})`: "This call is cached"). The config comes from a real
// HTTP server on loopback, which counts the requests it serves. Real sockets; map-age-cleaner's timers.
import http from 'node:http';
import pMemoizeBuggy from 'p-memoize-dedupe-buggy';
import pMemoizeFixed from 'p-memoize-dedupe-fixed';

function startConfigServer() {
  return new Promise((resolve, reject) => {
    const server = http.createServer((_request, response) => {
      server.hits += 1;
      response.setHeader('content-type', 'application/json');
      response.setHeader('connection', 'close');
      response.end(JSON.stringify({ theme: 'dark', hits: server.hits }));
    });
    server.hits = 0;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    // agent: false — one connection per request, closed after it, like a one-off fetch.
    http
      .get(url, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

function scenario(pMemoize, version) {
  const handler = async (state) => {
    const config = await state.loadConfig(state.url);
    return config.theme;
  };
  return {
    name: `p-memoize@${version}: three concurrent handlers load the same config through a memoized fetch`,
    setup: async () => {
      const server = await startConfigServer();
      const url = `http://127.0.0.1:${server.address().port}/config.json`;
      return { server, url, loadConfig: pMemoize(getJson, { maxAge: 1000 }) };
    },
    tasks: { home: handler, profile: handler, settings: handler },
    check: (state) => state.server.hits === 1 || `the config server was asked ${state.server.hits} times for one memoized URL`,
    teardown: (state) => new Promise((resolve) => state.server.close(() => resolve())),
  };
}

export const buggy = scenario(pMemoizeBuggy, '4.0.2');
export const fixed = scenario(pMemoizeFixed, '4.0.3');
