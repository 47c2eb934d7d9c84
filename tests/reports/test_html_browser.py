"""The HTML report in headless Chromium: it renders (a screenshot is produced) with no console errors."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from eksdoctor.reports import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def chromium_screenshot(html_path, png_path, user_dir, size="1280,1600") -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={user_dir}", f"--window-size={size}",
                           f"--screenshot={png_path}", html_path.as_uri()],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian package 'chromium'); "
                                             ".ci/run installs it when it can")
def test_html_report_renders_without_console_errors(report_samples, tmp_path):
    _, d = report_samples["al2-tls-handshake-timeout"]
    page = tmp_path / "report.html"
    page.write_text(render(d, "html"), encoding="utf-8")
    png = tmp_path / "shot.png"
    proc = chromium_screenshot(page, png, tmp_path / "profile")
    assert png.is_file() and png.stat().st_size > 10_000, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert not console, console
