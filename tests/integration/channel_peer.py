# SPDX-License-Identifier: MIT
"""What connects to the tree server's channel socket in t210, as qemu would
(run under the name qemu-system-x86_64 with a VM's -uuid) or not.

    channel_peer.py ROLE SOCKET OUT [qemu's arguments...]

reader    every frame, checked, as a JSON line in OUT as it comes
flood     writes into the port as fast as it can, never reads; OUT: bytes
stranger  reads for 5 s; OUT: how many frames came
impostor  (not named qemu) OUT: "refused" when the server closes at once
"""
import json, os, socket, sys, time


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def frames(sock, deadline=None):
    """Yield each whole frame as a dict; stop at EOF or the deadline."""
    buf = b""
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return
        if not data:
            return
        buf += data
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            head = buf[:nl].split()
            assert head[0] == b"VPC1" and len(head) == 3, buf[:64]
            length, check = int(head[1]), int(head[2], 16)
            if len(buf) < nl + 1 + length:
                break
            payload = buf[nl + 1:nl + 1 + length]
            buf = buf[nl + 1 + length:]
            assert fnv1a(payload) == check, "a frame whose hash does not match"
            frame = {"zones": [], "received": time.monotonic()}
            for line in payload.decode().splitlines():
                w = line.split()
                if w[0] == "zone":
                    frame["zones"].append([w[1], w[2], int(w[3]), int(w[4])])
                else:
                    frame[w[0]] = w[1] if w[0] == "host" else int(w[1])
            yield frame


def main():
    role, path, out = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if role == "reader":
        with open(out, "w") as f:
            for frame in frames(s):
                f.write(json.dumps(frame) + "\n")
                f.flush()
    elif role == "flood":
        s.setblocking(False)
        junk, sent = os.urandom(65536), 0
        while True:
            try:
                sent += s.send(junk)
            except BlockingIOError:
                time.sleep(0.01)
            except BrokenPipeError:
                return
            with open(out + ".new", "w") as f:
                f.write(f"{sent}\n")
            os.rename(out + ".new", out)
    elif role == "stranger":
        n = sum(1 for _ in frames(s, time.monotonic() + 5))
        with open(out, "w") as f:
            f.write(f"{n}\n")
        time.sleep(3600)  # connected still
    elif role == "impostor":
        s.settimeout(5)
        try:
            data = s.recv(4096)
        except socket.timeout:
            data = None
        with open(out, "w") as f:
            f.write("refused\n" if data == b"" else f"got {data!r}\n")


main()
