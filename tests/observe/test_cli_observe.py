"""The CLI's part: the web role's metrics directory (fresh per run, an operator's one emptied), and
--log-format json on a real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from portal.cli.roles import MULTIPROC_ENV, _metrics_directory

RESERVES = str(Path(sys.executable).parent / "reserves")


def test_serve_gets_a_fresh_metrics_directory_removed_at_the_end(monkeypatch):
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with _metrics_directory() as folder:
        assert os.environ[MULTIPROC_ENV] == folder and os.listdir(folder) == []
    assert not os.path.exists(folder) and MULTIPROC_ENV not in os.environ


def test_an_operators_metrics_directory_is_emptied_of_an_earlier_run(monkeypatch, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4242.db").write_bytes(b"old counts")
    (folder / "histogram_4242.db").write_bytes(b"old counts")
    (folder / "README").write_text("not ours: kept")
    monkeypatch.setenv(MULTIPROC_ENV, str(folder))
    with _metrics_directory() as given:
        assert given == str(folder) and sorted(os.listdir(folder)) == ["README"]
    assert folder.exists()  # the operator's: kept


def test_log_format_json_writes_one_object_per_line(tmp_path):
    config = tmp_path / "portal.toml"
    config.write_text(f'[devnet]\nenabled = true\n[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/r.db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    r = subprocess.run(
        [RESERVES, "--log-format", "json", "db", "upgrade", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("{")]
    assert lines, r.stderr
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record) and "request_id" not in record
    text = subprocess.run(
        [RESERVES, "db", "upgrade", "--config", str(config)], env=env, capture_output=True, text=True, timeout=120
    )
    assert text.returncode == 0 and not [x for x in text.stderr.splitlines() if x.startswith("{")]
