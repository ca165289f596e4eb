"""The query endpoint: paging, filters, ordering, counting and the Active default."""

from __future__ import annotations

from .conftest import Qbo, fault_code

ITEMS_SEEDED = 48  # 46 inventory items, one non-inventory, one service


def test_paging_with_startposition_and_maxresults(qbo: Qbo) -> None:
    seen: list[str] = []
    start = 1
    while True:
        page = f"SELECT * FROM Item STARTPOSITION {start} MAXRESULTS 20"  # noqa: S608 (not SQL)
        response = qbo.query(page)
        body = response.json()["QueryResponse"]
        if not body:
            break
        assert body["startPosition"] == start
        assert body["maxResults"] == len(body["Item"]) <= 20
        seen.extend(item["Id"] for item in body["Item"])
        start += 20
    assert len(seen) == ITEMS_SEEDED
    assert seen == [str(n) for n in range(1, ITEMS_SEEDED + 1)]  # default order: by Id
    assert qbo.query("select count(*) from Item").json()["QueryResponse"] == {"totalCount": ITEMS_SEEDED}


def test_default_page_is_100_and_the_largest_1000(qbo: Qbo) -> None:
    for n in range(105):
        qbo.ok("Customer", {"DisplayName": f"Walk-in customer {n:03d}"})
    assert len(qbo.rows("SELECT * FROM Customer")) == 100
    assert len(qbo.rows("SELECT * FROM Customer MAXRESULTS 5000")) == 115


def test_filters_the_hub_uses(qbo: Qbo) -> None:
    [lid] = qbo.rows("SELECT * FROM Item WHERE Sku = 'BIN-LID-004'")
    assert lid["Name"] == "Bin lid"
    assert [i["Sku"] for i in qbo.rows("select * from Item where Sku = 'bin-lid-004'")] == ["BIN-LID-004"]
    shelves = qbo.rows("SELECT * FROM Item WHERE Name LIKE '%shelf%' ORDERBY Name DESC")
    assert [i["Name"] for i in shelves] == ["Shelf bracket, pair", "Oak shelf 80 cm", "Oak shelf 120 cm"]
    assert len(qbo.rows("SELECT * FROM Item WHERE Type = 'Inventory' MAXRESULTS 1000")) == 46
    picked = qbo.rows("SELECT * FROM Item WHERE Id IN ('3', '5', '7') AND Type = 'Inventory'")
    assert [i["Id"] for i in picked] == ["3", "5", "7"]
    assert [i["Id"] for i in qbo.rows("SELECT * FROM Item WHERE Id > '45' AND Id <= '47'")] == ["46", "47"]
    [vendor] = qbo.rows("SELECT * FROM Vendor WHERE DisplayName = 'Nordic Home Goods'")
    assert vendor["Active"] is True


def test_lastupdatedtime_filter_finds_what_changed(qbo: Qbo) -> None:
    qbo.advance(120)
    now = qbo.control("/clock")["now"]
    qbo.ok("Item", {"Id": "2", "SyncToken": "0", "sparse": True, "Description": "Large bin, new lid"})
    since = f"SELECT * FROM Item WHERE MetaData.LastUpdatedTime >= '{now}'"  # noqa: S608 (not SQL)
    changed = qbo.rows(since)
    assert [i["Id"] for i in changed] == ["2"]
    ordered = qbo.rows("SELECT * FROM Item ORDERBY MetaData.LastUpdatedTime DESC MAXRESULTS 1")
    assert ordered[0]["Id"] == "2"


def test_projection_count_and_empty_results(qbo: Qbo) -> None:
    [row] = qbo.rows("SELECT Id, Sku FROM Item WHERE Id = '1'")
    assert row == {"Id": "1", "Sku": "SAMPLE-BIN", "domain": "QBO", "sparse": True}
    response = qbo.query("SELECT * FROM Item WHERE Sku = 'NO-SUCH-SKU'")
    assert response.status_code == 200
    assert response.json()["QueryResponse"] == {}
    assert "time" in response.json()
    assert qbo.query("SELECT COUNT(*) FROM Invoice").json()["QueryResponse"] == {"totalCount": 0}


def test_inactive_name_list_objects_are_hidden_unless_asked_for(qbo: Qbo) -> None:
    item = qbo.item("47")
    gone = qbo.ok("Item", {"Id": "47", "SyncToken": item["SyncToken"], "sparse": True, "Active": False})
    assert gone["Name"] == "Gift wrapping (deleted)"
    assert gone["Active"] is False
    assert "47" not in [i["Id"] for i in qbo.rows("SELECT * FROM Item MAXRESULTS 1000")]
    both = qbo.rows("SELECT * FROM Item WHERE Active IN (true, false) MAXRESULTS 1000")
    assert len(both) == ITEMS_SEEDED
    assert [i["Id"] for i in qbo.rows("SELECT * FROM Item WHERE Active = false")] == ["47"]
    assert qbo.item("47")["Active"] is False  # a read by Id still finds it


def test_query_by_post_with_a_text_body(qbo: Qbo) -> None:
    response = qbo.http.post(
        f"{qbo.base}/query",
        data="select * from Account where Name = 'Inventory Asset'",
        headers={"Content-Type": "application/text"},
        params={"minorversion": "75"},
    )
    assert response.status_code == 200
    [account] = response.json()["QueryResponse"]["Account"]
    assert account["AccountType"] == "Other Current Asset"


def test_unsupported_syntax_is_a_parser_fault(qbo: Qbo) -> None:
    for text in (
        "SELECT * FROM Item WHERE Name = 'a' OR Name = 'b'",
        "SELECT * FROM Item JOIN Vendor",
        "SELECT * FROM Item WHERE Name != 'a'",
        "SELECT * FROM Item WHERE Name = 'a",
        "SELECT * FROM Item WHERE Name = %",
        "SELEC * FROM Item",
        "",
    ):
        response = qbo.query(text)
        assert response.status_code == 400, text
        assert fault_code(response) == "4000", text
        assert response.json()["Fault"]["Error"][0]["Message"] == "Error parsing query"
    unknown_entity = qbo.query("SELECT * FROM Widget")
    assert unknown_entity.status_code == 400
    assert fault_code(unknown_entity) == "4001"
    not_queryable = qbo.query("SELECT * FROM Item WHERE Description = 'x'")
    assert fault_code(not_queryable) == "4001"
    assert "not queryable" in not_queryable.json()["Fault"]["Error"][0]["Detail"]
