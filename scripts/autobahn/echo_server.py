#!/usr/bin/env python3
"""A conformant WebSocket echo server for the Autobahn runs: the reference upstream behind the gateway.

Usage: echo_server.py PORT

Listens on 127.0.0.1:PORT (loopback only) and echoes every message back with its type (text stays text,
binary stays binary), on any path. Built on the `websockets` library (asyncio implementation) with its
default permessage-deflate support, no message size limit (Autobahn 9.* sends up to 16 MiB) nor a
practical fragment count limit, and no keep-alive pings, so the only frames on the wire are the ones the test case causes. Stops on SIGTERM or
SIGINT.
"""
import asyncio
import logging
import os
import signal
import sys

# websockets refuses messages of more than 4096 fragments by default (close 1009 "too many fragments");
# Autobahn 9.3.*/9.4.* send 4 MiB in fragments as small as 64 bytes (65,536 fragments). The limit is read
# from the environment when the library is imported.
os.environ.setdefault("WEBSOCKETS_MAX_FRAGMENTS", str(1 << 20))

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def echo(connection) -> None:
    try:
        async for message in connection:
            await connection.send(message)
    except ConnectionClosed:
        pass


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.cancel)
    async with serve(
        echo,
        "127.0.0.1",
        port,
        max_size=None,
        ping_interval=None,
        compression="deflate",
        server_header=None,
    ):
        print(f"echo_server: listening on 127.0.0.1:{port}", flush=True)
        try:
            await stop
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: echo_server.py PORT")
    # Autobahn's protocol-violation cases make the library log failed handshakes and closes at INFO and
    # ERROR; keep only warnings and worse so the log stays readable.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main(int(sys.argv[1])))
