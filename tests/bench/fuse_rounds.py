# SPDX-License-Identifier: MIT
"""Read every VM's counters under a vpowercap tree, as guests do through 9p
or virtiofs (each zone's energy_uj opened, read and closed), round after
round for at least 3 s, and count the CPU process PID (the tree server)
spent meanwhile. Prints: ROUNDS SECONDS FILES CPU_US.

usage: fuse_rounds.py MOUNTPOINT PID
"""
import glob
import os
import sys
import time


def cpu_us(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / os.sysconf("SC_CLK_TCK")


files = sorted(glob.glob(os.path.join(sys.argv[1], "*-*-*-*-*", "intel-rapl", "**", "energy_uj"),
                         recursive=True))
for path in files:  # one round first, so that every name is looked up already
    with open(path, "rb") as f:
        f.read()
a = cpu_us(sys.argv[2])
start, rounds = time.monotonic(), 0
while files and (not rounds or time.monotonic() - start < 3):
    for path in files:
        with open(path, "rb") as f:
            f.read()
    rounds += 1
print(rounds, time.monotonic() - start, len(files), cpu_us(sys.argv[2]) - a)
