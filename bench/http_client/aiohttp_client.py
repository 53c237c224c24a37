"""The Python baseline: aiohttp, one ClientSession (keep-alive pool of `inflight` connections),
`inflight` worker coroutines each fetching one request after another. Prints one line:
    aiohttp <requests> <seconds> <req/s> <CPU us per request>
Usage: /usr/bin/python3 aiohttp_client.py URL [requests=10000] [inflight=64]
"""
import asyncio
import resource
import sys
import time

import aiohttp


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def main(url, n, inflight):
    left = [n]
    failed = [0]

    async def worker(session):
        while left[0] > 0:
            left[0] -= 1
            async with session.get(url) as r:
                await r.read()
                if r.status != 200:
                    failed[0] += 1

    connector = aiohttp.TCPConnector(limit=inflight)
    async with aiohttp.ClientSession(connector=connector) as session:
        left[0] = inflight * 2  # warm-up: open the connections
        await asyncio.gather(*(worker(session) for _ in range(inflight)))
        left[0] = n
        cpu0 = cpu_seconds()
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(inflight)))
        secs = time.perf_counter() - start
        cpu_us = (cpu_seconds() - cpu0) * 1e6 / n
    print(f"aiohttp {n} {secs:.3f} {n / secs:.0f} {cpu_us:.1f}")
    return 1 if failed[0] else 0


if __name__ == "__main__":
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    inflight = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    sys.exit(asyncio.run(main(url, n, inflight)))
