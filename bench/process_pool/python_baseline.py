"""Python's ProcessPoolExecutor through loop.run_in_executor: sequential latency and throughput
with 64 calls in flight, for the same trivial function as bench_process_pool.cpp.

    /usr/bin/python3 python_baseline.py [--quick] [--workers N]
"""
import asyncio
import concurrent.futures
import statistics
import sys
import time


def trivial(x):
    return x + 1


async def measure(pool, seq_n, thr_n, runs):
    loop = asyncio.get_running_loop()
    for i in range(200):
        await loop.run_in_executor(pool, trivial, i)
    seq, tput = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        v = 0
        for _ in range(seq_n):
            v = await loop.run_in_executor(pool, trivial, v)
        seq.append((time.perf_counter() - t0) * 1e6 / seq_n)
        t0 = time.perf_counter()
        window = []
        total = 0
        sem = asyncio.Semaphore(64)

        async def one(i):
            async with sem:
                return await loop.run_in_executor(pool, trivial, i)

        results = await asyncio.gather(*(one(i) for i in range(thr_n)))
        total = sum(results)
        tput.append(thr_n / (time.perf_counter() - t0))
        assert total == thr_n * (thr_n + 1) // 2
    return statistics.median(seq), statistics.median(tput)


def main():
    quick = "--quick" in sys.argv
    workers = 2
    if "--workers" in sys.argv:
        workers = int(sys.argv[sys.argv.index("--workers") + 1])
    seq_n, thr_n, runs = (300, 3000, 1) if quick else (2000, 20000, 3)
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        seq, tput = asyncio.run(measure(pool, seq_n, thr_n, runs))
    print(f"python ProcessPoolExecutor seq    {seq:9.1f} us/call")
    print(f"python ProcessPoolExecutor 64     {tput:9.0f} calls/s  ({workers} workers)")


if __name__ == "__main__":
    main()
