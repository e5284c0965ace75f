# SPDX-License-Identifier: MIT
"""A few QMP commands for the migration test (t408), on a qemu's monitor socket.

    qmp.py SOCKET incoming           listen for a migration on 127.0.0.1, a port
                                     the kernel picks; prints the port
    qmp.py SOCKET migrate PORT [BPS] migrate to 127.0.0.1:PORT (BPS: bandwidth
                                     limit), wait; prints completed or failed
    qmp.py SOCKET status             the VM's run state
    qmp.py SOCKET stop | cont        pause the VM, or run it on
    qmp.py SOCKET quit
"""
import json, socket, sys, time


class Monitor:
    def __init__(self, path):
        for _ in range(200):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"no monitor at {path}")
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())  # the greeting
        self.run("qmp_capabilities")

    def run(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise SystemExit(f"{cmd}: {r['error']}")


def main():
    m = Monitor(sys.argv[1])
    what = sys.argv[2]
    if what == "incoming":
        m.run("migrate-incoming", uri="tcp:127.0.0.1:0")
        for _ in range(100):
            info = m.run("query-migrate")
            for a in info.get("socket-address", []):
                print(a["port"])
                return
            time.sleep(0.05)
        raise SystemExit("the destination gives no port")
    if what == "migrate":
        bps = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 40
        m.run("migrate-set-parameters", **{"max-bandwidth": bps})
        m.run("migrate", uri=f"tcp:127.0.0.1:{sys.argv[3]}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = m.run("query-migrate").get("status")
            if status in ("completed", "failed", "cancelled"):
                print(status)
                return
            time.sleep(0.05)
        raise SystemExit("the migration did not end")
    if what == "status":
        print(m.run("query-status")["status"])
    elif what in ("stop", "cont"):
        m.run(what)
    elif what == "quit":
        try:
            m.run("quit")
        except (OSError, ValueError, json.JSONDecodeError):
            pass


main()
