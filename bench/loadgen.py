"""A small HTTP/1.1 load generator (standard library only): keep-alive connections on loopback.

Each connection sends the same pre-encoded request and reads the response, as fast as it can,
until a time or request budget runs out. Run as a separate process from the server, so the two
share the machine's cores but not a Python interpreter:

    python bench/loadgen.py URL --body JSON [--seconds 5] [--connections 4] [--max-requests N]

Prints one JSON object: requests, seconds, requests_per_second, p50_ms, p99_ms, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


async def _connection(
    host: str,
    port: int,
    request: bytes,
    until: float,
    budget: list[int],
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


async def _run(url: str, body: bytes, seconds: float, connections: int, max_requests: int) -> dict:
    parts = urlsplit(url)
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    errors, budget = [0], [max_requests]
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(
                parts.hostname, parts.port, request, start + seconds, budget, latencies, errors
            )
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--body", required=True, help="the JSON body to POST")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=100_000)
    args = parser.parse_args()
    result = asyncio.run(
        _run(args.url, args.body.encode(), args.seconds, args.connections, args.max_requests)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
