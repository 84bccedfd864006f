"""A fault-injecting TCP proxy, run inside one member's network namespace.

iptables REDIRECTs every peer connection the member opens to this proxy,
which connects on to the original destination (SO_ORIGINAL_DST) and relays
both directions. The control file (JSON, re-read every 100 ms) sets:
  delay_ms, jitter_ms: each chunk waits delay + uniform(0, jitter) before it
    is sent on; a stream keeps its order, separate connections overtake each
    other, so messages on different connections are reordered;
  reset_per_s: chance per second and connection of an abortive close (RST),
    after which gRPC reconnects and the Raft transport resends, so the peer
    sees duplicated messages.
TCP itself hides packet-level duplication and reordering from the
application; this is how they reach Cairn. Usage: proxy.py PORT MARK CONTROL
"""

import asyncio
import json
import os
import random
import socket
import struct
import sys
import time

SO_ORIGINAL_DST = 80
settings = {"delay_ms": 0, "jitter_ms": 0, "reset_per_s": 0.0}


def original_destination(sock):
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, = struct.unpack_from("!H", raw, 2)
    return socket.inet_ntoa(raw[4:8]), port


async def watch_control(path):
    mtime = None
    while True:
        try:
            m = os.stat(path).st_mtime_ns
            if m != mtime:
                with open(path) as f:
                    settings.update(json.load(f))
                mtime = m
        except (OSError, ValueError):
            pass
        await asyncio.sleep(0.1)


def abort(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def pump(reader, writer, peer_writer, lost):
    """Relays reader -> writer with the configured delay, in order."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(deliver())
    last_due = 0.0
    try:
        while not lost.is_set():
            data = await reader.read(65536)
            if not data:
                break
            delay = (settings["delay_ms"] + random.uniform(0, settings["jitter_ms"])) / 1000.0
            last_due = max(last_due, time.monotonic() + delay)
            await queue.put((last_due, data))
        await queue.put((0, None))
        await sender
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        sender.cancel()
        lost.set()
        abort(writer)
        abort(peer_writer)


async def reset_sometimes(lost, a, b):
    while not lost.is_set():
        await asyncio.sleep(1.0)
        if random.random() < settings["reset_per_s"]:
            lost.set()
            abort(a)
            abort(b)


async def handle(client_reader, client_writer, mark):
    try:
        host, port = original_destination(client_writer.get_extra_info("socket"))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_event_loop().sock_connect(sock, (host, port)), 5)
        server_reader, server_writer = await asyncio.open_connection(sock=sock)
    except (OSError, asyncio.TimeoutError):
        abort(client_writer)
        return
    lost = asyncio.Event()
    await asyncio.gather(pump(client_reader, server_writer, client_writer, lost),
                         pump(server_reader, client_writer, server_writer, lost),
                         reset_sometimes(lost, client_writer, server_writer),
                         return_exceptions=True)


async def main():
    port, mark, control = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    asyncio.ensure_future(watch_control(control))
    server = await asyncio.start_server(lambda r, w: handle(r, w, mark), "0.0.0.0", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
