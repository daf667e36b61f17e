#!/usr/bin/env python3
"""Print N free TCP ports on 127.0.0.1, one per line (default 1).

All N sockets are bound (port 0) before any is closed, so the ports are distinct. Another process can
still take a port between this check and its use; callers should fail clearly if a bind then fails.
"""
import socket
import sys


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        for s in sockets:
            print(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()


if __name__ == "__main__":
    main()
