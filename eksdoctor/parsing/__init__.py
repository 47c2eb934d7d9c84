"""Log line parsers: every line of every bundle file becomes an `eksdoctor.models.LogLine`.

    from eksdoctor.parsing import parse_lines, parse_text, file_kind
    for line in parse_lines("kubelet/kubelet.log", enumerate(text.splitlines(), 1), year=2024):
        ...
    parse = make_parser("kubelet/kubelet.log", year=2024)   # for a few lines of a file
    line = parse(57, text_of_line_57)

Formats are those of bundle-format.md section 3. Conventions consumers rely on:
- `ts` is aware UTC; the most precise stamp wins (klog/logfmt/zap over the journal prefix).
- `source` is the journal identifier without pid ("kubelet", "systemd"; systemd's `(nodeadm)` exec
  helper is "systemd" with fields {"exec": "nodeadm"}) or a logical name for non-journal files
  ("cloud-init-output", "eks-bootstrap", "ipamd", "cni-plugin", "kernel", "curl", container name).
- `fmt` names the parsers that recognised the line, outer+inner ("journal+klog", "syslog",
  "nodeadm-json", "cri+zap-json", "journal-marker", "raw" ...).
- Journal markers (`-- No entries --`, `-- Reboot --`, `-- Boot <id> --`, `-- Logs begin at ... --`)
  are LogLines with fmt "journal-marker", source "journal", message without the dashes and
  fields {"marker": "no_entries"|"logs_begin"|"journal_begins"|"reboot"|"boot"|"other"}.
- message text per format: see eksdoctor.parsing.bodies.
"""

from eksdoctor.parsing.kinds import file_kind, normalise, source_for_path
from eksdoctor.parsing.parse import make_parser, parse_lines, parse_text

__all__ = ["file_kind", "make_parser", "normalise", "parse_lines", "parse_text", "source_for_path"]
