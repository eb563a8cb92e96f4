"""process_pool.py - concbench's `process-pool` in CPython: a ProcessPoolExecutor of -j
workers; map hands them the tasks in chunks (--chunk C, else N / (4 x workers) as
multiprocessing.Pool.map chooses)."""
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from time import perf_counter

import protocol
import work


def main():
    spec = protocol.read_spec()
    work.setup(spec)
    n, workers = spec['tasks'], spec['concurrency']
    chunksize = spec.get('chunk') or max(1, n // (4 * workers))

    start = perf_counter()
    results = []
    try:
        with ProcessPoolExecutor(max_workers=workers) as executor:
            for result in executor.map(work.run, range(n),
                                       chunksize=chunksize):
                results.append(result)
    except BrokenProcessPool as e:  # a worker died: the tasks without a result fail
        done = {r['task'] for r in results}
        results += [dict(task=i, status='failed', start=start, end=perf_counter(),
                         error='BrokenProcessPool', message=str(e))
                    for i in range(n) if i not in done]
    finish = perf_counter()

    protocol.report(results, start, finish - start)


if __name__ == '__main__':
    main()
