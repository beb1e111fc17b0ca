#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench/station-throughput.py - a model of a recording station's day
# under the SOP's time standards (docs/pipeline.md): applicants per hour
# when each desk takes the next applicant as soon as it is free (pipelined)
# against the sequential procedure, where one applicant goes through all ten
# steps (36 minutes) before the next starts. A discrete-event simulation in
# SOP minutes (no waiting: the time is scaled to nothing); rekamd's own cost
# per applicant is measured elsewhere (bench-station.sh) and is milliseconds.
#
#   station-throughput.py [--hours H] [--verifiers N] [--operators N]
#
# Desks (each works on one applicant at a time; N of a kind work in
# parallel): front office (steps 1, 2), verifier (3), analyst (4), recording
# station (5: camera, scanners, pad), printing (7, 8: printer and encoder),
# hand-over desk (9, 10). Step 6 (15 minutes) is the central server's
# matching, not a desk of the station: any number of applicants wait for it
# at once. Applicants queue at opening; the day ends after H hours.
import argparse
import heapq

SOP = {1: 1, 2: 1, 3: 10, 4: 1, 5: 5, 6: 15, 7: 1, 8: 1, 9: 0.5, 10: 0.5}
DESKS = [("front office", (1, 2)), ("verifier", (3,)), ("analyst", (4,)),
         ("recording", (5,)), ("central", (6,)), ("printing", (7, 8)),
         ("hand-over", (9, 10))]


def sequential(hours):
    per = sum(SOP.values())
    return int(hours * 60 // per), per


def pipelined(hours, counts):
    """Applicants collected by the end of the day, and the busiest desk."""
    end = hours * 60
    free = {name: [0.0] * counts.get(name, 1) for name, _ in DESKS}
    done = 0
    busy = {name: 0.0 for name, _ in DESKS}
    applicant = 0
    while True:
        t = 0.0  # every applicant is there at opening
        for name, steps in DESKS:
            work = sum(SOP[s] for s in steps)
            if name == "central":
                t += work
                continue
            slots = free[name]
            start = max(t, heapq.heappop(slots))
            t = start + work
            heapq.heappush(slots, t)
            busy[name] += work
        if t > end:
            break
        done += 1
        applicant += 1
    bottleneck = max((sum(SOP[s] for s in steps) / counts.get(name, 1), name)
                     for name, steps in DESKS if name != "central")
    return done, bottleneck


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=8)
    ap.add_argument("--verifiers", type=int, default=1)
    ap.add_argument("--operators", type=int, default=1)
    a = ap.parse_args()
    seq, per = sequential(a.hours)
    print("station throughput model: %g-hour day, SOP minutes %s" %
          (a.hours, " ".join("%d:%g" % kv for kv in sorted(SOP.items()))))
    print("  sequential: %g minutes per applicant: %d applicants, %.2f per hour" %
          (per, seq, seq / a.hours))
    for verifiers in sorted({a.verifiers, 2}):
        counts = {"verifier": verifiers, "recording": a.operators}
        done, (minutes, desk) = pipelined(a.hours, counts)
        print("  pipelined, %d verifier(s), %d recording station(s): %d applicants, "
              "%.2f per hour; busiest desk %s (%g min per applicant); "
              "pipelined / sequential %.2f" %
              (verifiers, a.operators, done, done / a.hours, desk, minutes,
               done / seq if seq else 0))


if __name__ == "__main__":
    main()
