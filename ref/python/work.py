"""work.py - what one task does, the same for every model: concbench's four workloads in plain
Python (the tutorial's ways: time.sleep, http.client / urllib.request, a loop, Pillow).

setup(spec) prepares the task; run(i) runs task i and returns its result: index, status, start
and end (perf_counter), the workload's fields or the error. run is a module-level function, so
a ProcessPoolExecutor can send it to its workers (they inherit the prepared task by fork)."""
import http.client
import threading
import urllib.parse
import urllib.request
from time import perf_counter, sleep

FNV_OFFSET, FNV_PRIME, MASK64 = 0xcbf29ce484222325, 0x100000001b3, (1 << 64) - 1


class TaskTimeout(Exception):
    """The task ran past the spec's timeout_s."""


def fnv1a(data, h=FNV_OFFSET):
    """FNV-1a 64 of the body, as concbench's server computes it (workloads/server.h)."""
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


TASK = None  # task(i) -> the workload's result fields, made by setup


def setup(spec):
    global TASK
    TASK = make_task(spec)


def run(i):
    """Run task i; never raises: a failure is a result."""
    start = perf_counter()
    try:
        fields = TASK(i)
        return dict(task=i, status='ok', start=start, end=perf_counter(), **fields)
    except (TaskTimeout, TimeoutError) as e:
        status, error = 'timeout', e
    except Exception as e:  # a failed task is a result, never the end of the batch
        status, error = 'failed', e
    return dict(task=i, status=status, start=start, end=perf_counter(),
                error=type(error).__name__, message=str(error) or type(error).__name__)


def make_task(spec):
    workload = spec['workload']
    options, setup, timeout = spec['options'], spec['setup'], spec.get('timeout_s') or 0
    if workload == 'sleep':
        return sleep_task(options['sleep-ms'] / 1000, timeout)
    if workload == 'count':
        return count_task(options['count'], timeout)
    if workload == 'http':
        return http_task(setup['urls'], options.get('no-reuse', False), timeout)
    if workload == 'thumbnail':
        return thumbnail_task(setup['images'], setup['outputs'], setup['size'])
    raise SystemExit(f'workload {workload} has no Python form')


def sleep_task(seconds, timeout):
    def task(i):
        if timeout and timeout < seconds:
            sleep(timeout)
            raise TaskTimeout(f'timeout after {timeout * 1e3:.0f} ms')
        sleep(seconds)
        return {}
    return task


def count_task(n, timeout):
    def task(i):
        deadline = perf_counter() + timeout if timeout else None
        c = 0
        while c < n:
            for _ in range(min(n - c, 1 << 20)):  # the plain loop: one addition a turn
                c += 1
            if deadline and c < n and perf_counter() > deadline:
                raise TaskTimeout(f'timeout after {c} of {n} additions')
        return {'value': c}
    return task


# One connection per worker (thread, or process of a pool), reused as concbench reuses them.
worker = threading.local()


def http_get(url, timeout):
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ('?' + parts.query if parts.query else '') or '/'
    for attempt in (1, 2):  # a kept connection the server has closed: once more, on a new one
        conn = getattr(worker, 'conn', None)
        if conn is None:
            cls = (http.client.HTTPSConnection if parts.scheme == 'https'
                   else http.client.HTTPConnection)
            conn = worker.conn = cls(parts.netloc, timeout=timeout or None)
        try:
            conn.request('GET', path)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            worker.conn = None
            if attempt == 2:
                raise


def urlopen_get(url, timeout):
    """The tutorial's urllib.request: a new connection for every request."""
    try:
        with urllib.request.urlopen(url, timeout=timeout or None) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_task(urls, no_reuse, timeout):
    get = urlopen_get if no_reuse else http_get

    def task(i):
        status, body = get(urls[i % len(urls)], timeout)
        return {'http_status': status, 'bytes': len(body), 'fnv1a': f'{fnv1a(body):016x}'}
    return task


def thumbnail_task(images, outputs, size):
    from PIL import Image, ImageFilter
    import os

    def task(i):
        out = outputs[i]
        img = Image.open(images[i % len(images)])
        img = img.filter(ImageFilter.GaussianBlur(2))
        img.thumbnail((size, size))
        tmp = f'{os.path.dirname(out)}/.{os.path.basename(out)}.{os.getpid()}.tmp'
        img.save(tmp, format='PNG')
        os.replace(tmp, out)  # whole or not at all, as concbench writes its own
        return {'output': out}
    return task
