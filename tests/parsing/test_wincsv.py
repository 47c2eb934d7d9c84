"""Windows collector event-log CSVs (Get-WinEvent | Export-Csv), whatever their column order."""

from __future__ import annotations

from datetime import datetime, timezone

from eksdoctor.parsing import parse_lines
from eksdoctor.parsing.kinds import file_kind

PATH = "system/kubelet/kubelet-service.csv"


def _parse(*rows: str):
    return list(parse_lines(PATH, enumerate(rows, start=1), year=2024))


def test_kind_is_by_path():
    assert file_kind(PATH) == "wincsv"
    assert file_kind("system/system-eventlogs.csv") == "wincsv"
    assert file_kind("system/ps.txt") == "text"  # the Linux collector's system/ folder is not CSV


def test_time_first_columns_with_a_klog_message():
    header, row = _parse(
        '"TimeCreated","Id","LevelDisplayName","Message"',
        '"11/27/2024 9:50:01 PM","1","Error","E1127 21:50:01.123456    4312 kubelet_node_status.go:92] '
        '""Unable to register node with API server"" err=""Unauthorized"" node=""ip-10-20-3-44.ec2.internal""')
    assert header.ts is None and header.fmt == "raw"
    assert row.ts == datetime(2024, 11, 27, 21, 50, 1, 123456, tzinfo=timezone.utc)  # klog's own time
    assert row.level == "error" and row.source == "kubelet" and row.fmt == "wincsv"
    assert row.message.startswith('"Unable to register node with API server" err="Unauthorized"')
    assert row.lineno == 2 and row.raw.startswith('"11/27/2024')


def test_message_first_columns_as_export_csv_writes_whole_records():
    (row,) = _parse('"Service started, listening on 10250","1","0","","4","0","0","-9223372036854775808",'
                    '"1187","kubelet","","Application","4312","0","EC2AMAZ-7Q1B2C3","","11/27/2024 12:05:09 AM"')
    assert row.ts == datetime(2024, 11, 27, 0, 5, 9, tzinfo=timezone.utc)  # 12 AM is midnight
    assert row.message == "Service started, listening on 10250"


def test_banner_and_continuation_lines_stay_raw():
    banner, cont = _parse("#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord", "second line of a message")
    assert banner.ts is None and cont.ts is None and cont.raw == "second line of a message"
