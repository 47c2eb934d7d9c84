"""Reports: one diagnosis rendered as text, JSON, the SOP's YAML, Markdown or self-contained HTML,
with secrets redacted in every format; plus summarize and compare views."""

from eksdoctor.reports.render import FORMATS, render, render_text
from eksdoctor.reports.sop import sop_document
from eksdoctor.reports.views import compare_diagnoses, render_compare_text, select_findings

__all__ = ["FORMATS", "compare_diagnoses", "render", "render_compare_text", "render_text", "select_findings",
           "sop_document"]
