"""Run folder rules (evacsim.export.folder, evacsim.manifest): nothing of the user's is lost.

Runs here are fakes (a few files and a manifest written into the claimed folder) so that every
rule is checked in milliseconds; ``test_run_folder.py`` checks them on a real run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evacsim.atomic import atomic_path, write_text_atomic
from evacsim.errors import EvacsimError
from evacsim.export.folder import RunFolder, claim_run_folder, clean_stale, run_folder
from evacsim.manifest import FORMAT_VERSION, MANIFEST, RUN_FORMAT, require_run_folder
from evacsim.report.compare import load_side
from tests.support.paths import REPO


def _fill(claim: RunFolder, files: dict[str, str]) -> None:
    """Write ``files`` and, last, a manifest listing them, as write_run_folder does."""
    for rel, text in files.items():
        path = claim.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    outputs = {rel: hashlib.sha256(text.encode()).hexdigest() for rel, text in files.items()}
    manifest = {"format": RUN_FORMAT, "format_version": FORMAT_VERSION, "outputs": outputs}
    (claim.tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _fake_run(out: Path | None, files: dict[str, str], *, root: Path | None = None) -> Path:
    with run_folder(out, label="fake", root=root or Path("runs")) as claim:
        _fill(claim, files)
    return claim.dest


def _everything(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


RUN_A = {"summary.json": "{}", "csv/groups.csv": "a\n", "map.html": "<html>a</html>"}
RUN_B = {"summary.json": '{"b": 1}', "csv/groups.csv": "b\n", "report.html": "<html>b</html>"}


# --------------------------------------------------------------------------- replacing


def test_a_folder_with_a_stray_summary_is_not_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.json").write_text("{}", encoding="utf-8")
    (mine / "thesis.docx").write_bytes(b"months of work")
    with pytest.raises(EvacsimError, match="not an evacsim run"):
        claim_run_folder(mine, label="x")
    assert _everything(tmp_path) == ["mine", "mine/summary.json", "mine/thesis.docx"]
    assert (mine / "thesis.docx").read_bytes() == b"months of work"


def test_rerun_removes_only_what_evacsim_wrote(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dest = _fake_run(tmp_path / "run", RUN_A)
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    (dest / "csv" / "mine.csv").write_text("mine", encoding="utf-8")
    (dest / "export-csv").mkdir()
    (dest / "export-csv" / "routes.csv").write_text("exported", encoding="utf-8")
    (dest / "empty-folder-of-mine").mkdir()
    with (
        caplog.at_level(logging.WARNING, logger="evacsim.export.folder"),
        run_folder(dest, label="fake") as claim,
    ):
        _fill(claim, RUN_B)
    assert _everything(tmp_path) == [
        "run", "run/csv", "run/csv/groups.csv", "run/csv/mine.csv", "run/empty-folder-of-mine",
        "run/export-csv", "run/export-csv/routes.csv", "run/manifest.json", "run/notes.txt",
        "run/report.html", "run/summary.json",
    ]  # fmt: skip
    assert (dest / "csv" / "groups.csv").read_text(encoding="utf-8") == "b\n"  # replaced
    assert not (dest / "map.html").exists()  # run A's own file, gone with it
    assert (dest / "export-csv" / "routes.csv").read_text(encoding="utf-8") == "exported"
    assert claim.kept == (
        "csv/mine.csv", "empty-folder-of-mine", "export-csv/routes.csv", "notes.txt",
    )  # fmt: skip
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "kept 4 files evacsim did not write" in lines[0]
    assert "notes.txt" in lines[0] and "\n" not in lines[0]


def test_a_file_of_the_user_where_the_run_writes_stops_the_run(tmp_path: Path) -> None:
    dest = _fake_run(tmp_path / "run", RUN_A)
    (dest / "report.html").write_text("my own report", encoding="utf-8")  # run B writes one
    before = _everything(tmp_path)
    with pytest.raises(EvacsimError, match=r"report\.html: not written by evacsim"):
        _fake_run(dest, RUN_B)
    assert _everything(tmp_path) == before
    assert (dest / "report.html").read_text(encoding="utf-8") == "my own report"


def test_out_naming_a_file_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(EvacsimError, match="not a folder"):
        claim_run_folder(tmp_path / "f", label="x")
    assert _everything(tmp_path) == ["f"]


def test_an_error_in_the_block_leaves_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="half way"),
        run_folder(tmp_path / "a" / "b" / "run", label="x") as claim,
    ):
        _fill(claim, RUN_A)
        raise RuntimeError("half way")
    assert _everything(tmp_path) == []  # not even the parents the claim created


# --------------------------------------------------------------------------- claiming


def test_default_names_are_claimed_when_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs started in the same second: the second cannot take the first one's name."""
    monkeypatch.setattr(time, "strftime", lambda fmt, t=None: "20260101T000000Z")
    first = claim_run_folder(None, label="s", root=tmp_path)
    second = claim_run_folder(None, label="s", root=tmp_path)
    assert first.dest.is_dir() and second.dest.is_dir()  # claimed before anything is written
    assert (first.dest.name, second.dest.name) == ("s-20260101T000000Z", "s-20260101T000000Z-2")
    _fill(second, {"summary.json": "second"})
    second.commit()
    _fill(first, {"summary.json": "first"})
    first.commit()
    assert (first.dest / "summary.json").read_text(encoding="utf-8") == "first"
    assert (second.dest / "summary.json").read_text(encoding="utf-8") == "second"


