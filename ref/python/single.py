"""single.py - concbench's `single` in CPython: one task after another, in a loop."""
from time import perf_counter

import protocol
import work


def main():
    spec = protocol.read_spec()
    work.setup(spec)

    start = perf_counter()
    results = [work.run(i) for i in range(spec['tasks'])]
    finish = perf_counter()

    protocol.report(results, start, finish - start)


if __name__ == '__main__':
    main()
