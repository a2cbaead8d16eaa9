"""Number formatting for the Chinese pages: Django's zh_Hans groups digits in fours with no
separator; the platform writes 12,345 in both languages (docs/glossary.md), as Chinese
statistics tables do. Every other format comes from Django's own zh_Hans module."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
