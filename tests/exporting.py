"""Running a background export (``core.exports``) from a test: POST the list's export URL,
let the queued job run (the test task backend runs it at once, on commit), follow the
redirect to the job page and download the file."""

from __future__ import annotations

from typing import Any

from django.test import Client, TestCase


def exported(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    """The download's response; the start's own response when it did not redirect (403)."""
    query = ""
    if data:
        from urllib.parse import urlencode

        query = ("&" if "?" in url else "?") + urlencode(data, doseq=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = client.post(url + query)
    if started.status_code != 302:
        return started
    job_url = started["Location"]
    return client.get(job_url + "download/")


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
