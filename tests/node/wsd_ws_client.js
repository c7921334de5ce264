'use strict';
// npm's ws as a real third-party client of logwhy-wsd: the application
// protocol (welcome, ping/pong, chat's five agent events, echo up to 1 MiB),
// each fault's close code and reason as ws reports them, and SIGTERM's 1001.
// usage: node wsd_ws_client.js WSD TMPDIR. Ends with "N passed, N failed".
// Every server pid goes to TMPDIR/pids so the shell wrapper can kill
// leftovers if this script is itself killed.

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const WebSocket = require('ws');

const [wsd, tmp] = process.argv.slice(2);
const STEP_MS = 10000;   // generous: CI machines are slow and shared
let pass = 0;
let fail = 0;

function ok(name) { pass++; console.log(`ok   ${name}`); }
function bad(name, why) { fail++; console.log(`FAIL ${name}: ${why}`); }
function check(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g === w) ok(name); else bad(name, `got ${g}, want ${w}`);
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function withTimeout(p, what, ms = STEP_MS) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out`)), ms); }),
  ]);
}

let serial = 0;
async function startServer(args, env) {
  const portFile = path.join(tmp, `node-port.${process.pid}.${serial++}`);
  const log = fs.openSync(path.join(tmp, `node-wsd.${serial}.log`), 'w');
  const child = spawn(wsd, ['--listen', '127.0.0.1', '--port', '0', '--port-file', portFile, ...args],
    { stdio: ['ignore', log, log], env: { ...process.env, ...(env || {}) } });
  fs.closeSync(log);
  fs.appendFileSync(path.join(tmp, 'pids'), `${child.pid}\n`);
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  for (let i = 0; i < 200; i++) {
    try {
      const port = parseInt(fs.readFileSync(portFile, 'utf8'), 10);
      if (port > 0) return { child, port, exited, url: `ws://127.0.0.1:${port}/ws` };
    } catch (e) { /* not written yet */ }
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error(`logwhy-wsd ${args.join(' ')} did not start`);
}

async function stopServer(s) {
  s.child.kill('SIGTERM');
  try {
    return await withTimeout(s.exited, 'server exit', 5000);
  } catch (e) {
    s.child.kill('SIGKILL');
    return s.exited;
  }
}

// A client with a message queue: next() resolves with the next message.
function connect(url, opts) {
  const ws = new WebSocket(url, opts);
  const queue = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const m = { data, isBinary };
    if (waiters.length) waiters.shift()(m); else queue.push(m);
  });
  const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const opened = new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.on('error', () => { /* reported through close */ });
  const next = () => withTimeout(new Promise((r) => {
    if (queue.length) r(queue.shift()); else waiters.push(r);
  }), 'next message');
  return { ws, next, closed, opened: withTimeout(opened, 'open') };
}

async function json(c) {
  const m = await c.next();
  return JSON.parse(m.data.toString());
}

