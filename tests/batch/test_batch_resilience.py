"""One bad node never stops a batch: hangs, crashing workers, interruptions and resume (fake diagnose)."""

from __future__ import annotations

import pytest
from batch_fakes import write_fake_bundle

from eksdoctor.batch import run_batch
from eksdoctor.batch_store import ResultStore

FAKE = "batch_fakes:fake_diagnose"


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"i-{i:017x}" for i in range(start + 1, start + n + 1)]


def test_hang_crash_and_segfault_are_recorded_while_the_rest_finish(fake_dir, tmp_path):
    good = _ids(6)
    for iid in good:
        write_fake_bundle(fake_dir, iid, category="iam_auth", evidence="Unauthorized")
    hang = write_fake_bundle(fake_dir, "i-00000000000000aaa", sleep=60)
    crash = write_fake_bundle(fake_dir, "i-00000000000000bbb", exit=3)
    segv = write_fake_bundle(fake_dir, "i-00000000000000ccc", segfault=True)
    seen = []
    report = run_batch([str(fake_dir)], db=tmp_path / "r.db", jobs=2, timeout=1, diagnose=FAKE,
                       workspace=tmp_path / "ws", on_row=seen.append)
    by_source = {r["source"]: r for r in report["rows"]}
    assert by_source[str(hang)]["status"] == "timeout"
    assert "timed out after 1 s" in by_source[str(hang)]["error"]
    for bad in (crash, segv):
        assert by_source[str(bad)]["status"] == "failed"
        assert "worker process died" in by_source[str(bad)]["error"]
    assert sorted(r["instance_id"] for r in report["rows"] if r["status"] == "ok") == good
    assert report["totals"] == {"bundles": 9, "ok": 6, "failed": 2, "timeout": 1}
    assert len(seen) == 9  # every node reported exactly once, crashes included


def test_a_hang_the_watchdog_cannot_interrupt_is_killed_by_the_parent(fake_dir, tmp_path):
    for iid in _ids(3):
        write_fake_bundle(fake_dir, iid, category="iam_auth", evidence="Unauthorized", sleep=0.5)
    stuck = write_fake_bundle(fake_dir, "i-00000000000000aaa", sleep=60, block_alarm=True, pad="x" * 100)
    report = run_batch([str(fake_dir)], db=tmp_path / "r.db", jobs=2, timeout=1, hard_grace_s=0.5,
                       diagnose=FAKE)
    by_source = {r["source"]: r for r in report["rows"]}
    assert by_source[str(stuck)]["status"] == "timeout"
    assert "worker stopped" in by_source[str(stuck)]["error"]
    assert report["totals"] == {"bundles": 4, "ok": 3, "failed": 0, "timeout": 1}


def test_interrupted_batch_resumes_without_redoing_finished_nodes(fake_dir, tmp_path):
    calls = tmp_path / "calls.log"
    flag = tmp_path / "go-on"
    for iid in _ids(8):
        write_fake_bundle(fake_dir, iid, category="dns_config", evidence="no such host", calls_log=str(calls),
                          pad="x" * 500)  # bigger files run first: the interrupting node comes last
    # the node that "presses Ctrl-C": raises KeyboardInterrupt until the flag file exists
    write_fake_bundle(fake_dir, "i-0000000000000ffff", category="none", calls_log=str(calls),
                      interrupt_unless=str(flag))
    db = tmp_path / "r.db"
    with pytest.raises(KeyboardInterrupt):
        run_batch([str(fake_dir)], db=db, jobs=1, diagnose=FAKE, workspace=tmp_path / "ws")
    with ResultStore(db) as store:
        run_id = store.latest_run()
        assert store.run_info(run_id)["state"] == "interrupted"
        done_before = store.done_sources(run_id)
    assert 0 < len(done_before) < 9
    flag.write_text("")
    report = run_batch([], db=db, resume=True, jobs=2, diagnose=FAKE, workspace=tmp_path / "ws")
    assert report["run"]["run_id"] == run_id and report["run"]["state"] == "done"
    assert report["totals"]["ok"] == 9
    assert report["run"]["new_results"] == 9 - len(done_before)
    called = calls.read_text().split()
    redone = [iid for iid in called if called.count(iid) > 1]
    assert set(redone) <= {"i-0000000000000ffff"}  # only the interrupted node ran twice


def test_limit_then_resume_and_retry_failed(fake_dir, tmp_path):
    for iid in _ids(4):
        write_fake_bundle(fake_dir, iid, category="iam_auth", evidence="Unauthorized")
    write_fake_bundle(fake_dir, "i-0000000000000dead", corrupt=True)
    db = tmp_path / "r.db"
    first = run_batch([str(fake_dir)], db=db, jobs=1, limit=2, diagnose=FAKE)
    assert first["run"]["state"] == "partial" and first["totals"]["bundles"] == 2
    second = run_batch([str(fake_dir)], db=db, resume=True, jobs=2, diagnose=FAKE)
    assert second["run"]["new_results"] == 3 and second["totals"]["bundles"] == 5
    assert second["totals"]["failed"] == 1
    third = run_batch([str(fake_dir)], db=db, resume=True, retry_failed=True, jobs=1, diagnose=FAKE)
    assert third["run"]["new_results"] == 1  # only the failed node was tried again


def test_resume_on_an_empty_database_is_an_input_error(tmp_path):
    from eksdoctor.errors import InputError

    with pytest.raises(InputError, match="nothing to resume"):
        run_batch([], db=tmp_path / "empty.db", resume=True, diagnose=FAKE)
