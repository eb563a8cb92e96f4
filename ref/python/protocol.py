"""protocol.py - concbench's external-model protocol (docs/external.md), for the reference
programs: read the spec from stdin, write one JSON line per task and one for the batch."""
import json
import os
import sys

PROTOCOL = 1


def read_spec():
    """The spec concbench writes on our stdin: workload, tasks, concurrency, options, setup."""
    spec = json.load(sys.stdin)
    if spec.get('protocol') != PROTOCOL:
        sys.exit(f'{sys.argv[0]}: protocol {spec.get("protocol")} is not {PROTOCOL}')
    return spec


def line(result, t0):
    """One task's line: its times become offsets from the batch start t0."""
    out = dict(result)
    out['start'] = max(0.0, result['start'] - t0)
    out['end'] = max(out['start'], result['end'] - t0)
    return json.dumps(out) + '\n'


def report(results, t0, wall):
    """After the batch: every task's line, then the batch's."""
    out = sys.stdout
    for result in results:
        if result is not None:
            out.write(line(result, t0))
    out.write(json.dumps({'wall': wall}) + '\n')
    out.flush()


def report_now(result, t0):
    """From a child process: one line in one write(2), which a pipe keeps whole (< 4 KiB)."""
    os.write(1, line(result, t0).encode())


def report_batch(wall):
    sys.stdout.write(json.dumps({'wall': wall}) + '\n')
    sys.stdout.flush()
