"""thread_pool.py - concbench's `thread-pool` in CPython: a ThreadPoolExecutor of -j workers,
every task submitted, results taken with as_completed."""
from concurrent.futures import ThreadPoolExecutor, as_completed
from time import perf_counter

import protocol
import work


def main():
    spec = protocol.read_spec()
    work.setup(spec)

    start = perf_counter()
    results = []
    with ThreadPoolExecutor(max_workers=spec['concurrency']) as executor:
        futures = [executor.submit(work.run, i) for i in range(spec['tasks'])]
        for future in as_completed(futures):
            results.append(future.result())
    finish = perf_counter()

    protocol.report(results, start, finish - start)


if __name__ == '__main__':
    main()
