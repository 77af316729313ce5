"""Names, the matcher's scores and reasons, blocking, and the documented CSVs."""

import pytest

from smartcustoms.passengers.lists import ListError, read_persons
from smartcustoms.passengers.matching import WatchlistIndex, compare, gtas_rule, match_all, person
from smartcustoms.passengers.names import normalise


@pytest.mark.parametrize("text, latin, script", [
    ("Щербаков", "SHCHERBAKOV", "cyrillic"), ("Юлия", "IULIIA", "cyrillic"), ("Müller", "MUELLER", "latin"),
    ("Ørsted", "OERSTED", "latin"), ("O'Brien-Smith", "OBRIEN SMITH", "latin"), ("Mr John", "JOHN", "latin"),
    ("محمد", "MHMD", "arabic"), ("عمر", "MR", "arabic"), ("王秀英", "WANG XIU YING", "han"),
])
def test_normalise(text, latin, script):
    name = normalise(text)
    assert (name.text, name.script) == (latin, script)


def test_cyrillic_common_romanisation_is_a_variant():
    assert normalise("Юрий").variant == "YURY" and normalise("Дмитрий").variant == "DMITRY"


@pytest.mark.parametrize("a, b", [
    (("Иванов", "Сергей"), ("IVANOV", "SERGEY")), (("محمد", "أحمد"), ("MOHAMED", "AHMED")),
    (("张", "伟"), ("ZHANG", "WEI")), (("Яковлев", "Юрий"), ("YAKOVLEV", "YURI")),
    (("SMITH", "JOHN"), ("SMYTH", "JOHN")), (("SMITH", "JOHN"), ("JOHN", "SMITH")),
])
def test_same_person_across_scripts_and_errors(a, b):
    score, reasons = compare(person(1, *a, "1980-01-02"), person(2, *b, "1980-01-02"))
    assert score >= 0.9, reasons
    assert any("date of birth" in r for r in reasons)


def test_date_of_birth_tolerance_and_evidence():
    base = person(1, "KOWALSKI", "JAN", "1975-03-14", "POL", "AB123456")
    one_digit, _ = compare(base, person(2, "KOWALSKI", "JAN", "1975-03-15"))
    swapped, _ = compare(base, person(2, "KOWALSKI", "JAN", "1975-14-03".replace("14-03", "03-14")))
    far, reasons = compare(base, person(2, "KOWALSKI", "JAN", "1940-07-01"))
    document, why = compare(base, person(2, "KOWALSKA", "JANINA", "", "POL", "AB-123456"))
    assert one_digit > far and swapped > far and far < 0.5, reasons
    assert document > 0.5 and "same document number (+6.0)" in why


def test_different_people_do_not_match():
    score, _ = compare(person(1, "NGUYEN", "ANH", "1990-01-01"), person(2, "MARTIN", "PAUL", "1990-01-01"))
    assert score < 0.05


def test_blocking_finds_the_entry_among_many_and_match_all_returns_everyone():
    entries = [{"id": f"E{i}", "surname": f"NAME{i:05d}", "given_names": "X", "date_of_birth": ""}
               for i in range(2000)]
    entries.append({"id": "TARGET", "surname": "Петров", "given_names": "Иван", "date_of_birth": "1980-05-01"})
    index = WatchlistIndex(entries)
    rows = [{"id": "p1", "surname": "PETROV", "given_names": "IVAN", "date_of_birth": "1980-05-01"},
            {"id": "p2", "surname": "DOE", "given_names": "JANE", "date_of_birth": ""}]
    results = match_all(rows, index)
    assert [r["id"] for r in results] == ["p1", "p2"]
    assert [m["entry"] for m in results[0]["matches"]] == ["TARGET"] and results[1]["matches"] == []
    assert len(index.candidates(person(**rows[0]))) < 50


def test_gtas_rule_needs_equal_birth_and_close_names():
    a = person(1, "SMITH", "JOHN", "1970-01-01")
    assert gtas_rule(a, person(2, "SMITH", "JOHN", "1970-01-01"))
    assert not gtas_rule(a, person(2, "SMITH", "JOHN", "1970-01-02"))


def test_documented_csv_columns_and_errors():
    text = ("\ufeffid,surname,given_names,date_of_birth,nationality,document_number\n"
            "1,Иванов,Сергей,1971-03-12,RUS,\n2,DOE,,,,\n")
    assert [r["surname"] for r in read_persons(text)] == ["Иванов", "DOE"]
    with pytest.raises(ListError, match="missing column"):
        read_persons("id,surname\n1,DOE\n")
    with pytest.raises(ListError, match="row 2, column date_of_birth"):
        read_persons("id,surname,given_names,date_of_birth,nationality,document_number\n1,DOE,,12/03/1971,,\n")