async function healthy() {
  const s = await startServer(['--fault', 'none']);
  try {
    const c = connect(s.url);
    await c.opened;
    ok('none: ws connects (handshake accepted by ws)');
    const w = await json(c);
    check('none: welcome', [w.type, typeof w.connection_id], ['connection_established', 'string']);

    c.ws.send(JSON.stringify({ type: 'ping' }));
    check('none: ping -> pong', (await json(c)).type, 'pong');

    c.ws.send(JSON.stringify({ type: 'chat', message: 'why 1011?' }));
    const types = [];
    let last;
    for (let i = 0; i < 5; i++) { last = await json(c); types.push(last.type); }
    check('none: chat -> the five agent events in order', types,
      ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed']);
    check('none: agent_completed carries the result', last.result, 'why 1011?');

    const text = 'héllo, wörld ✓ \u{1F600}';
    c.ws.send(text);
    let m = await c.next();
    check('none: text echoed unchanged', [m.isBinary, m.data.toString()], [false, text]);

    const bin = Buffer.alloc(1000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + 7) & 255;
    c.ws.send(bin);
    m = await c.next();
    check('none: binary echoed unchanged', [m.isBinary, Buffer.compare(m.data, bin)], [true, 0]);

    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 255;
    c.ws.send(big);
    m = await c.next();
    check('none: 1 MiB binary echoed unchanged', [m.data.length, Buffer.compare(m.data, big)], [1 << 20, 0]);

    const bigText = 'x'.repeat((1 << 20) - 3) + 'end';
    c.ws.send(bigText);
    m = await c.next();
    check('none: 1 MiB text echoed unchanged', [m.isBinary, m.data.length, m.data.toString() === bigText],
      [false, 1 << 20, true]);

    // a control-frame ping from the client: the server answers with a pong
    const pong = withTimeout(new Promise((r) => c.ws.once('pong', (d) => r(d.toString()))), 'pong');
    c.ws.ping('are you there');
    check('none: ws ping -> identical pong', await pong, 'are you there');

    c.ws.close(1000, 'done');
    const cl = await withTimeout(c.closed, 'close');
    check('none: client close 1000 echoed', cl.code, 1000);
  } catch (e) {
    bad('none', e.message);
  } finally {
    await stopServer(s);
  }
}

async function faultClose(name, args, wantCode, wantReason, env, opts) {
  const s = await startServer(args, env);
  try {
    const c = connect(s.url, opts);
    await c.opened;
    const got = [];
    c.ws.on('message', (d) => got.push(d.toString()));
    const cl = await withTimeout(c.closed, 'close');
    check(`${name}: ws reports close ${wantCode} "${wantReason}"`, [cl.code, cl.reason], [wantCode, wantReason]);
    check(`${name}: no welcome before the close`, got.length, 0);
  } catch (e) {
    bad(name, e.message);
  } finally {
    await stopServer(s);
  }
}

async function e2eHeader() {
  const s = await startServer(['--fault', 'e2e-env']);
  try {
    const c = connect(s.url, { headers: { 'X-E2E-Testing': 'true' } });
    await c.opened;
    check('e2e-env + X-E2E-Testing: true: welcome', (await json(c)).type, 'connection_established');
    c.ws.send(JSON.stringify({ type: 'ping' }));
    check('e2e-env + X-E2E-Testing: true: ping -> pong', (await json(c)).type, 'pong');
    c.ws.close(1000);
    check('e2e-env + X-E2E-Testing: true: closes with 1000', (await withTimeout(c.closed, 'close')).code, 1000);
  } catch (e) {
    bad('e2e-env + header', e.message);
  } finally {
    await stopServer(s);
  }
}

async function sigterm() {
  const s = await startServer(['--fault', 'none']);
  try {
    const c = connect(s.url);
    await c.opened;
    await json(c);
    s.child.kill('SIGTERM');
    const cl = await withTimeout(c.closed, 'close');
    check('SIGTERM: ws reports 1001', cl.code, 1001);
    const ex = await withTimeout(s.exited, 'server exit');
    check('SIGTERM: server exits 0', [ex.code, ex.sig], [0, null]);
  } catch (e) {
    bad('SIGTERM', e.message);
    s.child.kill('SIGKILL');
  }
}

async function main() {
  await healthy();
  await faultClose('enum-log', ['--fault', 'enum-log'], 1011, 'Internal error');
  await faultClose('missing-service', ['--fault', 'missing-service'], 1011, 'Service unavailable');
  await faultClose('startup-incomplete', ['--fault', 'startup-incomplete', '--startup-wait', '200'],
    1011, 'Service startup incomplete');
  await faultClose('e2e-env', ['--fault', 'e2e-env'], 1011, 'Factory SSOT validation failed');
  await faultClose('abort', ['--fault', 'abort'], 1006, '');
  await e2eHeader();
  await sigterm();
}

main().catch((e) => bad('driver', e.stack || e.message)).finally(() => {
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
});
