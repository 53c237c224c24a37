#!/usr/bin/python3
"""asyncio baselines for bench/bench_primitives.cpp: the same workloads and batch sizes.

    lock_uncontended   one task: `async with lock: pass`
    lock_contended     two tasks taking turns, each holding the lock across `await asyncio.sleep(0)`
    event_ping_pong    two tasks, two events: set -> wait -> clear, one round trip per item
    queue_same_loop    producer and consumer on one loop, asyncio.Queue(maxsize=128)
    queue_cross_loop   producer on a second thread's loop, consumer on the main loop: asyncio's
                       queues are not thread-safe, so the producer hands each item over with
                       consumer_loop.call_soon_threadsafe(queue.put_nowait, item) (the usual
                       idiom; unbounded, no backpressure)

Timing starts inside the coroutine (asyncio.run()'s start-up is excluded, as in weft). Each workload
runs --repetitions times and the median is printed, one line per workload and event loop:

    bench impl=asyncio workload=NAME per_s=MEDIAN min=... max=... runs=N

With uvloop installed, each workload also runs on uvloop (impl=uvloop).
"""

import argparse
import asyncio
import statistics
import threading
import time

BATCH = 10_000


async def lock_uncontended(n):
    lock = asyncio.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        async with lock:
            pass
    return n / (time.perf_counter() - t0)


async def lock_contended(n):
    lock = asyncio.Lock()
    held = 0

    async def taker(rounds):
        nonlocal held
        for _ in range(rounds):
            async with lock:
                held += 1
                await asyncio.sleep(0)

    t0 = time.perf_counter()
    await asyncio.gather(taker(n // 2), taker(n // 2))
    assert held == n
    return n / (time.perf_counter() - t0)


async def event_ping_pong(n):
    ping = asyncio.Event()
    reply = asyncio.Event()

    async def pong():
        for _ in range(n):
            await ping.wait()
            ping.clear()
            reply.set()

    t0 = time.perf_counter()
    partner = asyncio.create_task(pong())
    for _ in range(n):
        ping.set()
        await reply.wait()
        reply.clear()
    await partner
    return n / (time.perf_counter() - t0)


async def consume(q, n):
    total = 0
    for _ in range(n):
        total += await q.get()
    return total


async def queue_same_loop(n):
    q = asyncio.Queue(maxsize=128)
    t0 = time.perf_counter()
    consumer = asyncio.create_task(consume(q, n))
    for i in range(n):
        await q.put(i)
    assert await consumer == n * (n - 1) // 2
    return n / (time.perf_counter() - t0)


async def queue_cross_loop(n, loop_factory):
    q = asyncio.Queue()
    here = asyncio.get_running_loop()

    async def produce():
        for i in range(n):
            here.call_soon_threadsafe(q.put_nowait, i)
            if i % 128 == 127:
                await asyncio.sleep(0)  # let the producer loop breathe, as a real one would

    def producer_thread():
        run(produce(), loop_factory)

    t0 = time.perf_counter()
    thread = threading.Thread(target=producer_thread)
    thread.start()
    total = await consume(q, n)
    thread.join()
    assert total == n * (n - 1) // 2
    return n / (time.perf_counter() - t0)


def run(coro, loop_factory):
    if loop_factory is None:
        return asyncio.run(coro)
    loop = loop_factory()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


WORKLOADS = {
    "lock_uncontended": lambda n, f: lock_uncontended(n),
    "lock_contended": lambda n, f: lock_contended(n),
    "event_ping_pong": lambda n, f: event_ping_pong(n),
    "queue_same_loop": lambda n, f: queue_same_loop(n),
    "queue_cross_loop": queue_cross_loop,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()

    impls = [("asyncio", None)]
    try:
        import uvloop  # noqa: PLC0415 (optional)
        impls.append(("uvloop", uvloop.new_event_loop))
    except ImportError:
        pass

    for impl, factory in impls:
        for name, fn in WORKLOADS.items():
            if args.only and name not in args.only:
                continue
            rates = [run(fn(args.batch, factory), factory) for _ in range(args.repetitions)]
            print(f"bench impl={impl} workload={name} per_s={statistics.median(rates):.0f} "
                  f"min={min(rates):.0f} max={max(rates):.0f} runs={len(rates)}", flush=True)


if __name__ == "__main__":
    main()
