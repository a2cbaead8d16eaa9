"""The settlement run: lines by payer, every hold reason, refusals, all or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.settlement.conftest import Books
from yiyang.core.permissions import Role
from yiyang.devices.models import Device, DeviceEvent
from yiyang.settlement import services
from yiyang.settlement.models import StatementLine


def settle(books: Books):
    return services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)


def holds_of(visit) -> set[str]:
    line = StatementLine.objects.get(source_kind="visit", source_id=visit.id)
    return set(line.holds.values_list("reason", flat=True))


def test_clean_visits_become_payable_lines_with_amounts_by_payer(books: Books) -> None:
    v1 = books.visit(day=3)
    v2 = books.visit(elder="zhang", day=4, caregiver="li")
    result = settle(books)
    assert result.lines == 2 and result.held == 0
    statement = result.statements[0]
    assert statement.status == "draft"
    assert statement.allowance_yuan == Decimal("60.00")
    assert statement.payable_yuan == Decimal("60.00")
    assert statement.price_yuan == v1.price + v2.price
    assert statement.self_pay_yuan == v1.self_pay_yuan + v2.self_pay_yuan
    assert holds_of(v1) == set()


def test_every_hold_reason_on_a_hand_made_month(books: Books) -> None:
    from yiyang.elders.models import Elder
    from yiyang.services.models import Certificate

    flagged = books.visit(day=2, review_status="pending")
    upheld = books.visit(day=3, review_status="rejected")
    Elder.objects.filter(pk=books.elders["zhang"].pk).update(
        status="in_hospital", status_changed_on=books.month.replace(day=10)
    )
    before_hospital = books.visit(elder="zhang", day=9, caregiver="li")
    in_hospital = books.visit(elder="zhang", day=12, caregiver="li")
    a = books.visit(day=5, hour=9, caregiver="zhao")
    b = books.visit(elder="zhang", day=5, hour=9, minutes=30, caregiver="zhao", code="ZY01")
    away = books.visit(day=6, hour=14)
    device = Device.objects.create(
        serial="W1",
        community=books.world.div["XA1a"],
        elder=books.elders["liu"],
        kind="wearable",
        vendor="generic",
    )
    DeviceEvent.objects.create(
        device=device,
        msg_id="1",
        type="position",
        occurred_at=away.check_in_at + datetime.timedelta(minutes=20),
        received_at=away.check_in_at,
        via="mqtt",
        data={"lat": 34.80, "lng": 113.65},
        elder=books.elders["liu"],
    )
    first = books.visit(day=7, hour=10)
    twice = books.visit(day=7, hour=10, minutes=50, caregiver="li")
    Certificate.objects.create(
        caregiver=books.caregivers["li"],
        qualification="elder_care_worker",
        expires_on=books.month.replace(day=1) - datetime.timedelta(days=1),
    )
    clean = books.visit(day=20)
    settle(books)
    assert "flag_unreviewed" in holds_of(flagged)
    assert "flag_upheld" in holds_of(upheld)
    assert "elder_unavailable" not in holds_of(before_hospital)
    assert "elder_unavailable" in holds_of(in_hospital)
    assert "caregiver_elsewhere" in holds_of(a) and "caregiver_elsewhere" in holds_of(b)
    assert "elder_away" in holds_of(away)
    assert "duplicate" not in holds_of(first) and "duplicate" in holds_of(twice)
    assert "certificate_expired" in holds_of(twice)
    assert holds_of(clean) == set()


def test_allowance_beyond_the_entitlement_is_held(books: Books) -> None:
    visits = [books.visit(day=d, allowance="100.00") for d in (2, 3, 4, 5)]
    settle(books)
    assert [bool(holds_of(v)) for v in visits] == [False, False, False, True]


def test_a_month_not_ended_is_refused(books: Books) -> None:
    with pytest.raises(ValidationError, match="not ended"):
        services.settle_month(
            actor=books.world.user[Role.FINANCE_OFFICER], month=datetime.date.today().replace(day=1)
        )


def test_running_twice_rebuilds_the_draft_and_refuses_once_confirmed(books: Books) -> None:
    books.visit(day=3)
    first = settle(books).statements[0]
    again = settle(books).statements[0]
    assert again.pk == first.pk and StatementLine.objects.count() == 1
    services.statement_confirm(actor=books.manager, statement=again)
    with pytest.raises(ValidationError, match="nothing was changed"):
        settle(books)
    assert StatementLine.objects.count() == 1


def test_an_interrupted_run_writes_nothing(books: Books, monkeypatch) -> None:
    books.visit(day=3)
    from yiyang.settlement.services import settle as module

    def boom(**kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr("yiyang.settlement.services.risk.risk_compute", boom)
    with pytest.raises(RuntimeError):
        settle(books)
    assert module.Statement.objects.count() == 0 and StatementLine.objects.count() == 0


def test_visits_outside_the_contract_are_not_billed(books: Books) -> None:
    books.visit(elder="liu", day=3, code="ZJ01")
    from yiyang.settlement.models import ContractItem

    ContractItem.objects.filter(item=books.items["ZJ01"]).delete()
    result = settle(books)
    assert result.uncovered == 1 and result.lines == 0


def test_the_command_settles_a_month_and_says_what_it_did(books: Books) -> None:
    import io

    from django.core.management import CommandError, call_command

    books.visit(day=3)
    out, err = io.StringIO(), io.StringIO()
    call_command("settle", month=f"{books.month:%Y-%m}", stdout=out, stderr=err)
    assert "1 statements, 1 lines, 0 held" in out.getvalue()
    with pytest.raises(CommandError, match="2026-13"):
        call_command("settle", month="2026-13")
    with pytest.raises(CommandError, match="No provider"):
        call_command("settle", month=f"{books.month:%Y-%m}", provider="nope")


def test_the_scheduler_finds_the_month_due_once(books: Books) -> None:
    from yiyang.settlement.services.schedule import settle_month_task, settlement_due

    books.visit(day=3)
    assert settlement_due() == books.month
    settle_month_task.call(books.month.isoformat())
    assert settlement_due() is None
