"""Throughput of pusher_fast beside the official Python, Go and Node SDKs and the sink's own ceiling, on local servers.

Run by ``make bench`` (after the micro benchmarks, whose pytest-benchmark JSON it folds into the same table) or
alone, from the repository root:

    .venv/bin/python -m benches.throughput [--quick] [--micro-json .benchmarks/micro.json]

Every library publishes the same event, ``{"id": 1, "message": "hello world", "price": 12.5}``, on the channels
``bench-0`` .. ``bench-63``, to the same nginx sink (127.0.0.1, a free port, one worker, ``return 200 '{}'``, no
access log), started and stopped here. Scenarios (contenders interleaved, the median of ``--runs`` runs reported):

* ``construct``: constructing ``Pusher(...)`` and ``AsyncPusher(...)`` against the official ``pusher.Pusher(...)``,
  timed in one fresh process.
* ``sequential``: one ``trigger`` at a time over keep-alive (official: its requests backend; pusher_fast: ``Pusher``,
  and ``AsyncPusher`` awaited one at a time; Go: ``Trigger`` in a loop; Node: ``await trigger`` in a loop). Ceiling:
  one pre-built, signed request on one connection in a loop, in Python (``socket``) and in Go (``net.Conn``).
* ``async``: single triggers with ``--concurrency`` in flight (official: ``pusher.aiohttp.AsyncIOBackend``;
  pusher_fast: ``AsyncPusher``; Go: goroutines; Node: concurrent promises). Ceiling: the Go load generator.
* ``bulk``: many events (official: a ``trigger_batch`` loop of 10-event batches; pusher_fast: ``trigger_many``, sync
  and async; Go: ``TriggerBatch`` of 10 from ``--bulk-concurrency`` goroutines; Node: ``triggerBatch`` of 10, as
  many concurrent). Ceiling: pre-built batches on as many connections as ``trigger_many`` keeps in flight.
* ``soketi`` and ``sockudo``: bulk publishing against a real Pusher-protocol server, which checks every signature
  (installed by ``scripts/e2e``; skipped with a note when missing).
* ``rss``: peak RSS of a fresh process publishing 1M events from a generator with ``trigger_many``.

The Go and Node SDKs run at their best (a keep-alive pool or agent sized to the concurrency) from
``benches/peers/`` (the Go program is built by ``scripts/bench/setup.sh``; the Node SDK is the e2e suite's install).
The sink's ``stub_status`` request counter is checked against the requests each contender says it made, so nobody is
fast by not sending. Every loop is bounded in count and in time (``--max-seconds`` per run: the rate is what was
sent over the time taken). Bulk runs, peer runs and the constructor timings happen in fresh child processes with a
hard timeout, so a library that hangs or crashes makes its row ``ERROR`` instead of stopping the benchmark.

Beside each row: the ratio of pusher_fast to the official Python SDK and to the best peer (Go or Node), the ceiling
measured in the same run and pusher_fast's share of it, and the targets (issues 4 and 10), each met or missed.
Every number printed is measured in this run. A failed check or an exception makes the row ``ERROR`` and the exit
status 1; a missed target is reported, not an error. ``--json-out`` keeps every number, every run included.
"""
