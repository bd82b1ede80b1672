// get-port 5.0.0 → 5.1.0: two concurrent getPort() calls in one process could be handed the same port.
// https://github.com/sindresorhus/get-port/issues/23 — 5.1.0 added in-process port locking ("Race conditions
// in the same process are mitigated against by using a lightweight locking mechanism", readme).
//
// Two services of one app start at the same time and both ask for the same preferred port, as a test
// suite or a dev server does; each then listens on the port it was given. Real loopback sockets.
import net from 'node:net';
import getPortBuggy from 'get-port-buggy';
import getPortFixed from 'get-port-fixed';

const HOST = '127.0.0.1';

/** A port the OS considers free right now (listen on 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function listen(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server));
  });
}

function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

function scenario(getPort, version) {
  const startService = (name) => async (state) => {
    const port = await getPort({ port: state.preferred, host: HOST });
    state.ports[name] = port;
    state.servers.push(await listen(port));
  };
  return {
    name: `get-port@${version}: two services started together ask for the same preferred port`,
    setup: async () => ({ preferred: await freePort(), ports: {}, servers: [] }),
    tasks: { api: startService('api'), admin: startService('admin') },
    check: (state) =>
      state.ports.api !== state.ports.admin || `both services were given port ${state.ports.api}`,
    teardown: (state) => Promise.all(state.servers.map(close)),
  };
}

export const buggy = scenario(getPortBuggy, '5.0.0');
export const fixed = scenario(getPortFixed, '5.1.1');
