"""Run every benchmark: `python -m bench` (or `make bench`)."""

from bench import (
    aged_scan_bench,
    history_bench,
    monitor_bench,
    price_bench,
    providers_bench,
    scan_bench,
    snapshot_bench,
    supply_bench,
    verify_bench,
    web_bench,
    webhook_bench,
)

if __name__ == "__main__":
    snapshot_bench.main()
    providers_bench.main()
    verify_bench.main()
    aged_scan_bench.main()
    scan_bench.main()
    supply_bench.main()
    monitor_bench.main()
    history_bench.main()
    price_bench.main([])
    web_bench.main([])
    webhook_bench.main([])
