"""Kill -9 the syncing process at random moments while punches drain; count what arrived.

    python -m benchmarks.chaos --kills 50 --punches 2000

A real server runs in this process (127.0.0.1, SQLite file); the kiosk's ``kiosk sync``
loop runs as a subprocess and is killed with SIGKILL after a random delay, then restarted,
``--kills`` times. Before each restart a share of the punches is appended to the outbox
(while the previous one may still be draining). Afterwards one ``kiosk sync --once`` drains
the rest, and the server's table is compared with what the outbox acknowledged. The last
line is JSON: ``sent``, ``stored``, ``lost``, ``duplicates``, ``gaps`` (the last three must
be 0). ``tests/sync/test_chaos.py`` runs the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _kiosk(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", "--home", str(home), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "KIOSK_LOG_TO_STDERR": "0"}


def setup_terminal(server_url: str, admin, home: Path, employees: int = 20):
    """Site, staff, badges, an enrolled terminal with fast timers and the file store."""
    from kiosk.core.config import save_config
    from kiosk.core.paths import default_paths
    from kiosk.sync.enroll import enroll
    from kiosk.sync.secrets import FileSecretStore, default_secret_file

    admin.add_site("HQ", "Head office")
    badges = []
    for i in range(employees):
        emp = f"C{i:04d}"
        admin.add_employee(emp, f"Chaos {i}", "HQ")
        b = admin.issue_badge(emp)
        badges.append((b.badge_id, b.token))
    code = admin.add_terminal("Chaos door", "HQ")
    paths = default_paths(home).ensure()
    store = FileSecretStore(default_secret_file(paths))
    cfg = enroll(server_url, code, paths, store)
    cfg.secrets.store = "file"
    cfg.sync.batch_size = 5  # many small transactions: more moments to be killed in
    cfg.sync.interval_s = 0.05
    cfg.sync.backoff_base_s = 0.05
    cfg.sync.backoff_cap_s = 0.5
    cfg.server.connect_timeout_s = 2.0
    cfg.server.read_timeout_s = 5.0
    save_config(cfg, paths.config_file)
    return paths, cfg, badges


def verify(acknowledged: list, stored_rows: list[dict], terminal_id: str) -> dict:
    """Compare what the outbox acknowledged with what the server holds."""
    mine = [r for r in stored_rows if r["terminal_id"] == terminal_id]
    ids = Counter(r["event_id"] for r in mine)
    seqs = Counter(r["seq"] for r in mine)
    sent_ids = {str(p.event_id) for p in acknowledged}
    max_seq = max(seqs, default=0)
    return {
        "sent": len(acknowledged),
        "stored": len(ids),
        "lost": len(sent_ids - set(ids)),
        "duplicates": sum(n - 1 for n in ids.values()) + sum(n - 1 for n in seqs.values()),
        "gaps": sum(1 for s in range(1, max_seq + 1) if s not in seqs),
        "unexpected": len(set(ids) - sent_ids),
    }


def run_chaos(
    workdir: Path, kills: int = 50, punches: int = 2000, seed: int = 1,
    min_delay_s: float = 0.4, max_delay_s: float = 1.2,
    progress: Callable[[str], None] = lambda s: None,
) -> dict:
    """The whole experiment; returns the counts (see the module docstring)."""
    from kiosk.core.clock import SystemClock
    from kiosk.core.protocol import Source
    from kiosk.store import Outbox
    from server_stub.admin import Admin
    from server_stub.runner import EmbeddedServer

    rng = random.Random(seed)
    data_dir = workdir / "server-data"
    admin = Admin.init(data_dir)
    server = EmbeddedServer(data_dir)
    server.start()
    started = time.monotonic()
    try:
        home = workdir / "kiosk"
        paths, cfg, badges = setup_terminal(server.url, admin, home)
        clock = SystemClock()
        box = Outbox(paths.outbox_file, clock)
        acknowledged = []
        per_cycle = [punches // kills + (1 if i < punches % kills else 0) for i in range(kills)]
        mid_batch = 0
        try:
            for i, share in enumerate(per_cycle):
                proc = subprocess.Popen(_kiosk(home, "sync"), env=_env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    delay = rng.uniform(min_delay_s, max_delay_s)
                    for _ in range(share):  # appends spread over the process's lifetime
                        badge_id, token = badges[len(acknowledged) % len(badges)]
                        acknowledged.append(box.append(
                            terminal_id=cfg.terminal.id, badge=token, badge_id=badge_id,
                            source=Source.CAMERA, wall_time=clock.now(), clock_offset_s=0.0,
                            app_version="chaos"))
                        time.sleep(delay / share)
                finally:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(30)
                s = box.stats()
                on_server = len([r for r in admin.export_punches()
                                 if r["terminal_id"] == cfg.terminal.id])
                if on_server > s.sent + s.rejected:
                    mid_batch += 1  # a batch in flight or stored, not yet marked locally
                if (i + 1) % 10 == 0:
                    progress(f"{i + 1} kills, {box.stats().pending} pending")
            for _ in range(5):  # drain the rest, bounded
                subprocess.run(_kiosk(home, "sync", "--once"), env=_env(), timeout=120,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if box.stats().pending == 0:
                    break
            stats = box.stats()
            local_seqs = [p.seq for p in acknowledged]
        finally:
            box.close()
        result = verify(acknowledged, admin.export_punches(), cfg.terminal.id)
        result.update(
            kills=kills, kills_mid_batch=mid_batch, pending_left=stats.pending,
            local_gap_free=local_seqs == list(range(1, len(local_seqs) + 1)),
            seconds=round(time.monotonic() - started, 1),
        )
        return result
    finally:
        server.stop()
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--punches", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-chaos-") as tmp:
        result = run_chaos(Path(tmp), args.kills, args.punches, args.seed,
                           progress=lambda s: print(s, flush=True))
    print(f"sent {result['sent']}, stored {result['stored']}, lost {result['lost']}, "
          f"duplicates {result['duplicates']}, gaps {result['gaps']}, "
          f"{result['kills']} kills ({result['kills_mid_batch']} with a batch in flight "
          f"or committed but not yet marked), {result['seconds']} s")
    print(json.dumps(result))
    ok = result["lost"] == result["duplicates"] == result["gaps"] == 0 and \
        result["stored"] == result["sent"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