_RACER = textwrap.dedent(
    """
    import sys, time
    time.strftime = lambda fmt, t=None: "20260101T000000Z"  # all in the same second
    from evacsim.export.folder import run_folder
    with run_folder(None, label="race", root=sys.argv[1]) as claim:
        time.sleep(0.5)  # every racer holds its claim at once
        (claim.tmp / "who").write_text(sys.argv[2])
        (claim.tmp / "manifest.json").write_text(
            '{"format": "evacsim-run", "format_version": 2, "outputs": {"who": ""}}')
    """
)


def test_concurrent_default_runs_never_share_a_folder(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _RACER, str(tmp_path), str(i)], cwd=REPO)
        for i in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * 4
    folders = sorted(tmp_path.iterdir())
    assert len(folders) == 4  # the old rename-at-the-end lost three of them
    assert sorted((f / "who").read_text() for f in folders) == ["0", "1", "2", "3"]


# --------------------------------------------------------------------------- stale folders

_HOLDER = textwrap.dedent(
    """
    import os, sys, time
    from evacsim.export.folder import claim_run_folder
    claim = claim_run_folder(sys.argv[1], label="x")
    print("claimed", flush=True)
    if sys.argv[2] == "die":
        os._exit(9)  # no cleanup: as after SIGKILL or a power cut
    time.sleep(60)
    """
)


def _holder(dest: Path, mode: str) -> subprocess.Popen[str]:
    """A process that claims ``dest`` and then dies at once (``die``) or holds on (``sleep``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(dest), mode], cwd=REPO, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "claimed"
    proc.stdout.close()
    return proc


def test_a_dead_run_s_partial_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    proc = _holder(tmp_path / "dead", "die")
    assert proc.wait(timeout=30) == 9
    assert _everything(tmp_path) == [f".dead.new-{proc.pid}", "dead"]  # the claim stayed
    _fake_run(tmp_path / "next", RUN_A)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next"]


def test_a_live_run_s_partial_folder_is_left_alone(tmp_path: Path) -> None:
    proc = _holder(tmp_path / "live", "sleep")
    try:
        _fake_run(tmp_path / "next", RUN_A)
        assert (tmp_path / f".live.new-{proc.pid}").is_dir() and (tmp_path / "live").is_dir()
        with pytest.raises(EvacsimError, match=rf"another evacsim run \(pid {proc.pid}\)"):
            claim_run_folder(tmp_path / "live", label="x")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert clean_stale(tmp_path) == [tmp_path / f".live.new-{proc.pid}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next"]


def test_a_running_pid_without_the_lock_is_stale(tmp_path: Path) -> None:
    """A pid that runs but holds no lock (reused by another program) does not protect a folder."""
    other = os.getppid()  # runs, and holds no lock on our folder
    partial = tmp_path / f".old.partial-{other}"
    partial.mkdir()
    (partial / "summary.json").write_text("{}", encoding="utf-8")
    assert clean_stale(tmp_path) == []  # just made: its owner may be about to lock it
    an_hour_ago = time.time() - 3600
    os.utime(partial, (an_hour_ago, an_hour_ago))
    assert clean_stale(tmp_path) == [partial]
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_swap_gives_the_user_files_back(tmp_path: Path) -> None:
    """Killed between moving the old run aside and carrying the user's files over."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    new = _fake_run(tmp_path / "run", RUN_B)
    old = tmp_path / f".run.replaced-{int(dead.stdout)}"
    claim = claim_run_folder(old, label="x")  # an old run, written the usual way
    _fill(claim, RUN_A)
    claim.commit()
    (old / "notes.txt").write_text("mine", encoding="utf-8")
    assert clean_stale(tmp_path) == [old]
    assert not old.exists()
    assert (new / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (new / "report.html").is_file() and not (new / "map.html").exists()


# --------------------------------------------------------------------------- readers


def test_readers_refuse_what_is_not_a_complete_run(tmp_path: Path) -> None:
    partial = tmp_path / ".x.partial-1"
    partial.mkdir()
    (partial / "summary.json").write_text('{"ete_s": {}}', encoding="utf-8")
    for reader in (require_run_folder, load_side):
        with pytest.raises(EvacsimError, match=r"not a run folder: manifest\.json is missing"):
            reader(partial)
    run = _fake_run(tmp_path / "run", RUN_A)
    (run / "csv" / "groups.csv").unlink()
    with pytest.raises(EvacsimError, match=r"incomplete run folder: csv/groups\.csv is missing"):
        require_run_folder(run)


def test_readers_name_the_version_they_need(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run", RUN_A)
    manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    (run / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(EvacsimError) as info:
        require_run_folder(run)
    message = str(info.value)
    assert f"format_version {FORMAT_VERSION + 1}" in message
    assert f"up to {FORMAT_VERSION}" in message and "\n" not in message


def test_folders_from_before_format_version_are_read_as_version_1(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text("{}", encoding="utf-8")
    legacy = {"scenario": {"name": "x"}, "seed": 1, "evacsim": "0.1.0",
              "outputs": {"summary.json": "0"}}  # fmt: skip
    (old / MANIFEST).write_text(json.dumps(legacy), encoding="utf-8")
    assert require_run_folder(old)["format_version"] == 1
    _fake_run(old, RUN_B)  # and evacsim may replace it: its manifest says it made it
    assert require_run_folder(old)["format_version"] == FORMAT_VERSION


# --------------------------------------------------------------------------- single files


def test_atomic_path_leaves_the_old_file_until_the_new_one_is_complete(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"
        raise KeyboardInterrupt
    assert _everything(tmp_path) == ["page.html"]
    assert target.read_text(encoding="utf-8") == "old"
    write_text_atomic(target, "new")
    assert _everything(tmp_path) == ["page.html"]
    assert target.read_text(encoding="utf-8") == "new"
    with pytest.raises(EvacsimError, match="is a folder"):
        write_text_atomic(tmp_path, "x")
