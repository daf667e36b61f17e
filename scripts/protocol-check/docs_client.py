"""A Tether protocol client written only from docs/protocol.md, with no project code.

It proves the document is enough: connect with a JWT it signs itself, subscribe, publish (idempotently),
receive pushes (frames may batch several messages separated by newlines), drop the connection, and resume
the session with positions, recovering exactly the publications it missed.

Usage: docs_client.py WS_URL API_URL SECRET API_KEY     (exit 0 when every check passes)
"""

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.request

import websockets

URL, API, SECRET, API_KEY = sys.argv[1:5]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(user):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": user, "exp": int(time.time()) + 600}).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def api(method, body):
    request = urllib.request.Request(
        f"{API}/{method}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"apikey {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


class Connection:
    """Commands with ids; replies matched by id; pushes queued in arrival order."""

    def __init__(self, socket):
        self.socket, self.next_id, self.pushes, self.replies = socket, 1, [], {}

    async def _read_frame(self):
        frame = await asyncio.wait_for(self.socket.recv(), 5)
        for line in frame.split("\n"):
            if not line:
                continue
            message = json.loads(line)
            if "push" in message:
                if message["push"] != "ping":
                    self.pushes.append(message)
            else:
                self.replies[message["id"]] = message

    async def call(self, op, **fields):
        command_id, self.next_id = self.next_id, self.next_id + 1
        await self.socket.send(json.dumps({"id": command_id, "op": op, **fields}))
        while command_id not in self.replies:
            await self._read_frame()
        return self.replies.pop(command_id)

    async def push(self):
        while not self.pushes:
            await self._read_frame()
        return self.pushes.pop(0)


async def main():
    channel = "chat:docs-check"
    async with websockets.connect(URL, subprotocols=["tether.v1"]) as socket:
        check(socket.subprotocol == "tether.v1", "the node accepts the tether.v1 subprotocol")
        alice = Connection(socket)
        reply = await alice.call("connect", token=token("alice"))
        result = reply.get("result", {})
        check("client" in result and "session" in result, "connect returns client and session ids")
        session = result["session"]
        reply = await alice.call("subscribe", channel=channel)
        position = reply["result"]["position"]
        check(position["offset"] == 0, "a new channel starts at offset 0")
        offsets = []
        for n in range(3):
            reply = await alice.call("publish", channel=channel, data={"n": n}, key=f"docs-{n}")
            offsets.append(reply["result"]["position"]["offset"])
        check(offsets == [1, 2, 3], f"publishes get offsets 1, 2, 3 (got {offsets})")
        reply = await alice.call("publish", channel=channel, data={"n": 0}, key="docs-0")
        check(reply["result"].get("duplicate") is True and reply["result"]["position"]["offset"] == 1,
              "a repeated idempotency key returns the first offset, marked duplicate")
        received = []
        while len(received) < 3:
            push = await alice.push()
            if push["push"] == "pub":
                received.append((push["offset"], push["data"]["n"]))
        check(received == [(1, 0), (2, 1), (3, 2)], "the subscriber receives each publication once, in order")
        reply = await alice.call("bogus_op")
        check(reply.get("error", {}).get("code") == 104, "an unknown op is answered with error 104")
        last = {"offset": 3, "epoch": position["epoch"]}

    for n in range(3, 5):
        api("publish", {"channel": channel, "data": {"n": n}})

    async with websockets.connect(URL) as socket:
        alice = Connection(socket)
        reply = await alice.call("connect", token=token("alice"), session=session, subs={channel: {"since": last}})
        result = reply["result"]
        check(result["resumed"] is True, "the session resumes")
        sub = result["subs"][channel]
        check(sub["recovered"] is True, "the channel is recovered")
        check([p["offset"] for p in sub["publications"]] == [4, 5], "exactly the missed publications come back")
        api("publish", {"channel": channel, "data": {"n": 5}})
        push = await alice.push()
        while push["push"] != "pub":
            push = await alice.push()
        check(push["offset"] == 6, "live delivery continues right after the recovered ones")

    async with websockets.connect(URL) as socket:
        await socket.send("not json")
        try:
            await asyncio.wait_for(socket.recv(), 5)
        except websockets.ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 3501, "a non-JSON frame closes with 3501")


asyncio.run(main())
print(f"{'all checks passed' if not failures else str(len(failures)) + ' check(s) failed'}")
sys.exit(1 if failures else 0)
