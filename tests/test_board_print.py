"""The day on paper: what the desk prints in the morning. Time, patient, date of birth, status,
driver and phone, and empty tick columns for "arrived" and "left with driver"; the same few
queries as the board, and the look at the day is in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import AuditEvent
from prep_app.services import settings

from .test_board import QueryCounter, rows_of, seed_day


@pytest.fixture
def desk(login_as):
    return login_as("front_desk")


def day_after(app, days: int):
    with app.app_context():
        return settings.today() + timedelta(days=days)


def test_the_print_view_lists_the_day_with_tick_columns(app, desk):
    seed_day(app, 1, 7)
    day = day_after(app, 1)
    board = desk.get(f"/board/?date={day}").text
    assert f'href="/board/print?date={day}"' in board

    html = desk.get(f"/board/print?date={day}").text

    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    for column in ("Time", "Patient", "Date of birth", "Status", "Driver", "Arrived",
                   "Left with driver"):
        assert f">{column}<" in head, column
    rows = rows_of(html)
    assert len(rows) == 6  # cancelled sessions are left off the sheet
    assert "Patient 000" in rows[0] and "1 January 1980" in rows[0]
    assert "Not sent" in rows[0] and "No driver named" in rows[0]
    assert "Grace Hopper" in rows[2] and "(435) 555-0123" in rows[2]
    assert 'class="tick"' in rows[0]
    assert "Checked in" in rows[5]  # already arrived: said so, not left for a tick
    assert "Patient 006" not in html  # the cancelled one
    with app.app_context():
        [seen] = db.session.scalars(select(AuditEvent).filter_by(action="board.print")).all()
        assert seen.actor_id == desk.user_id and day.isoformat() in seen.detail


def test_the_print_view_costs_the_board_s_few_queries_for_5_and_100(app, desk):
    seed_day(app, 3, 5, name="Small")
    seed_day(app, 4, 100, name="Big")
    desk.get("/board/print")
    with QueryCounter(app) as board:
        desk.get(f"/board/?date={day_after(app, 4)}")
    with QueryCounter(app) as small:
        desk.get(f"/board/print?date={day_after(app, 3)}")
    with QueryCounter(app) as big:
        html = desk.get(f"/board/print?date={day_after(app, 4)}").text
    assert len(rows_of(html)) == 86  # 100 less the cancelled
    assert len(small.queries) == len(big.queries) == len(board.queries), "\n".join(
        q[:90] for q in big.queries)


@pytest.mark.parametrize("query", ["date=2024-02-30", "date=%00", "date=99999-01-01"])
def test_odd_print_addresses_print_today(desk, query):
    response = desk.get(f"/board/print?{query}")
    assert response.status_code == 200 and "<table" in response.text
