"""processes.py - concbench's `processes` in CPython: a multiprocessing.Process per task, at most
-j alive at once. Each child writes its own result line; a child that dies gets a failed one."""
import multiprocessing
from multiprocessing.connection import wait
from time import perf_counter

import protocol
import work


def child(i, t0):
    protocol.report_now(work.run(i), t0)


def main():
    spec = protocol.read_spec()
    work.setup(spec)
    limit = spec['concurrency']

    start = perf_counter()
    running, ended = {}, []

    def reap(block):
        for sentinel in wait(list(running), timeout=None if block else 0):
            i, process = running.pop(sentinel)
            process.join()
            if process.exitcode != 0:
                ended.append(dict(task=i, status='failed', start=start, end=perf_counter(),
                                  error=f'exit code {process.exitcode}',
                                  message=f'the process of task {i} ended with exit code '
                                          f'{process.exitcode}'))

    for i in range(spec['tasks']):
        while len(running) >= limit:
            reap(block=True)
        process = multiprocessing.Process(target=child, args=(i, start))
        process.start()
        running[process.sentinel] = (i, process)
    while running:
        reap(block=True)
    finish = perf_counter()

    protocol.report(ended, start, finish - start)


if __name__ == '__main__':
    main()
