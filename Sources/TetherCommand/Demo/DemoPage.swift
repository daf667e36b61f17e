/// The page `tether demo` serves at `/`: a Tether client in plain JavaScript (no framework, no build step),
/// written from docs/protocol.md, plus buttons that drain, kill and restart nodes through the control app.
///
/// What the client does (protocol sections 1, 2 and 7): connects through the gateway with subprotocol
/// `tether.v1`; subscribes to `demo:ticker` and `demo:chat` in `connect.subs`; handles replies
/// synchronously in frame order (so a subscribe result is applied before any later push); keeps a position
/// per channel and drops every publication at or below it (counted as "dropped by offset"); checks the
/// ticker's `seq` numbers (`lost` = seqs skipped, `duplicated` = seqs seen twice after offset de-duplication,
/// both 0 when recovery works); on any close it may reconnect after (the last `disconnect` push's `delay`) +
/// an exponential backoff with full jitter, and resumes with its `session` and every channel's position;
/// declares the connection dead when nothing arrives for 2 × `ping_ms`; re-sends unacknowledged chat
/// publishes with their original idempotency `key`.
enum DemoPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tether demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 70em; }
  h1 { font-size: 1.4em; margin: 0 0 .3em; }
  .row { display: flex; gap: 1.5em; flex-wrap: wrap; align-items: flex-start; }
  .box { border: 1px solid #ccc; border-radius: 6px; padding: .7em 1em; margin: .6em 0; }
  .big { font-size: 1.3em; font-weight: 600; }
  .ok { color: #186a1b; } .bad { color: #b00020; } .muted { color: #777; }
  table { border-collapse: collapse; } td, th { padding: .25em .7em; text-align: left; border-bottom: 1px solid #eee; }
  tr.mine td { background: #eef6ff; }
  button { margin-right: .3em; }
  pre { margin: 0; font: 12px/1.35 ui-monospace, monospace; max-height: 18em; overflow: auto; }
  #chatlog { max-height: 10em; }
</style>
</head>
<body>
<h1>Tether demo</h1>
<div class="muted">One process: three nodes on a shared memory engine, a gateway in front, a ticker publishing to
<code>demo:ticker</code>. Kill or drain the node this page is on and watch it resume elsewhere with nothing lost.</div>

<div class="row">
  <div class="box">
    <div>connection: <span id="conn" class="big">connecting…</span></div>
    <div>node: <span id="node" class="big">-</span></div>
    <div class="muted">session <span id="session">-</span>, client <span id="client">-</span></div>
  </div>
  <div class="box">
    <div id="check" class="big">lost: 0, duplicated: 0</div>
    <div>last seq <span id="seq">-</span>, received <span id="received">0</span>,
      dropped by offset <span id="dropped">0</span></div>
    <div>reconnects <span id="reconnects">0</span>, resumed <span id="resumes">0</span></div>
  </div>
</div>

<div class="box">
  <table>
    <thead><tr><th>node</th><th>process</th><th>gateway</th><th>health</th><th>tunnels</th><th>clients</th><th></th></tr></thead>
    <tbody id="nodes"></tbody>
  </table>
  <div class="muted">drain: gateway admin drain (its clients get 1012 and move); kill: crash without close frames;
    restart: start again and set the endpoint ready. Ticker at seq <span id="lastseq">-</span>.
    Gateway admin API: <a id="admin" href="#">-</a></div>
</div>

<div class="row">
  <div class="box" style="flex: 1 1 24em">
    <b>demo:ticker</b>
    <pre id="ticks"></pre>
  </div>
  <div class="box" style="flex: 1 1 24em">
    <b>demo:chat</b>
    <form id="chatform"><input id="chattext" size="30" placeholder="say something" autocomplete="off"> <button>send</button></form>
    <pre id="chatlog"></pre>
  </div>
</div>
<div class="box"><b>events</b><pre id="events"></pre></div>

<script>
"use strict";
const URL_WS = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/connection/websocket";
const TICKER = "demo:ticker", CHAT = "demo:chat";
const CHANNELS = [TICKER, CHAT];
const NO_RECONNECT = new Set([1000, 1002, 1003, 1007, 1008, 1009, 1010]);
const BACKOFF_BASE_MS = 250, BACKOFF_CAP_MS = 8000;

const st = {
  ws: null, connected: false, nextId: 1, replies: new Map(),
  session: null, client: null, node: "-", pingMs: 25000, lastHeard: 0,
  positions: {},            // channel -> {offset, epoch}: everything up to offset is delivered
  attempt: 0, minDelayMs: 0, reconnectAllowed: true,
  unacked: new Map(),       // publish key -> {channel, data}
  lastSeq: null, lost: 0, duplicated: 0, received: 0, dropped: 0, reconnects: 0, resumes: 0,
};

const $ = id => document.getElementById(id);
function lines(id, text, max) {
  const el = $(id);
  const all = (text + "\n" + el.textContent).split("\n").slice(0, max);
  el.textContent = all.join("\n");
}
function time() { return new Date().toISOString().slice(11, 23); }
function event(text) { lines("events", time() + "  " + text, 60); }

// --- wire -----------------------------------------------------------------------------------------

function send(ws, command, onReply) {
  command.id = st.nextId++;
  if (st.nextId > 4294967295) st.nextId = 1;
  if (onReply) st.replies.set(command.id, onReply);
  ws.send(JSON.stringify(command));
}

function connect() {
  const ws = new WebSocket(URL_WS, ["tether.v1"]);
  st.ws = ws;
  st.connected = false;
  st.reconnectAllowed = true;
  st.minDelayMs = 0;
  $("conn").textContent = "connecting…"; $("conn").className = "big";
  let opened = false;
  ws.onopen = () => {
    opened = true;
    const subs = {};
    for (const channel of CHANNELS) {
      const p = st.positions[channel];
      subs[channel] = p ? { since: { offset: p.offset, epoch: p.epoch } } : {};
    }
    const command = { op: "connect", name: "tether-demo-page", version: 1, subs };
    if (st.session) command.session = st.session;
    st.lastHeard = Date.now();
    send(ws, command, reply => {
      if (reply.error) { event("connect refused: " + reply.error.code + " " + reply.error.message); ws.close(); return; }
      connected(ws, reply.result);
    });
  };
  ws.onmessage = message => {
    if (ws !== st.ws) return;
    st.lastHeard = Date.now();
    // Several messages may share a frame; handle them in order, replies included (synchronously, so a
    // subscribe result is applied before the pushes that follow it).
    for (const line of String(message.data).split("\n")) {
      if (line) handle(JSON.parse(line));
    }
  };
  ws.onclose = close => closed(ws, close.code, close.reason);
  // A refused handshake (the gateway answers 503 when no node is eligible) is a close too; some
  // implementations report only the error.
  ws.onerror = () => { if (!opened) closed(ws, 1006, "could not connect"); };
}

function handle(message) {
  if (message.id !== undefined) {
    const onReply = st.replies.get(message.id);
    st.replies.delete(message.id);
    if (onReply) onReply(message);
    return;
  }
  switch (message.push) {
    case "pub": deliver(message.channel, message.epoch, message, false); break;
    case "join": case "leave":
      lines("chatlog", time() + "  (" + (message.info.user || "anonymous") + " " + message.info.client + " " + message.push + "s)", 40);
      break;
    case "gap": event("gap on " + message.channel + ": " + message.from + "…" + message.to); break;
    case "disconnect":
      st.reconnectAllowed = message.reconnect !== false;
      st.minDelayMs = message.delay || 0;
      event("disconnect push " + message.code + " " + message.reason + (message.delay ? " (delay " + message.delay + " ms)" : ""));
      break;
    default: break; // ping and future kinds
  }
}

function connected(ws, result) {
  st.connected = true;
  st.attempt = 0;
  st.session = result.session; st.client = result.client; st.node = result.node;
  st.pingMs = result.ping_ms || 25000;
  if (result.resumed) st.resumes++;
  $("conn").textContent = "connected"; $("conn").className = "big ok";
  $("node").textContent = st.node; $("session").textContent = st.session; $("client").textContent = st.client;
  event((result.resumed ? "resumed session on " : "new session on ") + st.node);
  for (const [channel, sub] of Object.entries(result.subs || {})) subscribed(channel, sub);
  for (const [channel, error] of Object.entries(result.sub_errors || {})) event("cannot subscribe " + channel + ": " + error.message);
  for (const [key, p] of st.unacked) publish(p.channel, p.data, key); // same key: never published twice
  render();
}

function subscribed(channel, sub) {
  if (sub.recovered === false && sub.reason === "epoch") {
    event(channel + ": history restarted (new epoch); resync from " + sub.position.offset);
    st.positions[channel] = { offset: sub.position.offset, epoch: sub.position.epoch };
    if (channel === TICKER) st.lastSeq = null;
    return;
  }
  const replayed = (sub.publications || []).length;
  for (const pub of sub.publications || []) deliver(channel, sub.position.epoch, pub, true);
  if (sub.missing) event(channel + ": missed offsets " + sub.missing.from + "…" + sub.missing.to + " (not recoverable)");
  else if (sub.recovered) event(channel + ": recovered " + replayed + " publication(s)");
  const p = st.positions[channel];
  if (!p || p.epoch !== sub.position.epoch || p.offset < sub.position.offset) {
    st.positions[channel] = { offset: sub.position.offset, epoch: sub.position.epoch };
  }
}

// Drops what is at or below the channel's position; anything else is new and advances it.
function deliver(channel, epoch, pub, replayed) {
  const p = st.positions[channel];
  if (p && p.epoch === epoch && pub.offset <= p.offset) { st.dropped++; render(); return; }
  if (p && p.epoch !== epoch) event(channel + ": new epoch " + epoch + "; continuing from offset " + pub.offset);
  st.positions[channel] = { offset: pub.offset, epoch };
  if (channel === TICKER) tick(pub, replayed);
  else if (channel === CHAT) {
    const who = pub.info ? (pub.info.client || "?") : "server";
    const text = pub.data && typeof pub.data === "object" ? pub.data.text : JSON.stringify(pub.data);
    lines("chatlog", time() + "  " + who + ": " + text, 40);
  }
}

function tick(pub, replayed) {
  const seq = pub.data && pub.data.seq;
  if (typeof seq !== "number") return;
  st.received++;
  if (st.lastSeq !== null) {
    if (seq > st.lastSeq + 1) st.lost += seq - st.lastSeq - 1;
    else if (seq <= st.lastSeq) st.duplicated++;
  }
  if (st.lastSeq === null || seq > st.lastSeq) st.lastSeq = seq;
  lines("ticks", "seq " + seq + "  offset " + pub.offset + "  via " + st.node + (replayed ? "  (replayed on resume)" : ""), 200);
  render();
}

function publish(channel, data, key) {
  st.unacked.set(key, { channel, data });
  if (!st.connected) return;
  send(st.ws, { op: "publish", channel, data, key }, reply => {
    if (reply.error && reply.error.temporary) return; // kept; re-sent with the same key on reconnect
    st.unacked.delete(key);
    if (reply.error) event("publish refused: " + reply.error.message);
  });
}

// --- reconnect ------------------------------------------------------------------------------------

function closed(ws, code, reason) {
  if (ws !== st.ws) return;
  st.ws = null; st.connected = false;
  st.replies.clear();
  const again = st.reconnectAllowed && !NO_RECONNECT.has(code) && !(code >= 3500 && code <= 3999) && !(code >= 4500 && code <= 4999);
  event("closed " + code + (reason ? " " + reason : "") + (again ? "" : ", not reconnecting"));
  $("conn").textContent = "disconnected (" + code + ")"; $("conn").className = "big bad";
  if (!again) return;
  // Exponential backoff with full jitter, on top of the server's delay hint.
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, st.attempt));
  const wait = st.minDelayMs + Math.floor(Math.random() * ceiling);
  st.attempt++;
  st.reconnects++;
  event("reconnecting in " + wait + " ms (attempt " + st.attempt + ")");
  render();
  setTimeout(connect, wait);
}

// A browser cannot see WebSocket pings: nothing at all for 2 x ping_ms means the connection is dead.
setInterval(() => {
  const ws = st.ws;
  if (ws && st.connected && Date.now() - st.lastHeard > 2 * st.pingMs) {
    event("nothing heard for " + (2 * st.pingMs) + " ms; dropping the connection");
    ws.close();
    closed(ws, 1006, "keep-alive timeout");
  }
}, 1000);

// --- page -----------------------------------------------------------------------------------------

function render() {
  $("check").textContent = "lost: " + st.lost + ", duplicated: " + st.duplicated;
  $("check").className = "big " + (st.lost === 0 && st.duplicated === 0 ? "ok" : "bad");
  $("seq").textContent = st.lastSeq === null ? "-" : st.lastSeq;
  $("received").textContent = st.received; $("dropped").textContent = st.dropped;
  $("reconnects").textContent = st.reconnects; $("resumes").textContent = st.resumes;
}

async function control(index, action) {
  try {
    const response = await fetch("/demo/nodes/" + index + "/" + action, { method: "POST" });
    const body = await response.json();
    event(body.ok || body.error);
  } catch (e) { event(action + " node-" + index + " failed: " + e); }
  refresh();
}

async function refresh() {
  try {
    const state = await (await fetch("/demo/state", { cache: "no-store" })).json();
    $("lastseq").textContent = state.last_seq;
    $("admin").textContent = state.admin_url + "/clusters"; $("admin").href = state.admin_url + "/clusters";
    const rows = $("nodes");
    rows.textContent = "";
    for (const n of state.nodes) {
      const tr = document.createElement("tr");
      if (n.name === st.node && st.connected) tr.className = "mine";
      for (const text of [n.name + (n.name === st.node && st.connected ? " (this page)" : ""), n.phase, n.gateway_state,
                          n.healthy ? "healthy" : "unhealthy", n.tunnels, n.clients]) {
        const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      }
      const td = document.createElement("td");
      for (const action of ["drain", "kill", "restart"]) {
        const b = document.createElement("button");
        b.textContent = action + " " + n.name;
        b.onclick = () => control(n.index, action);
        td.appendChild(b);
      }
      tr.appendChild(td);
      rows.appendChild(tr);
    }
  } catch (e) { /* the gateway may be restarting; try again next second */ }
}

$("chatform").onsubmit = e => {
  e.preventDefault();
  const text = $("chattext").value.trim();
  if (!text) return;
  $("chattext").value = "";
  publish(CHAT, { text }, "chat-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10));
};

setInterval(refresh, 1000);
refresh();
connect();
</script>
</body>
</html>
"""#
}
