#!/usr/bin/env python2
"""The conformant WebSocket echo server for the Autobahn runs: the reference upstream behind the gateway.

Usage: echo_server.py PORT     (run with the Python 2.7 of the wstest virtualenv, see scripts/lib/python.sh)

Built on the `autobahn` library that Autobahn|Testsuite itself ships (0.10.9, Twisted), the reference
implementation the suite is written against: it validates UTF-8 incrementally, accepts a close frame
between the fragments of a message (case 7.1.5, where the `websockets` library answers 1002), and accepts
every permessage-deflate offer (cases 12.* and 13.*). Listens on 127.0.0.1:PORT only, echoes every message
with its type (text stays text, binary stays binary) on any path, with no message size limit (9.* sends
up to 16 MiB) and no keep-alive pings, so the only frames on the wire are the ones a case causes.
Stops on SIGTERM or SIGINT.
"""
import sys

from twisted.internet import reactor
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept


class EchoProtocol(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)


def accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


def main():
    port = int(sys.argv[1])
    # No URL: the Host header then carries the gateway's port, which must not be checked against ours.
    factory = WebSocketServerFactory()
    factory.protocol = EchoProtocol
    factory.setProtocolOptions(perMessageCompressionAccept=accept_deflate, autoPingInterval=0)
    reactor.listenTCP(port, factory, interface="127.0.0.1")
    print("echo_server: listening on 127.0.0.1:%d" % port)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
