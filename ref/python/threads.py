"""threads.py - concbench's `threads` in CPython: a threading.Thread per task, and a Semaphore
that lets -j of them run at once (acquired before each start, released by the task's thread)."""
from threading import Semaphore, Thread
from time import perf_counter

import protocol
import work


def main():
    spec = protocol.read_spec()
    work.setup(spec)
    n = spec['tasks']
    semaphore = Semaphore(spec['concurrency'])
    results = [None] * n

    def run(i):
        try:
            results[i] = work.run(i)
        finally:
            semaphore.release()

    start = perf_counter()
    threads = []
    for i in range(n):
        semaphore.acquire()
        t = Thread(target=run, args=(i,))
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    finish = perf_counter()

    protocol.report(results, start, finish - start)


if __name__ == '__main__':
    main()
