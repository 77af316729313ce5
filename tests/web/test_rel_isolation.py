"""Issue 14 (2): one trader's failing record fails its own request only, never its neighbours in a micro-batch:
a JSON file holding the same declaration twice (same or other content), and a record the database refuses,
each sent while another trader lodges concurrently; every answered declaration is stored once with a decision."""

import asyncio
import json
from datetime import datetime

import httpx
from conftest import declaration
from sqlalchemy import func, select

from smartcustoms.declarations.models import Declaration
from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.risk.repository import decisions
from smartcustoms.web.errors import Invalid
from smartcustoms.web.runtime.batcher import MicroBatcher
from smartcustoms.web.submissions import Assessed, from_declaration

NEIGHBOURS = 30


def _counts(engine, ids) -> dict:
    with engine.connect() as conn:
        return {
            "declarations": conn.execute(select(func.count()).select_from(declarations)
                                         .where(declarations.c.declaration_id.in_(ids))).scalar_one(),
            "decided": conn.execute(select(func.count(func.distinct(decisions.c.declaration_id)))
                                    .where(decisions.c.declaration_id.in_(ids))).scalar_one(),
        }


async def _with_neighbours(app, people, offender):
    """bob lodges NEIGHBOURS declarations one request each while `offender(client)` runs; both in one loop."""
    app.state.batcher.max_wait = 0.05  # wide batches: the offender and bob's lodgings share them
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        bob = [client.post("/api/v1/declarations", json=declaration(f"BOB{n}", importer_id="IMP002"),
                           headers=people["bob"].bearer) for n in range(NEIGHBOURS)]
        *answers, mine = await asyncio.gather(*bob, offender(client))
    await app.state.batcher.close()
    return answers, mine


def _neighbours_fine(engine, answers):
    assert [a.status_code for a in answers] == [201] * NEIGHBOURS, [a.text for a in answers if a.status_code != 201]
    ids = [f"BOB{n}" for n in range(NEIGHBOURS)]
    assert _counts(engine, ids) == {"declarations": NEIGHBOURS, "decided": NEIGHBOURS}


def _upload(records, person):
    async def send(client):
        return await client.post("/api/v1/declarations/file", headers=person.bearer,
                                 files={"file": ("twice.json", json.dumps(records).encode(), "application/json")})
    return send


def test_a_file_with_the_same_declaration_twice_lodges_it_once_and_fails_no_neighbour(app, people, engine):
    twice = [declaration("DUP1"), declaration("DUP1"), declaration("OK1")]
    answers, mine = asyncio.run(_with_neighbours(app, people, _upload(twice, people["alice"])))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert sorted(r["declaration_id"] for r in body["results"]) == ["DUP1", "DUP1", "OK1"]
    assert body["rejects"] == []
    _neighbours_fine(engine, answers)
    with engine.connect() as conn:
        items = conn.execute(select(func.count()).select_from(goods_items)
                             .where(goods_items.c.declaration_id == "DUP1")).scalar_one()
    assert items == 1 and _counts(engine, ["DUP1", "OK1"]) == {"declarations": 2, "decided": 2}


def test_a_file_with_one_id_twice_and_other_content_refuses_the_second_only(app, people, engine):
    twice = [declaration("DUP2"), declaration("DUP2", office_id="FRPAR1", exchange_rate=0.5)]
    answers, mine = asyncio.run(_with_neighbours(app, people, _upload(twice, people["alice"])))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [r["declaration_id"] for r in body["results"]] == ["DUP2"]
    assert [(r["declaration_id"], r["row_number"]) for r in body["rejects"]] == [("DUP2", 2)]
    _neighbours_fine(engine, answers)
    assert _counts(engine, ["DUP2"]) == {"declarations": 1, "decided": 1}


def test_a_record_the_database_refuses_fails_alone_with_a_4xx(app, people, engine):
    """A submission that passes the model but breaks a CHECK of the database (built here without the window:
    the database's bound is the last line) raises an IntegrityError in its batch: not 'another writer'. It
    goes in one batch with two good ones of its sender, while bob lodges."""
    from smartcustoms.accounts import service as accounts

    alice = accounts.user_for_token(engine, people["alice"].token)
    good = [from_declaration(Declaration.model_validate(declaration(f"AL{n}")), alice, "api") for n in range(2)]
    valid = Declaration.model_validate(declaration("OLD1"))
    old = from_declaration(valid.model_copy(update={"acceptance_datetime": datetime(1850, 1, 1)}), alice, "api")

    async def offender(_client):
        return await app.state.batcher.submit_many([good[0], old, good[1]])

    answers, mine = asyncio.run(_with_neighbours(app, people, offender))
    assert isinstance(mine[1], Invalid) and mine[1].status_code == 422 and mine[1].errors()[0]["type"] == "unstorable"
    assert [isinstance(result, Assessed) for result in (mine[0], mine[2])] == [True, True]
    _neighbours_fine(engine, answers)
    assert _counts(engine, ["OLD1"])["declarations"] == 0
    assert _counts(engine, ["AL0", "AL1"]) == {"declarations": 2, "decided": 2}
    assert app.state.batcher.isolated >= 1  # its batch failed whole and was lodged again one by one


def test_a_waiter_that_gives_up_and_a_handler_that_breaks_fail_no_neighbour():
    """The batcher's own failure paths, with two senders at once: an item whose handling raises (the batch is
    handled again item by item), a handler giving the wrong number of results, a waiter cancelled."""
    calls = []

    def handle(items):
        calls.append(list(items))
        if "boom" in items:
            raise RuntimeError("boom")
        if "short" in items and len(items) > 1:
            return items[:-1]
        return [f"ok {item}" for item in items]

    async def main():
        batcher = MicroBatcher(handle, max_wait=0.05)
        gone = asyncio.ensure_future(batcher.submit("gone"))
        neighbours = [batcher.submit(f"n{k}") for k in range(10)]
        offenders = [batcher.submit("boom"), batcher.submit("short")]
        await asyncio.sleep(0)
        gone.cancel()
        outcomes = await asyncio.gather(*neighbours, *offenders, return_exceptions=True)
        await batcher.close()
        return outcomes, batcher

    outcomes, batcher = asyncio.run(main())
    assert outcomes[:10] == [f"ok n{k}" for k in range(10)]
    assert isinstance(outcomes[10], RuntimeError) and str(outcomes[10]) == "boom"
    assert outcomes[11] == "ok short"  # alone, it is handled fine
    assert batcher.isolated == 1
