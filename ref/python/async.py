"""async.py - concbench's `async` in CPython: one asyncio event loop, a task per task
(create_task, then gather), an asyncio.Semaphore for -j. sleep is asyncio.sleep; http is a GET
over asyncio streams (standard library only), reusing idle connections as concbench does
(--no-reuse: a new one a request); count and thumbnail have no async form and run inline,
blocking the loop, as concbench's own async model runs them."""
import asyncio
import urllib.parse
from time import perf_counter

import protocol
import work


class Connections:
    """Idle keep-alive connections to one host, shared by the loop's tasks."""

    def __init__(self, no_reuse):
        self.idle, self.no_reuse = [], no_reuse

    async def get(self, url):
        parts = urllib.parse.urlsplit(url)
        path = parts.path + ('?' + parts.query if parts.query else '') or '/'
        host, port = parts.hostname, parts.port or (443 if parts.scheme == 'https' else 80)
        for attempt in (1, 2):  # a kept connection the server closed: once more, on a new one
            reused = bool(self.idle) and not self.no_reuse
            if reused:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=parts.scheme == 'https' or None)
            close = 'Connection: close\r\n' if self.no_reuse else ''
            writer.write(f'GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{close}\r\n'.encode())
            try:
                status, body, keep = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                if reused and attempt == 1:
                    continue
                raise
            if keep and not self.no_reuse:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status, body


async def read_response(reader):
    """Status, body and whether the connection may be kept: Content-Length, chunked, or until
    the server closes."""
    status = int((await reader.readuntil(b'\r\n')).split()[1])
    headers = {}
    while (line := await reader.readuntil(b'\r\n')) != b'\r\n':
        name, _, value = line.decode('latin-1').partition(':')
        headers[name.strip().lower()] = value.strip()
    keep = headers.get('connection', '').lower() != 'close'
    if 'content-length' in headers:
        body = await reader.readexactly(int(headers['content-length']))
    elif headers.get('transfer-encoding', '').lower() == 'chunked':
        body = b''
        while (size := int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        while await reader.readuntil(b'\r\n') != b'\r\n':
            pass
    else:
        body, keep = await reader.read(), False
    return status, body, keep


def make_async_task(spec):
    """The coroutine of one task where the workload has an async form, else None."""
    options, setup = spec['options'], spec['setup']
    if spec['workload'] == 'sleep':
        seconds = options['sleep-ms'] / 1000

        async def task(i):
            await asyncio.sleep(seconds)
            return {}
        return task
    if spec['workload'] == 'http':
        urls, connections = setup['urls'], Connections(options.get('no-reuse', False))

        async def task(i):
            status, body = await connections.get(urls[i % len(urls)])
            return {'http_status': status, 'bytes': len(body),
                    'fnv1a': f'{work.fnv1a(body):016x}'}
        return task
    return None


async def run_async(task, i, timeout):
    start = perf_counter()
    try:
        fields = await (asyncio.wait_for(task(i), timeout) if timeout else task(i))
        return dict(task=i, status='ok', start=start, end=perf_counter(), **fields)
    except (asyncio.TimeoutError, TimeoutError) as e:
        status, error = 'timeout', e
    except Exception as e:
        status, error = 'failed', e
    return dict(task=i, status=status, start=start, end=perf_counter(),
                error=type(error).__name__, message=str(error) or type(error).__name__)


async def batch(spec):
    task = make_async_task(spec)
    if task is None:
        work.setup(spec)  # CPU work: runs inline in the coroutine, the loop waits for it
    semaphore = asyncio.Semaphore(spec['concurrency'])
    timeout = spec.get('timeout_s') or 0

    async def one(i):
        async with semaphore:
            return await run_async(task, i, timeout) if task else work.run(i)

    tasks = [asyncio.create_task(one(i)) for i in range(spec['tasks'])]
    return await asyncio.gather(*tasks)


def main():
    spec = protocol.read_spec()

    start = perf_counter()
    results = asyncio.run(batch(spec))
    finish = perf_counter()

    protocol.report(results, start, finish - start)


if __name__ == '__main__':
    main()
