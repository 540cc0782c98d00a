"""A buggy vhost-user backend for the tests (test_vhost_user_buggy.py).

It speaks the protocol to drivers/vhost-user as a backend does (answers the
handshake, maps the memory table, plays the device side of both split
rings) and, on request, gets wrong what a device can get wrong: replies of
the wrong size, request or flags, truncated, trickled or missing replies, a
disconnect in the handshake or in traffic; used ids out of the ring and
repeated, lengths beyond the buffer, used.idx running ahead, garbage flags,
event index and packet bytes. It never writes outside what the protocol
hands a device (the used rings and the buffers of the chains it popped).
"""

import mmap
import os
import random
import socket
import struct
import threading
import time

TIMEOUT = 60
VERSION_1, EVENT_IDX, F_PROTOCOL, IN_ORDER = 1 << 32, 1 << 29, 1 << 30, 1 << 35
REPLY_ACK, PROTOCOL_MQ = 1 << 3, 1 << 0
HDR_LEN = 12  # virtio_net_hdr
NAMES = {1: "GET_FEATURES", 2: "SET_FEATURES", 3: "SET_OWNER", 5: "SET_MEM_TABLE",
         8: "SET_VRING_NUM", 9: "SET_VRING_ADDR", 10: "SET_VRING_BASE", 11: "GET_VRING_BASE",
         12: "SET_VRING_KICK", 13: "SET_VRING_CALL", 15: "GET_PROTOCOL_FEATURES",
         16: "SET_PROTOCOL_FEATURES", 17: "GET_QUEUE_NUM", 18: "SET_VRING_ENABLE"}
CODES = {v: k for k, v in NAMES.items()}


class Ring:
    """The device side of one split ring in the image's shared memory."""

    def __init__(self, mem, num, desc, avail, used, call=None):
        self.mem, self.num, self.call = mem, num, call
        self.desc, self.avail, self.used = (mem.at(a) for a in (desc, avail, used))
        self.last_avail = 0
        self.used_idx = self.u16(self.used + 2)

    def u16(self, off):
        """One 16-bit load (the image's avail.idx may change under it)."""
        return self.mem.buf[off:off + 2].cast("H")[0]

    def pop(self):
        """(head, buffer offset, buffer length) of the next avail chain, or None."""
        if self.last_avail == self.u16(self.avail + 2):
            return None
        head = self.u16(self.avail + 4 + 2 * (self.last_avail % self.num))
        self.last_avail = (self.last_avail + 1) & 0xffff
        addr, length, _, _ = struct.unpack_from("<QIHH", self.mem.buf, self.desc + 16 * head)
        return head, self.mem.at_gpa(addr), length

    def push(self, entries):
        """Writes (id, len) entries, then used.idx once (as a device publishes)."""
        for i, (ident, length) in enumerate(entries):
            slot = self.used + 4 + 8 * ((self.used_idx + i) % self.num)
            struct.pack_into("<II", self.mem.buf, slot, ident & 0xffffffff, length & 0xffffffff)
        self.used_idx = (self.used_idx + len(entries)) & 0xffff
        self.set_idx(self.used_idx)
        self.interrupt()

    def interrupt(self):
        """The call eventfd written after every publish, as a device may (the
        driver's suppression is a hint it need not honour): an idle image
        sleeping on it (plat/linuxu/idle.c) wakes."""
        if self.call is not None:
            try:
                os.write(self.call, struct.pack("<Q", 1))
            except OSError:
                pass  # the image closed it: gone

    def set_idx(self, idx):
        """One 16-bit store, as a device publishes: struct's "<H" writes
        byte by byte, and the image polling in between reads a torn index
        (a value the test never meant, counted as one more bad index)."""
        self.mem.buf[self.used + 2:self.used + 4].cast("H")[0] = idx & 0xffff

    def scribble_flags(self, rnd):
        """Garbage in used.flags and avail_event: only kicks may change."""
        struct.pack_into("<H", self.mem.buf, self.used, rnd.getrandbits(16))
        struct.pack_into("<H", self.mem.buf, self.used + 4 + 8 * self.num, rnd.getrandbits(16))


