// Node's built-in WebSocket (undici; `node --experimental-websocket` on
// Node 20, on by default from 22) as a client of logwhy-wsd, for
// tests/wsd_clients.py. usage: node --experimental-websocket
// wsd_builtin_client.js URL PROTOCOL... Prints what a user's script
// would: the protocol on open, each message, then the close event's
// fields; with a welcome it sends a ping and closes 1000 after the pong.
'use strict';

const util = require('util');

const [url, ...protocols] = process.argv.slice(2);
const ws = new WebSocket(url, protocols);
const timer = setTimeout(() => {
  console.log('timeout: no close within 10 s');
  process.exit(3);
}, 10000);

ws.onopen = () => console.log('open', JSON.stringify(ws.protocol));
ws.onmessage = (e) => {
  console.log('message', e.data);
  const m = JSON.parse(e.data);
  if (m.type === 'connection_established') ws.send(JSON.stringify({ type: 'ping' }));
  else if (m.type === 'pong') ws.close(1000, 'done');
};
ws.onerror = (e) => {
  console.log('error', e.message || e.type);
  // a refused handshake fires no close event in Node 20's undici
  setTimeout(() => process.exit(1), 500).unref();
};
ws.onclose = (e) => {
  // one line, as a log keeps it (util.inspect folds past 72 columns)
  console.log('CloseEvent', util.inspect({ wasClean: e.wasClean, code: e.code, reason: e.reason },
    { breakLength: Infinity }));
  clearTimeout(timer);
};
