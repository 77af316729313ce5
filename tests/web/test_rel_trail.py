"""Issue 14 (6): supervisors see the audit trail's state on the web (GET /api/v1/trail); the server seals."""

from conftest import as_user, declaration
from sqlalchemy import update

from smartcustoms.risk.tables import decisions
from smartcustoms.trail import service


def test_supervisors_see_the_chains_and_a_tampered_row(client, people, engine):
    answer = as_user(client, None).post("/api/v1/declarations", json=declaration("T1"),
                                        headers=people["root"].bearer)
    assert answer.status_code == 201
    service.seal(engine)
    state = {row["table"]: row for row in client.get("/api/v1/trail", headers=people["sam"].bearer).json()}
    assert state["decisions"]["sealed"] >= 1 and all(row["intact"] for row in state.values())
    assert client.get("/api/v1/trail", headers=people["alice"].bearer).status_code == 403
    assert client.get("/api/v1/trail", headers=people["oscar"].bearer).status_code == 403
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER decisions_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE decisions DISABLE TRIGGER USER")
        conn.execute(update(decisions).values(lane="red"))
    state = {row["table"]: row for row in client.get("/api/v1/trail", headers=people["sam"].bearer).json()}
    assert not state["decisions"]["intact"] and "edited" in state["decisions"]["problems"][0]


def test_the_trail_page_shows_the_chains_to_supervisors_in_their_language(client, people, engine):
    service.seal(engine)
    page = as_user(client, people["sam"]).get("/trail")
    assert page.status_code == 200 and "Lane decisions" in page.text and "Intact" in page.text
    assert "Décisions de circuit" in as_user(client, people["sam"]).get("/trail?lang=fr").text
    assert as_user(client, people["alice"]).get("/trail").status_code == 403