class Memory:
    """The regions of SET_MEM_TABLE, mapped; addresses are the image's."""

    def __init__(self, payload, fds):
        n, _ = struct.unpack_from("<II", payload)
        self.regions, self.maps, self.gpas = [], [], []
        for i in range(n):
            gpa, size, uva, off = struct.unpack_from("<QQQQ", payload, 8 + 32 * i)
            self.maps.append(mmap.mmap(fds[i], size + off))
            self.regions.append((uva, size, off, i))
            self.gpas.append((gpa, size, off))
        assert len(self.maps) == 1, "one region on linuxu"
        self.buf = memoryview(self.maps[0])

    def at(self, addr):
        """A front-end address (the rings') as an offset into the map."""
        uva, size, off, _ = self.regions[0]
        assert uva <= addr < uva + size, hex(addr)
        return addr - uva + off

    def at_gpa(self, addr):
        """A guest address (a descriptor's) as an offset into the map: the
        same as at() on linuxu, where the two are equal; not under nfvm."""
        gpa, size, off = self.gpas[0]
        assert gpa <= addr < gpa + size, hex(addr)
        return addr - gpa + off

    def close(self):
        self.buf.release()
        for m in self.maps:
            m.close()


class Backend(threading.Thread):
    """fault: None, or (request name, kind) for one reply to get wrong:
    size, request, flags, huge (size 0xffffffff), truncated (half a header,
    then close), silent (no reply), slow (one byte every 0.4 s), close
    (close on receipt). trickle: every reply one byte at a time, 10 ms apart.
    traffic(backend): run once the rings are enabled (the device side).
    queues: queue pairs offered (GET_QUEUE_NUM, with the MQ protocol
    feature when more than one); traffic waits until all are enabled.
    features: more feature bits to offer (IN_ORDER)."""

    def __init__(self, path, fault=None, trickle=False, traffic=None, queues=1, features=0):
        super().__init__(daemon=True)
        self.fault, self.trickle, self.traffic = fault, trickle, traffic
        self.queues, self.enabled = queues, set()
        self.features = VERSION_1 | EVENT_IDX | F_PROTOCOL | features
        self.acked = None  # what SET_FEATURES said
        self.rings, self.vring, self.call = {}, {}, {}
        self.mem, self.conn, self.fds = None, None, []
        self.error, self.stop, self.sent_all = None, threading.Event(), threading.Event()
        self.log = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(TIMEOUT)
        self.start()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            try:
                chunk, anc, _, _ = self.conn.recvmsg(n - len(data), socket.CMSG_SPACE(8 * 4))
            except ConnectionResetError:  # the image went away with a reply unread
                return None
            if not chunk:
                return None
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    self.fds += list(struct.unpack(f"{len(raw) // 4}i", raw))
            data += chunk
        return data

    def _reply(self, name, req, value):
        msg = struct.pack("<IIIQ", req, 0x5, 8, value)
        kind = self.fault[1] if self.fault and self.fault[0] == name else None
        if kind == "size":
            msg = struct.pack("<IIII", req, 0x5, 4, value & 0xffffffff)
        elif kind == "request":
            msg = struct.pack("<IIIQ", req + 1, 0x5, 8, value)
        elif kind == "flags":
            msg = struct.pack("<IIIQ", req, 0x1, 8, value)
        elif kind == "huge":
            msg = struct.pack("<III", req, 0x5, 0xffffffff)
        elif kind == "truncated":
            self.conn.sendall(msg[:6])
            return False
        elif kind == "silent":
            self.stop.wait(TIMEOUT)
            return False
        elif kind == "close":
            return False
        if kind == "slow" or self.trickle:
            try:
                for b in msg:
                    self.conn.sendall(bytes([b]))
                    time.sleep(0.4 if kind == "slow" else 0.01)
            except (BrokenPipeError, ConnectionResetError):
                return kind != "slow"  # slow: the image gave up, as it should
        else:
            self.conn.sendall(msg)
        return True

    def _handle(self, req, flags, payload):
        """The reply's value, or None for a message without one."""
        name = NAMES.get(req, str(req))
        if name == "SET_MEM_TABLE":
            self.mem = Memory(payload, self.fds[-struct.unpack_from("<I", payload)[0]:])
        elif name == "SET_VRING_NUM":
            i, num = struct.unpack("<II", payload)
            self.vring.setdefault(i, {})["num"] = num
        elif name == "SET_VRING_CALL":
            i = struct.unpack_from("<Q", payload)[0]
            if not i & 0x100:  # VHOST_USER_VRING_NOFD_MASK: no fd came
                self.call[i & 0xff] = self.fds[-1]
        elif name == "SET_FEATURES":
            self.acked = struct.unpack_from("<Q", payload)[0]
        elif name == "SET_VRING_ADDR":
            i, _, desc, used, avail, _ = struct.unpack("<IIQQQQ", payload)
            self.vring.setdefault(i, {}).update(desc=desc, used=used, avail=avail)
        if name == "GET_FEATURES":
            return self.features
        elif name == "SET_VRING_ENABLE":
            i, on = struct.unpack("<II", payload)
            (self.enabled.add if on else self.enabled.discard)(i)
        if name == "GET_PROTOCOL_FEATURES":
            return REPLY_ACK | (PROTOCOL_MQ if self.queues > 1 else 0)
        if name == "GET_QUEUE_NUM":
            return self.queues
        return 0 if flags & 0x8 else None

    def _serve(self):
        while True:
            hdr = self._recv(12)
            if not hdr:
                return
            req, flags, size = struct.unpack("<III", hdr)
            payload = self._recv(size) if size else b""
            name = NAMES.get(req, str(req))
            self.log.append(name)
            value = self._handle(req, flags, payload)
            if value is not None and not self._reply(name, req, value):
                return
            if len(self.enabled) == 2 * self.queues and self.traffic:
                self.rings = {i: Ring(self.mem, v["num"], v["desc"], v["avail"], v["used"],
                                      self.call.get(i)) for i, v in self.vring.items()}
                self.traffic(self)
                return

    def run(self):
        try:
            self.conn, _ = self.srv.accept()
            self._serve()
        except Exception as e:  # noqa: BLE001 - handed to the test
            self.error = e
        finally:
            if self.conn:
                self.conn.close()

    def close(self):
        self.stop.set()
        self.srv.close()
        self.join(timeout=TIMEOUT)
        if self.mem:
            self.mem.close()
        for fd in self.fds:
            os.close(fd)


def frame(rnd, garbage=False):
    """A virtio-net header (garbage: the driver must ignore it) and a 60-byte
    frame to 02:00:00:00:76:00, or 60 random bytes."""
    hdr = bytes(rnd.getrandbits(8) for _ in range(HDR_LEN))
    if garbage:
        return hdr + bytes(rnd.getrandbits(8) for _ in range(60))
    return hdr + bytes.fromhex("020000007600" "020000000001" "0800") + bytes(46)


def pop_n(be, q, n, until):
    """n chains of ring q, waiting for the image to post them."""
    got = []
    while len(got) < n:
        c = be.rings[q].pop()
        if c:
            got.append(c)
        else:
            assert time.monotonic() < until, f"ring {q}: {len(got)} of {n} chains posted"
            time.sleep(0.001)
    return got


def deliver(be, chain, data):
    """data into an rx chain's buffer; the used entry for it."""
    head, off, length = chain
    be.mem.buf[off:off + len(data)] = data
    return head, len(data)


def rand(seed=11):
    return random.Random(seed)
