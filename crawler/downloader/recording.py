"""Record HTTP exchanges byte for byte, on the connection, the way a recording proxy does.

Scrapy's objects lose part of what the server sent: Twisted canonicalises header names,
groups repeated headers, consumes the connection headers (Connection, Keep-Alive,
Transfer-Encoding) and the chunk framing, and drops the reason phrase; HttpCompressionMiddleware
then decodes the body. A client protocol that tees what it writes and what it receives keeps all
of it. Each exchange is read after the response is complete, from the Twisted response's
transport (this protocol), by the download handler.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy.core.downloader.handlers.http11 import (
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
)

from crawler.archive import Exchange


class RecordingProtocol(_LenientHTTP11ClientProtocol):
    """An HTTP/1.1 client protocol that keeps the bytes of the exchange in progress.

    HTTP/1.1 without pipelining: one exchange at a time on a connection, so the bytes received
    between two requests belong to the first one's response.
    """

    sent: bytearray
    received: bytearray
    started: float = 0.0

    def request(self, request: Any) -> Any:  # Twisted's interface
        self.sent = bytearray()
        self.received = bytearray()
        self.started = time.time()
        self._tee_writes()
        deferred = super().request(request)

        def tag(response: Any) -> Any:  # a Twisted response
            response._recording_protocol = self  # how the download handler finds the exchange
            return response

        return deferred.addCallback(tag)

    def _tee_writes(self) -> None:
        transport = self.transport
        if transport is None or getattr(transport, "_recording_tee", None) is self:
            return
        write, write_sequence = transport.write, transport.writeSequence

        def tee(data: bytes) -> None:
            self.sent += data
            write(data)

        def tee_sequence(seq: Any) -> None:
            seq = list(seq)
            for data in seq:
                self.sent += data
            write_sequence(seq)

        transport.write, transport.writeSequence = tee, tee_sequence
        transport._recording_tee = self

    def dataReceived(self, data: bytes) -> None:  # Twisted's interface
        # Before parsing: the parser may complete the response (and run Scrapy's callbacks)
        # within this call, and the exchange must already hold these bytes then.
        if hasattr(self, "received"):
            self.received += data
        super().dataReceived(data)

    def exchange(self) -> Exchange:
        peer = self.transport.getPeer() if self.transport is not None else None
        return Exchange(bytes(self.sent), bytes(self.received), self.started,
                        getattr(peer, "host", None))


class RecordingFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: Any) -> RecordingProtocol:  # Twisted's interface
        return RecordingProtocol(self._quiescentCallback)
